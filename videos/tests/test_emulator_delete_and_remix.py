"""Deleting and remixing videos on the emulator, over raw HTTP.

Covers the delete and remix routes in videos/emulator/videos_api.py: a deleted video is
404 everywhere (and still in the control dump, state.py); a remix needs a completed
source, copies its model, size and seconds, and has its prompt checked and its triggers
applied as a create's are (triggers.py).
"""

import pytest

from videos.tests.emulator_http import (
    VIDEO_KEYS,
    call,
    completed,
    content,
    create,
    retrieve,
)

# --- Delete -------------------------------------------------------------------------------


def test_delete_then_everything_is_404(emulator):
    video = completed(emulator)

    reply = call(emulator, "DELETE", f"/v1/videos/{video['id']}")

    assert reply.status == 200
    assert reply.json() == {
        "id": video["id"],
        "object": "video.deleted",
        "deleted": True,
    }
    assert retrieve(emulator, video["id"]).status == 404
    assert content(emulator, video["id"]).error()["code"] == "video_not_found"
    assert call(emulator, "DELETE", f"/v1/videos/{video['id']}").status == 404
    assert (
        call(
            emulator,
            "POST",
            f"/v1/videos/{video['id']}/remix",
            json_body={"prompt": "x"},
        ).status
        == 404
    )
    assert [v["deleted"] for v in emulator.videos()] == [True]


# --- Remix --------------------------------------------------------------------------------


def test_remix_of_a_completed_video(emulator):
    source = completed(emulator, model="sora-2-pro", size="1024x1792", seconds="8")

    reply = call(
        emulator,
        "POST",
        f"/v1/videos/{source['id']}/remix",
        json_body={"prompt": "Now at night"},
    )

    assert reply.status == 200
    remix = reply.json()
    assert set(remix) == VIDEO_KEYS
    assert remix["id"] != source["id"]
    assert remix["remixed_from_video_id"] == source["id"]
    assert remix["status"] == "queued"
    assert remix["prompt"] == "Now at night"
    assert (remix["model"], remix["size"], remix["seconds"]) == (
        "sora-2-pro",
        "1024x1792",
        "8",
    )
    assert emulator.stats()["creates"] == 2


def test_remix_needs_a_completed_source(emulator):
    emulator.configure(render_seconds=3600)
    source = create(emulator)

    reply = call(
        emulator,
        "POST",
        f"/v1/videos/{source['id']}/remix",
        json_body={"prompt": "Again"},
    )

    assert reply.status == 400
    error = reply.error()
    assert error["code"] == "invalid_request"
    assert "must be completed" in error["message"]


def test_remix_of_an_unknown_video_is_404(emulator):
    reply = call(
        emulator, "POST", "/v1/videos/video_nope/remix", json_body={"prompt": "Again"}
    )

    assert reply.status == 404
    assert reply.error()["code"] == "video_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"prompt": "Again [refuse]"}, "moderation_blocked"),
        ({}, "missing_required_parameter"),
    ],
)
def test_remix_prompt_is_checked_like_a_create(emulator, body, code):
    source = completed(emulator)

    reply = call(emulator, "POST", f"/v1/videos/{source['id']}/remix", json_body=body)

    assert reply.status == 400
    assert reply.error()["code"] == code
    assert emulator.stats()["creates"] == 1


def test_remix_triggers_apply(emulator):
    source = completed(emulator)
    remix = call(
        emulator,
        "POST",
        f"/v1/videos/{source['id']}/remix",
        json_body={"prompt": "[fail]"},
    ).json()

    assert emulator.complete(remix["id"])["status"] == "failed"
