"""The emulator's counters, its config and control routes, and its unknown routes.

Covers videos/emulator/stats.py (per-route and per-video counts), config.py (reset to the
defaults, configured models, invalid values refused), control_api.py and control.py
(`EmulatorClient`: reset, configure, complete, expire, the videos dump with deleted
ones) and the routing in app.py (404 and 405 in OpenAI's error shape).
"""

import pytest

from videos.emulator.control import EmulatorControlError
from videos.tests.emulator_http import (
    VIDEO_KEYS,
    call,
    completed,
    content,
    create,
    post_create,
    retrieve,
)


def test_stats_count_every_route(emulator):
    video = completed(emulator)
    retrieve(emulator, video["id"])
    retrieve(emulator, video["id"])
    retrieve(emulator, "video_other")
    call(emulator, "GET", "/v1/videos")
    content(emulator, video["id"])
    call(
        emulator,
        "POST",
        f"/v1/videos/{video['id']}/remix",
        json_body={"prompt": "Again"},
    )
    call(emulator, "POST", "/v1/moderations", json_body={"input": "x"})
    call(emulator, "DELETE", f"/v1/videos/{video['id']}")

    stats = emulator.stats()
    assert stats == {
        "requests": {
            "POST /v1/videos": 1,
            "GET /v1/videos/{id}": 3,
            "GET /v1/videos": 1,
            "DELETE /v1/videos/{id}": 1,
            "POST /v1/videos/{id}/remix": 1,
            "GET /v1/videos/{id}/content": 1,
            "POST /v1/moderations": 1,
        },
        "retrieves": {video["id"]: 2, "video_other": 1},
        "creates": 2,
        "streams_completed": 1,
        "streams_aborted": 0,
        "clips_encoded": stats["clips_encoded"],
    }
    assert stats["clips_encoded"] in (0, 1)  # 0 when the clip was in the cache


def test_reset_forgets_everything_and_restores_the_defaults(emulator):
    create(emulator)
    emulator.configure(poll_after_ms=5, content_bytes=10)

    config = emulator.reset(expires_after=60)

    assert emulator.videos() == []
    assert emulator.stats()["requests"]["POST /v1/videos"] == 0
    assert config["poll_after_ms"] == 1000
    assert config["content_bytes"] is None
    assert config["expires_after"] == 60
    assert config["render_seconds"] == 1.0  # the test server's default


def test_configured_models_replace_the_settings(emulator):
    emulator.configure(models={"tiny": {"sizes": ["64x64"], "seconds": [2]}})

    assert create(emulator, model="tiny", size="64x64", seconds="2")["model"] == "tiny"
    assert post_create(emulator, prompt="x").error()["param"] == "model"


@pytest.mark.parametrize(
    "config",
    [
        {"render_seconds": -1},
        {"render_seconds": "fast"},
        {"content_bytes": 1.5},
        {"colour": "blue"},
        {"models": {"m": {"sizes": []}}},
    ],
)
def test_invalid_config_is_refused(emulator, config):
    with pytest.raises(EmulatorControlError) as raised:
        emulator.configure(**config)

    assert raised.value.status == 400


@pytest.mark.parametrize("action", ["expire", "complete"])
def test_control_of_an_unknown_video_is_404(emulator, action):
    with pytest.raises(EmulatorControlError) as raised:
        getattr(emulator, action)("video_nope")

    assert raised.value.status == 404


def test_videos_dump_includes_deleted_ones(emulator):
    kept, deleted = create(emulator, "Kept"), create(emulator, "Deleted")
    call(emulator, "DELETE", f"/v1/videos/{deleted['id']}")

    dumped = emulator.videos()

    assert [(v["id"], v["deleted"]) for v in dumped] == [
        (kept["id"], False),
        (deleted["id"], True),
    ]
    assert set(dumped[0]) == VIDEO_KEYS | {"deleted"}


def test_unknown_route_is_404_json(emulator):
    reply = call(emulator, "GET", "/v1/images")

    assert reply.status == 404
    assert reply.error()["type"] == "invalid_request_error"


def test_wrong_method_is_405_json(emulator):
    reply = call(emulator, "PUT", "/v1/videos")

    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST"
    assert reply.error()["code"] == "method_not_allowed"
