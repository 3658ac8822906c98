"""The per-video polling schedule."""

import pytest
from django.utils import timezone

from videos import backoff


@pytest.fixture(autouse=True)
def schedule(settings):
    settings.POLL_INTERVAL_MIN = 5.0
    settings.POLL_INTERVAL_MAX = 20.0
    settings.POLL_JITTER = 0.1


def test_intervals_double_from_floor_to_ceiling_and_cap():
    intervals, current = [], 0.0
    for _ in range(5):
        current = backoff.next_interval(current, progressed=False)
        intervals.append(current)
    assert intervals == [5.0, 10.0, 20.0, 20.0, 20.0]


def test_progress_resets_to_the_floor():
    assert backoff.next_interval(20.0, progressed=True) == 5.0


def test_upstream_hint_is_honoured_within_floor_and_ceiling():
    assert backoff.next_interval(5.0, progressed=True, hint=12.0) == 12.0
    assert backoff.next_interval(5.0, progressed=True, hint=1.0) == 5.0
    assert backoff.next_interval(5.0, progressed=True, hint=300.0) == 20.0
    assert backoff.next_interval(10.0, progressed=False, hint=1.0) == 20.0


def test_jitter_spreads_but_stays_within_bounds():
    values = {round(backoff.jittered(10.0), 3) for _ in range(200)}
    assert len(values) > 50
    assert all(9.0 <= value <= 11.0 for value in values)
    assert all(5.0 <= backoff.jittered(5.0) <= 5.5 for _ in range(100))
    assert all(18.0 <= backoff.jittered(20.0) <= 20.0 for _ in range(100))


def test_retry_after_is_never_undercut():
    now = timezone.now()
    for _ in range(100):
        due = backoff.due_after(now, 5.0, not_before=60.0)
        assert (due - now).total_seconds() >= 60.0
