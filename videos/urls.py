"""Routes of the videos app (the routes are listed in docs/routes.md)."""

from django.urls import path

from videos import live, streaming, views

app_name = "videos"

urlpatterns = [
    path("", views.video_list, name="list"),
    path("new/", views.video_create, name="create"),
    # Ends in /status/ like the detail page's poll: the site rate limit skips both.
    path("status/", live.video_statuses, name="statuses"),
    path("<uuid:pk>/", views.video_detail, name="detail"),
    path("<uuid:pk>/status/", live.video_status, name="status"),
    path("<uuid:pk>/content/", streaming.video_content, name="content"),
    path("<uuid:pk>/remix/", views.video_remix, name="remix"),
    path("<uuid:pk>/delete/", views.video_delete, name="delete"),
]
