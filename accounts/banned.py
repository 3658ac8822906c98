"""A banned user whose session is still open is told why, not silently logged out.

Django's auth middleware treats an inactive user's session as anonymous, so a person
banned mid-session would land on the login page with no explanation. Here such a
session is ended and its request sent to the "account suspended" page instead.
"""

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import User

INACTIVE_PAGE = "account_inactive"


class BannedSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _session_of_a_banned_user(request):
            logout(request)
            return redirect(INACTIVE_PAGE)
        return self.get_response(request)


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
