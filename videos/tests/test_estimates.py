"""Render-time estimates from this installation's history, the words people read, and
the poll schedule they drive for hosts that report no progress."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from videos import backoff, estimates, services
from videos.models import Video

Status = Video.Status

pytestmark = pytest.mark.django_db

MODEL, SIZE = "sora-2", "1280x720"


@pytest.fixture
def history(user, make_video):
    """Completed videos that took the given render times (seconds), newest last."""

    def make(*durations: float, model=MODEL, size=SIZE, seconds=4) -> None:
        now = timezone.now()
        for index, taken in enumerate(durations):
            finished = now - timedelta(minutes=len(durations) - index)
            make_video(
                user,
                model=model,
                size=size,
                seconds=seconds,
                status=Status.COMPLETED,
                submitted_at=finished - timedelta(seconds=taken),
                completed_at=finished,
            )

    return make


def test_without_history_a_first_guess_scaled_by_length(settings):
    settings.RENDER_SECONDS_PER_VIDEO_SECOND = 15
    guess = estimates.learn(model=MODEL, size=SIZE, seconds=8)
    assert (guess.seconds, guess.samples) == (120, 0)
    assert guess.spread == pytest.approx(36)


def test_a_few_videos_are_not_yet_history(history):
    history(40, 44)
    assert estimates.learn(model=MODEL, size=SIZE, seconds=4).samples == 0


def test_the_median_of_recent_renders(history):
    history(40, 44, 46, 50, 52)
    estimate = estimates.learn(model=MODEL, size=SIZE, seconds=4)
    assert (estimate.seconds, estimate.samples) == (46, 5)
    assert 4 <= estimate.spread <= 8


def test_outliers_move_neither_the_median_nor_the_spread_much(history):
    history(40, 44, 46, 50, 52, 3600, 1)  # an hour stuck in a queue; a clock blip
    estimate = estimates.learn(model=MODEL, size=SIZE, seconds=4)
    assert estimate.seconds == 46
    assert estimate.spread < 10


def test_only_the_most_recent_are_used(history):
    history(*([200] * 30), *([50] * estimates.RECENT))
    assert estimates.learn(model=MODEL, size=SIZE, seconds=4).seconds == 50


def test_a_wider_group_answers_when_the_exact_one_is_new(history):
    history(40, 40, 40, size="720x1280")  # same model and length, another size
    assert estimates.learn(model=MODEL, size=SIZE, seconds=4).seconds == 40
    history(60, 60, 60, model="sora-2-pro", seconds=8)  # any length, scaled to this
    assert estimates.learn(model="sora-2-pro", size=SIZE, seconds=12).seconds == 90


def test_failed_and_other_models_do_not_count(history, user, make_video):
    history(30, 30, 30, model="sora-2-pro")
    make_video(user, status=Status.FAILED, model=MODEL, size=SIZE, seconds=4)
    assert estimates.learn(model=MODEL, size=SIZE, seconds=4).samples == 0


def test_an_accepted_video_learns_its_estimate(history, user, emulator):
    history(40, 44, 46)
    video = services.create_video(
        user=user, prompt="A kite", model=MODEL, size=SIZE, seconds=4
    )
    assert (video.expected_render_seconds, video.estimate_samples) == (44, 3)
    assert Video.objects.get(pk=video.pk).render_spread_seconds > 0


# --- what people read -------------------------------------------------------------------


def running(make_video, user, *, elapsed: float, expected=60.0, spread=5.0, **fields):
    now = timezone.now()
    fields.setdefault("model", "Wan-AI/Wan2.2-T2V-A14B-Diffusers")
    return make_video(
        user,
        status=Status.IN_PROGRESS,
        submitted_at=now - timedelta(seconds=elapsed),
        expected_render_seconds=expected,
        render_spread_seconds=spread,
        estimate_samples=10,
        **fields,
    )


@pytest.mark.parametrize(
    ("elapsed", "spread", "samples", "text"),
    [
        (21, 5, 10, "about 40 s left"),
        (55, 5, 10, "almost done"),
        (21, 40, 10, "about 1 min left"),  # varies a lot: no false precision
        (21, 5, 0, "about 1 min left"),  # a first guess: minutes only
        (63, 5, 10, "almost done"),  # a little past: within its usual spread
        (80, 5, 10, "taking longer than usual"),
    ],
)
def test_the_estimate_in_words(
    settings, make_video, user, elapsed, spread, samples, text
):
    settings.SORA_HOST_PRESET = "vllm-omni"
    video = running(make_video, user, elapsed=elapsed, spread=spread)
    video.estimate_samples = samples
    said = estimates.describe(video, timezone.now())
    assert said.text == text
    assert said.elapsed == pytest.approx(elapsed, abs=1)
    assert said.overdue is (text == "taking longer than usual")


def test_reported_progress_wins_where_the_host_gives_it(make_video, user):
    video = running(make_video, user, elapsed=30, model="sora-2", progress=50)
    assert estimates.describe(video, timezone.now()).text == "about 30 s left"


def test_pages_show_elapsed_time_and_what_is_left(
    settings, make_video, user, user_client
):
    settings.SORA_HOST_PRESET = "vllm-omni"
    video = running(make_video, user, elapsed=21)
    page = user_client.get(f"/videos/{video.pk}/").text
    assert "Rendering for <span data-elapsed>0:21</span>" in page
    assert "about 40 s left" in page
    assert "About 40 s left" in user_client.get("/videos/").text
    status = user_client.get(f"/videos/{video.pk}/status/").json()
    assert (status["estimate"], status["elapsed"]) == ("about 40 s left", 21)


# --- when the poller asks ---------------------------------------------------------------


def test_sparse_far_from_the_window_dense_inside_it(settings):
    settings.POLL_INTERVAL_MIN, settings.POLL_INTERVAL_MAX = 5.0, 20.0
    window = (48.0, 72.0)
    assert backoff.window_interval(0, window, previous=0) == 20  # the ceiling
    assert backoff.window_interval(40, window, previous=20) == 8  # lands on 48
    assert backoff.window_interval(46, window, previous=8) == 5  # never below floor
    assert backoff.window_interval(50, window, previous=5) == 5
    assert backoff.window_interval(72, window, previous=5) == 5
    assert backoff.window_interval(75, window, previous=5) == 10  # past: backs off
    assert backoff.window_interval(600, window, previous=20) == 20  # still asked


def times_polled(
    video: Video, *, until: float, hint: float | None = None
) -> list[float]:
    """The poll times the schedule picks for a video that never finishes."""
    schedule, elapsed = [], 0.0
    start = video.submitted_at
    assert start is not None, "a polled video has been submitted"
    while elapsed < until:
        change = services._next_poll(
            video, start + timedelta(seconds=elapsed), False, hint
        )
        video.poll_interval = change["poll_interval"]
        elapsed = (change["next_poll_at"] - start).total_seconds()
        schedule.append(round(elapsed, 1))
    return schedule


def test_a_video_without_progress_is_polled_densely_near_its_expected_finish(
    settings, make_video, user
):
    settings.SORA_HOST_PRESET = "vllm-omni"
    settings.POLL_INTERVAL_MIN, settings.POLL_INTERVAL_MAX = 5.0, 20.0
    video = running(make_video, user, elapsed=0, expected=60, spread=6)
    polls = times_polled(video, until=150)
    gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
    near = [gap for at, gap in zip(polls, gaps, strict=False) if 48 <= at < 72]
    assert (
        near and max(near) <= 5.0 + 0.1
    )  # dense where it will finish (0.1 s rounding)
    assert polls[0] >= 18  # sparse before: no poll in the first seconds
    assert all(gap <= 22 for gap in gaps)  # never more than the ceiling (+ jitter)
    assert max(gaps[-3:]) >= 18  # long past it: at the ceiling, still asked


def test_the_hosts_hint_is_a_minimum(settings, make_video, user):
    settings.SORA_HOST_PRESET = "vllm-omni"
    settings.POLL_INTERVAL_MIN, settings.POLL_INTERVAL_MAX = 5.0, 20.0
    video = running(make_video, user, elapsed=0, expected=60, spread=6)
    polls = times_polled(video, until=80, hint=8.0)
    gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
    assert min(gaps) >= 8.0 - 0.1  # the poll times are rounded to 0.1 s
