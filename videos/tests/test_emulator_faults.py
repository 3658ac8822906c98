"""Faults injected into the emulator's next requests, over raw HTTP.

Covers videos/emulator/faults.py (429 with Retry-After, 500 and 503, hang, drop, cut;
exact paths, one-segment wildcards, methods and counts), how app.py applies and counts
them, and the `/_emulator/faults` control route (control_api.py) that refuses invalid
faults, lists pending ones and forgets them on reset.
"""

import http.client
import time

import pytest

from videos.tests.emulator_http import (
    call,
    completed,
    content,
    post_create,
    retrieve,
)
from videos.tests.helpers import wait_until


def test_429_fault_with_retry_after_hits_once(emulator):
    emulator.inject_fault("/v1/videos", "429", method="GET", retry_after=7)

    limited = call(emulator, "GET", "/v1/videos")
    after = call(emulator, "GET", "/v1/videos")

    assert limited.status == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.error()["code"] == "rate_limit_exceeded"
    assert after.status == 200


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_error_faults(emulator, kind):
    emulator.inject_fault("/v1/videos", kind, count=2)

    replies = [call(emulator, "GET", "/v1/videos") for _ in range(3)]

    assert [r.status for r in replies] == [int(kind), int(kind), 200]
    assert replies[0].error()["type"] == "server_error"


def test_a_fault_matches_the_exact_path_and_method(emulator):
    source = completed(emulator)
    emulator.inject_fault("/v1/videos", "500", method="POST")

    remix = call(
        emulator,
        "POST",
        f"/v1/videos/{source['id']}/remix",
        json_body={"prompt": "Again"},
    )
    listed = call(emulator, "GET", "/v1/videos")
    created = post_create(emulator, prompt="x")

    assert (remix.status, listed.status, created.status) == (200, 200, 500)


def test_a_wildcard_matches_one_segment(emulator):
    video = completed(emulator)
    emulator.inject_fault("/v1/videos/*", "503", method="GET", count=5)

    listed = call(emulator, "GET", "/v1/videos")
    downloaded = content(emulator, video["id"])
    retrieved = retrieve(emulator, video["id"])

    assert (listed.status, downloaded.status, retrieved.status) == (200, 200, 503)


def test_hang_fault_delays_then_answers(emulator):
    emulator.inject_fault("/v1/videos", "hang", method="GET", seconds=0.5)
    started = time.monotonic()

    reply = call(emulator, "GET", "/v1/videos")

    assert reply.status == 200
    assert time.monotonic() - started >= 0.5


def test_drop_fault_acts_but_never_answers(emulator):
    emulator.inject_fault("/v1/videos", "drop", method="POST")

    with pytest.raises(http.client.RemoteDisconnected):
        post_create(emulator, prompt="Lost answer")

    assert [v["prompt"] for v in emulator.videos()] == ["Lost answer"]
    assert emulator.stats()["creates"] == 1
    assert post_create(emulator, prompt="Second try").status == 200


def test_cut_fault_sends_half_the_body_then_hangs_up(emulator):
    video = completed(emulator)
    emulator.inject_fault("/v1/videos/*/content", "cut", method="GET")

    with pytest.raises(http.client.IncompleteRead) as cut:
        content(emulator, video["id"])

    full = content(emulator, video["id"]).body
    assert cut.value.partial == full[: len(full) // 2]
    # Counted once the last byte is written: the client may have read it before.
    wait_until(lambda: emulator.stats()["streams_completed"] == 1)


def test_faulted_requests_are_counted(emulator):
    emulator.inject_fault("/v1/videos", "500", method="POST")

    post_create(emulator, prompt="x")

    stats = emulator.stats()
    assert stats["requests"]["POST /v1/videos"] == 1
    assert stats["creates"] == 0


@pytest.mark.parametrize(
    "fault",
    [
        {"path": "/v1/videos", "kind": "418"},
        {"path": "/_emulator/stats", "kind": "500"},
        {"path": "/v1/videos", "kind": "500", "count": 0},
        {"path": "/v1/videos", "kind": "429", "retry_after": "soon"},
    ],
)
def test_invalid_faults_are_refused(emulator, fault):
    reply = call(emulator, "POST", "/_emulator/faults", json_body=fault, auth=False)

    assert reply.status == 400


def test_inject_fault_lists_pending_faults_and_reset_clears_them(emulator):
    pending = emulator.inject_fault("/v1/videos/*", "hang", seconds=3, count=2)

    assert pending == [
        {
            "path": "/v1/videos/*",
            "kind": "hang",
            "method": None,
            "count": 2,
            "retry_after": None,
            "seconds": 3.0,
        }
    ]
    emulator.reset()
    assert call(emulator, "GET", "/_emulator/faults").json() == {"faults": []}
