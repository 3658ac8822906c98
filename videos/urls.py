"""Routes of the videos app (see the routes table in DESIGN.md)."""

from django.urls import path

from videos import views

app_name = "videos"

urlpatterns = [
    path("", views.video_list, name="list"),
]
