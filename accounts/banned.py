"""A banned user whose session is still open is told why, not silently logged out.

Django's auth middleware treats an inactive user's session as anonymous, so a person
banned mid-session would land on the login page with no explanation. Here such a
session is ended and its request sent to the "account suspended" page instead.

Only when the person opens a page, though. A running video's page asks for its status
every few seconds by itself, and such a request ending the session would leave the
person nothing to see: the page's script gets a 403 naming the suspended page and
goes there (static/js/poll-loop.js), and the session ends on that page's request. A
reload gets the same explanation. Requests from scripts, images and players are told
apart by the browser's own `Sec-Fetch-Mode` header (anything but `navigate`).
"""

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import User

INACTIVE_PAGE = "account_inactive"
SUSPENDED = "A moderator has suspended this account."


class BannedSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _session_of_a_banned_user(request):
            if _asked_by_the_page(request):
                return JsonResponse(
                    {"error": SUSPENDED, "location": reverse(INACTIVE_PAGE)}, status=403
                )
            logout(request)
            return redirect(INACTIVE_PAGE)
        return self.get_response(request)


def _asked_by_the_page(request: HttpRequest) -> bool:
    """A request a page makes by itself (a script's fetch, an image, the player), not
    one the person made by opening a page; without the header, a page."""
    mode = request.headers.get("Sec-Fetch-Mode")
    return mode is not None and mode != "navigate"


def _session_of_a_banned_user(request: HttpRequest) -> bool:
    """The session names a user that authentication refused because it is inactive
    (one query, only for such sessions)."""
    if request.user.is_authenticated:
        return False
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return False
    try:
        return User.objects.filter(pk=user_id, is_active=False).exists()
    except (ValueError, TypeError):
        return False
