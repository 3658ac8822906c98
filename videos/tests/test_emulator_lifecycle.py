"""A video's life on the emulator, its retrieve, its prompt triggers and moderation.

Covers videos/emulator/state.py (queued, in progress with rising progress, completed,
with the poll hint header), the retrieve route in videos_api.py, triggers.py (`[refuse]`,
`[fail]`, `[slow]`, `[flag]`) and moderations_api.py (`POST /v1/moderations`), plus the
control endpoint that completes a video at once (control_api.py).
"""

import time

import pytest

from videos.tests.emulator_http import (
    call,
    content,
    create,
    post_create,
    retrieve,
)


def sleep_until(moment: float) -> None:
    """Sleep until `moment` on the monotonic clock (at once if it has passed)."""
    time.sleep(max(0.0, moment - time.monotonic()))


# --- Lifecycle and retrieve ---------------------------------------------------------------


def test_a_video_goes_queued_in_progress_completed(emulator):
    emulator.configure(render_seconds=2.0)
    video = create(emulator)
    # Counted from the answer: the render began before it, so 2.1 s from here is
    # always past its end, however long the create took on a busy machine.
    started = time.monotonic()

    queued = retrieve(emulator, video["id"])
    assert queued.json()["status"] == "queued"
    assert queued.headers["openai-poll-after-ms"] == "1000"

    sleep_until(started + 0.8)
    running = retrieve(emulator, video["id"])
    assert running.json()["status"] == "in_progress"
    assert 1 <= running.json()["progress"] <= 99
    assert running.headers["openai-poll-after-ms"] == "1000"

    sleep_until(started + 2.1)
    done = retrieve(emulator, video["id"])
    finished = done.json()
    assert finished["status"] == "completed"
    assert finished["progress"] == 100
    assert finished["completed_at"] >= finished["created_at"]
    assert finished["expires_at"] == finished["completed_at"] + 3600
    assert finished["error"] is None
    assert "openai-poll-after-ms" not in done.headers


def test_progress_rises(emulator):
    emulator.configure(render_seconds=3.0)
    video = create(emulator)
    time.sleep(0.6)
    first = retrieve(emulator, video["id"]).json()["progress"]
    time.sleep(0.6)
    second = retrieve(emulator, video["id"]).json()["progress"]

    assert 1 <= first < second <= 99


def test_the_poll_hint_is_configurable(emulator):
    emulator.configure(poll_after_ms=250)
    video = create(emulator)

    assert retrieve(emulator, video["id"]).headers["openai-poll-after-ms"] == "250"


def test_complete_finishes_a_video_now(emulator):
    emulator.configure(render_seconds=3600)
    video = create(emulator)
    emulator.complete(video["id"])

    assert retrieve(emulator, video["id"]).json()["status"] == "completed"


def test_retrieve_of_an_unknown_video_is_404(emulator):
    reply = retrieve(emulator, "video_" + "0" * 32)

    assert reply.status == 404
    assert reply.error()["code"] == "video_not_found"


# --- Prompt triggers ----------------------------------------------------------------------


def test_refuse_trigger_blocks_the_create(emulator):
    reply = post_create(emulator, prompt="Something [refuse] worthy")

    assert reply.status == 400
    error = reply.error()
    assert error["code"] == "moderation_blocked"
    assert error["type"] == "invalid_request_error"
    assert error["message"] == "Your request was blocked by our moderation system."
    assert emulator.videos() == []
    assert emulator.stats()["creates"] == 0


def test_fail_trigger_ends_failed(emulator):
    emulator.configure(render_seconds=0.3)
    video = create(emulator, "A doomed [fail] render")
    assert retrieve(emulator, video["id"]).json()["status"] in ("queued", "in_progress")
    time.sleep(0.4)

    failed = retrieve(emulator, video["id"]).json()

    assert failed["status"] == "failed"
    assert failed["error"] == {
        "code": "generation_failed",
        "message": "The video could not be generated. Try a different prompt.",
    }
    assert failed["completed_at"] is None
    assert failed["expires_at"] is None
    assert content(emulator, video["id"]).error()["code"] == "video_not_ready"


def test_slow_trigger_renders_ten_times_longer(emulator):
    emulator.configure(render_seconds=0.3)
    normal = create(emulator, "Quick")
    slow = create(emulator, "Take your time [slow]")
    time.sleep(0.4)

    assert retrieve(emulator, normal["id"]).json()["status"] == "completed"
    assert retrieve(emulator, slow["id"]).json()["status"] == "in_progress"


def test_flag_trigger_flags_the_moderation(emulator):
    reply = call(
        emulator,
        "POST",
        "/v1/moderations",
        json_body={
            "model": "omni-moderation-latest",
            "input": ["Fine", "Not [flag] fine"],
        },
    )

    assert reply.status == 200
    body = reply.json()
    assert body["id"].startswith("modr-")
    assert body["model"] == "omni-moderation-latest"
    fine, flagged = body["results"]
    assert fine["flagged"] is False
    assert not any(fine["categories"].values())
    assert flagged["flagged"] is True
    assert flagged["categories"]["violence"] is True
    assert flagged["category_scores"]["violence"] > 0.5


def test_moderation_of_a_string(emulator):
    reply = call(emulator, "POST", "/v1/moderations", json_body={"input": "Calm seas"})

    assert [result["flagged"] for result in reply.json()["results"]] == [False]


@pytest.mark.parametrize("body", [{}, {"input": 5}, {"input": []}])
def test_moderation_needs_an_input(emulator, body):
    reply = call(emulator, "POST", "/v1/moderations", json_body=body)

    assert reply.status == 400
    assert reply.error()["param"] == "input"
