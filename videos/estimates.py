"""How long a video takes to render here, learned from this installation's own history.

Most hosts that serve the Videos API today report `progress` 0 until the job is done
(docs/hosts.md). So when a video is accepted, the recent completed videos of the
same model, size and length tell how long it will probably take: the median of their
render times (acceptance to completion), and how widely they vary (the median absolute
deviation, scaled to a standard deviation). Both are robust to the odd outlier (a
host's outage, a job stuck in a queue). Before there is enough history, a first guess
proportional to the video's length stands in, and says it is a guess.

The estimate is stored on the video (`expected_render_seconds`, `render_spread_seconds`,
`estimate_samples`), so pages and the poller read it without a query; `describe` turns
it into words for people, `poll_window` into the times the poller should look closely.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from videos.models import Video

RECENT = 25
"""Completed videos an estimate is learned from, newest first."""
MIN_SAMPLES = 3
"""Fewer than this, and a wider group (any size, then any length) is asked."""
MAD_TO_SIGMA = 1.4826
"""Scales a median absolute deviation to a normal distribution's standard deviation."""
MIN_SPREAD_FRACTION = 0.05
GUESS_SPREAD_FRACTION = 0.3
"""How unsure a first guess is, as a share of it."""
MIN_PROGRESS = 5
"""Below this many percent, reported progress says too little to extrapolate from."""
WINDOW_SPREADS = 2.2
"""Half the dense poll window, in spreads: wide enough for ~95 % of renders to end in
it even though 25 samples understate the spread (bench/bench_estimates.py: at 2.0,
90 % did), and no wider, since each 5 s of window costs a call."""


@dataclass(frozen=True)
class RenderEstimate:
    seconds: float
    """Expected time from acceptance to completion."""
    spread: float
    """How far from it a render typically ends (about one standard deviation)."""
    samples: int
    """Completed videos it was learned from; 0 for a first guess."""


def learn(*, model: str, size: str, seconds: int) -> RenderEstimate:
    """The render time to expect for a new video, from the most specific history.

    Same model, size and length first; then the same model and length; then the same
    model at any length, scaled by length. A first guess if none has enough.
    """
    groups = (
        Q(model=model, size=size, seconds=seconds),
        Q(model=model, seconds=seconds),
        Q(model=model),
    )
    for group in groups:
        durations = _recent_durations(group, scale_to=seconds)
        if len(durations) >= MIN_SAMPLES:
            return from_durations(durations)
    return first_guess(seconds)


def from_durations(durations: list[float]) -> RenderEstimate:
    """Median and robust spread of observed render times."""
    middle = statistics.median(durations)
    deviation = statistics.median(abs(d - middle) for d in durations) * MAD_TO_SIGMA
    spread = max(deviation, MIN_SPREAD_FRACTION * middle, 1.0)
    return RenderEstimate(seconds=middle, spread=spread, samples=len(durations))


def first_guess(seconds: int) -> RenderEstimate:
    guess = settings.RENDER_SECONDS_PER_VIDEO_SECOND * max(seconds, 1)
    return RenderEstimate(
        seconds=guess, spread=GUESS_SPREAD_FRACTION * guess, samples=0
    )


def _recent_durations(group: Q, *, scale_to: int) -> list[float]:
    rows = (
        Video.objects.filter(group, status=Video.Status.COMPLETED)
        .exclude(submitted_at=None)
        .exclude(completed_at=None)
        .order_by("-completed_at")
        .values_list("submitted_at", "completed_at", "seconds")[:RECENT]
    )
    durations = []
    for submitted, completed, length in rows:
        if submitted is None or completed is None:
            continue  # excluded by the query above
        taken = (completed - submitted).total_seconds()
        if taken > 0 and length:
            durations.append(taken * scale_to / length)
    return durations


# --- for people -------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """What a running video's page says about time."""

    elapsed: float
    remaining: float | None
    """Seconds left as far as we can tell; None when there is nothing to go on."""
    overdue: bool
    """Past what it usually takes (and then `remaining` is None)."""
    text: str
    """"about 40 s left", "about 3 min left", "taking longer than usual", or ""."""


def describe(video: Video, now: datetime) -> Progress:
    """Elapsed time, and what is left: from reported progress, else from history.

    Rounded to what the estimate can know: tens of seconds when it is tight, minutes
    when it varies by more than half a minute or is only a first guess.
    """
    started = video.submitted_at or video.created_at
    elapsed = max((now - started).total_seconds(), 0.0)
    if not video.is_rendering:
        return Progress(elapsed, None, False, "")
    remaining, spread = _remaining(video, elapsed)
    if remaining is None:
        return Progress(elapsed, None, False, "")
    if remaining < -spread:
        return Progress(elapsed, None, True, "taking longer than usual")
    coarse = spread > 30 or not video.estimate_samples
    return Progress(elapsed, max(remaining, 0.0), False, _words(remaining, coarse))


def _remaining(video: Video, elapsed: float) -> tuple[float | None, float]:
    if video.host_profile.progress and video.progress >= MIN_PROGRESS:
        total = elapsed * 100 / video.progress
        return total - elapsed, max(0.15 * (total - elapsed), 5.0)
    if video.expected_render_seconds is None:
        return None, 0.0
    return video.expected_render_seconds - elapsed, video.render_spread_seconds or 0.0


def _words(remaining: float, coarse: bool) -> str:
    if remaining <= 10:
        return "almost done"
    if remaining < 60 and not coarse:
        return f"about {max(round(remaining / 10), 1) * 10} s left"
    minutes = max(round(remaining / 60), 1)
    return f"about {minutes} min left"


def elapsed_text(seconds: float) -> str:
    """m:ss, for "Rendering for 1:05"."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


# --- for the poller ---------------------------------------------------------------------


def poll_window(video: Video) -> tuple[float, float] | None:
    """Seconds after acceptance between which it will most likely finish (~95 %)."""
    if video.expected_render_seconds is None:
        return None
    half = WINDOW_SPREADS * (video.render_spread_seconds or 0.0)
    return (
        max(video.expected_render_seconds - half, 0.0),
        video.expected_render_seconds + half,
    )
