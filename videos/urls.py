"""Routes of the videos app (the routes are listed in docs/routes.md)."""

from django.urls import path

from videos import streaming, views

app_name = "videos"

urlpatterns = [
    path("", views.video_list, name="list"),
    path("new/", views.video_create, name="create"),
    path("<uuid:pk>/", views.video_detail, name="detail"),
    path("<uuid:pk>/status/", views.video_status, name="status"),
    path("<uuid:pk>/content/", streaming.video_content, name="content"),
    path("<uuid:pk>/remix/", views.video_remix, name="remix"),
    path("<uuid:pk>/delete/", views.video_delete, name="delete"),
]
