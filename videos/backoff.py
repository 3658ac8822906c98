"""When to ask the host about a video again.

Hosts that report progress: start at the floor, double on every poll that brings no
news up to the ceiling, fall back to the floor when progress moves.

Hosts that report none (progress 0 until done): progress cannot tell us anything, but
this installation's history can (`videos.estimates`): poll sparsely (at most a
ceiling apart) until the window in which the video will most likely finish, at the
floor inside it, so completion is seen within seconds, and back off to the ceiling
again once it is past (a video far past its estimate is still polled, at the
ceiling). `window_interval` chooses.

The host's own hint (`openai-poll-after-ms`) and `Retry-After` are minimums. Jitter
spreads a thousand videos created together so they do not poll in lockstep; inside
the window it only shortens an interval, never stretches it past the floor.
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


def window_interval(
    elapsed: float, window: tuple[float, float], *, previous: float
) -> float:
    """The next interval for a video expected to finish within `window` (seconds
    after acceptance), `elapsed` seconds after acceptance."""
    start, end = window
    if elapsed < start:
        # Sparse, landing the next poll on the window's start, a ceiling at most.
        return min(max(start - elapsed, floor()), ceiling())
    if elapsed <= end:
        return floor()
    return min(max(previous * 2, floor()), ceiling())


def jittered(
    seconds: float, *, not_before: float = 0.0, only_shorter: bool = False
) -> float:
    """`seconds` ± POLL_JITTER within the floor and ceiling, never below `not_before`.

    `not_before` carries an upstream's Retry-After or poll hint, which jitter must not
    undercut (it may exceed the ceiling: the upstream's word wins). `only_shorter`
    keeps a dense schedule's promise: never later than asked.
    """
    spread = settings.POLL_JITTER
    value = seconds * random.uniform(1 - spread, 1 if only_shorter else 1 + spread)
    value = min(max(value, floor()), ceiling())
    return max(value, not_before)


def due_after(
    now: datetime,
    seconds: float,
    *,
    not_before: float = 0.0,
    only_shorter: bool = False,
) -> datetime:
    return now + timedelta(
        seconds=jittered(seconds, not_before=not_before, only_shorter=only_shorter)
    )
