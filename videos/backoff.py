"""When to ask the upstream about a video again.

Per video: start at the floor, double on every poll that brings no news up to the
ceiling, fall back to the floor when progress moves. The upstream's own hint
(`openai-poll-after-ms`) and `Retry-After` are minimums. Jitter spreads a thousand videos
created together so they do not poll in lockstep.
"""

import random
from datetime import datetime, timedelta

from django.conf import settings


def floor() -> float:
    return settings.POLL_INTERVAL_MIN


def ceiling() -> float:
    return settings.POLL_INTERVAL_MAX


def next_interval(
    current: float, *, progressed: bool, hint: float | None = None
) -> float:
    """The next backoff interval in seconds, before jitter."""
    if progressed or current <= 0:
        interval = floor()
    else:
        interval = min(current * 2, ceiling())
    if hint is not None:
        interval = max(interval, hint)
    return min(max(interval, floor()), ceiling())


def jittered(seconds: float, *, not_before: float = 0.0) -> float:
    """`seconds` ± POLL_JITTER within the floor and ceiling, never below `not_before`.

    `not_before` carries an upstream's Retry-After or poll hint, which jitter must not
    undercut (it may exceed the ceiling: the upstream's word wins).
    """
    spread = settings.POLL_JITTER
    value = seconds * random.uniform(1 - spread, 1 + spread)
    value = min(max(value, floor()), ceiling())
    return max(value, not_before)


def due_after(now: datetime, seconds: float, *, not_before: float = 0.0) -> datetime:
    return now + timedelta(seconds=jittered(seconds, not_before=not_before))
