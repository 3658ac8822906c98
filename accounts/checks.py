"""System checks for deployment mistakes that Django's own checks cannot see."""

from django.conf import settings
from django.core.checks import Error, Tags, register

SHARED_CACHE_BACKENDS = ("django_redis.cache.RedisCache",)


@register(Tags.security, deploy=False)
def check_shared_rate_limit_cache(app_configs, **kwargs) -> list[Error]:
    """Rate limits only hold if every process counts in one cache (Redis)."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend in SHARED_CACHE_BACKENDS:
        return []
    return [
        Error(
            "REDIS_URL is not set, so rate limits would be counted in per-process "
            "local memory and would not hold across gunicorn workers or servers.",
            hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0), or DEBUG=on for "
            "a single-process development server.",
            id="accounts.E001",
        )
    ]
