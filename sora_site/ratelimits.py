"""Rate limits: what each is, the 429 page every limit answers with, the client IP.

Sign-up and login are limited per IP by allauth (`ACCOUNT_RATE_LIMITS`); creating and
remixing, and browsing in general, per user by django-ratelimit. All of them count in
the default cache, which must be shared by every process (Redis) for a limit to hold.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_ratelimit import ALL
from django_ratelimit.core import get_usage, is_ratelimited


@dataclass(frozen=True)
class Limit:
    group: str
    rate_setting: str
    key: str = "user"
    method: str | tuple[str, ...] = ALL
    """Part of django-ratelimit's counter key: the same here as where it counts."""

    @property
    def rate(self) -> str:
        return getattr(settings, self.rate_setting)

    def hit(self, request: HttpRequest) -> bool:
        """Count this request; True if it is over the limit."""
        return is_ratelimited(
            request,
            group=self.group,
            key=self.key,
            rate=self.rate,
            method=self.method,
            increment=True,
        )

    def usage(self, request: HttpRequest) -> dict | None:
        """django-ratelimit's count and window for this request, counting nothing."""
        return get_usage(
            request,
            group=self.group,
            key=self.key,
            rate=self.rate,
            method=self.method,
            increment=False,
        )

    def seconds_left(self, request: HttpRequest) -> int:
        """Seconds until this exhausted limit's window resets; 0 if it is not exhausted."""
        usage = self.usage(request)
        if usage and usage["should_limit"] and usage["time_left"] > 0:
            return usage["time_left"]
        return 0


CREATE_LIMIT = Limit(group="videos.create", rate_setting="RATE_LIMIT_CREATE")
"""Valid create and remix submissions together: each one spends real money upstream
(a form sent back with errors costs nothing and is not counted here)."""

SITE_LIMIT = Limit(group="site", rate_setting="RATE_LIMIT_SITE")
"""What a logged-in person does: page views and form posts alike."""

SITE_LIMIT_EXEMPT_PREFIXES = (
    "/static/",
    "/health",
    "/favicon.ico",
    "/admin/jsi18n/",
    "/accounts/logout/",
)
"""Not counted: assets, the health check, the admin's script catalogue, logging out
(a person locked out can always leave), and (below)
what the pages fetch by themselves — video bytes (the player's Range requests, the
list's thumbnails and scrub previews) and the live status polls of the list and detail
pages; counting those would lock out anyone watching a render."""

SITE_LIMIT_EXEMPT_SUFFIXES = ("/content/", "/status/")

ALLAUTH_WINDOW_SECONDS = 15 * 60


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address our own trusted proxies saw (never the header blindly).

    With TRUSTED_PROXY_HOPS = n, the n-th address from the right of X-Forwarded-For
    was written by our outermost proxy; anything left of it is the client's to forge.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META["REMOTE_ADDR"]


def counts_against_site_limit(request: HttpRequest) -> bool:
    """Only what a person asks for counts: see SITE_LIMIT_EXEMPT_PREFIXES."""
    path = request.path
    if not request.user.is_authenticated or path.startswith(SITE_LIMIT_EXEMPT_PREFIXES):
        return False
    if request.method in ("HEAD", "OPTIONS"):
        return False
    return not (
        path.startswith("/videos/") and path.endswith(SITE_LIMIT_EXEMPT_SUFFIXES)
    )


class SiteRateLimitMiddleware:
    """Apply SITE_LIMIT to every counted request of a logged-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if counts_against_site_limit(request) and SITE_LIMIT.hit(request):
            return rate_limited(request)
        return self.get_response(request)


def create_limit_wait(request: HttpRequest) -> int:
    """Count a create or remix; 0 if it may go ahead, else seconds until it may.

    The forms answer this themselves (429, with the typed prompt and settings kept on
    the form) rather than through the generic 429 page, which would lose them.
    """
    if not CREATE_LIMIT.hit(request):
        return 0
    return max(CREATE_LIMIT.seconds_left(request), 1)


def create_limit_message(wait_seconds: int) -> str:
    rate = CREATE_LIMIT.rate
    return (
        f"You have started as many videos as allowed in a short while ({rate}). "
        f"Please send this again in {_in_words(wait_seconds)}: your prompt and "
        "settings are kept below, and nothing was charged."
    )


@login_not_required
def rate_limited(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """The 429 page (django-ratelimit's RATELIMIT_VIEW and allauth's handler429).

    It says when to come back, as a time and as a wait, and links back to the page
    the person came from (when that is one of ours), not only to the start page.
    """
    retry_after = _seconds_until_allowed(request)
    browsing = request.user.is_authenticated and SITE_LIMIT.seconds_left(request) > 0
    response = render(
        request,
        "429.html",
        {
            "browsing": browsing,
            "retry_after": retry_after,
            "retry_in_words": _in_words(retry_after),
            "retry_at": timezone.localtime() + timedelta(seconds=retry_after),
            "back_url": _page_came_from(request),
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _seconds_until_allowed(request: HttpRequest) -> int:
    """When the tightest exhausted limit of ours resets; allauth's window otherwise."""
    waits = []
    if request.user.is_authenticated:
        waits = [limit.seconds_left(request) for limit in (CREATE_LIMIT, SITE_LIMIT)]
    return max(waits, default=0) or ALLAUTH_WINDOW_SECONDS


def _in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _page_came_from(request: HttpRequest) -> str:
    """The Referer when it is a page of this site (never an open redirect), else ""."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return referer
    return ""
