"""Pages of the videos app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def video_list(request: HttpRequest) -> HttpResponse:
    """The user's videos (filled in by the videos issue)."""
    return render(request, "videos/list.html")
