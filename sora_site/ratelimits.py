"""Rate limits: what each is, the 429 page every limit answers with, the client IP.

Sign-up and login are limited per IP by allauth (`ACCOUNT_RATE_LIMITS`); creating and
remixing, and browsing in general, per user by django-ratelimit. All of them count in
the default cache, which must be shared by every process (Redis) for a limit to hold.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit import ALL
from django_ratelimit.core import get_usage, is_ratelimited
from django_ratelimit.exceptions import Ratelimited


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


CREATE_LIMIT = Limit(group="videos.create", rate_setting="RATE_LIMIT_CREATE")
"""Valid create and remix submissions together: each one spends real money upstream
(a form sent back with errors costs nothing and is not counted here)."""

SITE_LIMIT = Limit(group="site", rate_setting="RATE_LIMIT_SITE")
"""Everything else a logged-in user asks for, page views and form posts alike."""

SITE_LIMIT_EXEMPT_PREFIXES = ("/static/", "/health")
"""Not counted: assets, the health check, and (below) what the pages fetch by
themselves — video bytes (the player's Range requests, the list's thumbnails) and
the live status polls; counting those would lock out anyone watching a render."""

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
    path = request.path
    if not request.user.is_authenticated or path.startswith(SITE_LIMIT_EXEMPT_PREFIXES):
        return False
    return not (
        path.startswith("/videos/") and path.endswith(("/content/", "/status/"))
    )


class SiteRateLimitMiddleware:
    """Apply SITE_LIMIT to every counted request of a logged-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if counts_against_site_limit(request) and SITE_LIMIT.hit(request):
            return rate_limited(request)
        return self.get_response(request)


def enforce_create_limit(request: HttpRequest) -> None:
    """Raise django-ratelimit's Ratelimited (its middleware answers 429) when over."""
    if CREATE_LIMIT.hit(request):
        raise Ratelimited()


@login_not_required
def rate_limited(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """The 429 page (django-ratelimit's RATELIMIT_VIEW and allauth's handler429)."""
    retry_after = _seconds_until_allowed(request)
    minutes = max(math.ceil(retry_after / 60), 1)
    response = render(
        request,
        "429.html",
        {"retry_after": retry_after, "retry_minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _seconds_until_allowed(request: HttpRequest) -> int:
    """When the tightest exhausted limit of ours resets; allauth's window otherwise."""
    waits = []
    if request.user.is_authenticated:
        for limit in (CREATE_LIMIT, SITE_LIMIT):
            usage = get_usage(
                request,
                group=limit.group,
                key=limit.key,
                rate=limit.rate,
                method=limit.method,
                increment=False,
            )
            if usage and usage["should_limit"] and usage["time_left"] > 0:
                waits.append(usage["time_left"])
    return max(waits) if waits else ALLAUTH_WINDOW_SECONDS
