"""Pages shown to a logged-in person are theirs alone: no cache may keep them.

Without a Cache-Control header, a browser's back/forward cache or a shared proxy may
keep a page with someone's videos and quota after they log out. Responses that set
their own policy keep it (the content view caches video bytes privately, `/health`
never caches).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        personal = user is not None and user.is_authenticated
        if personal and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
