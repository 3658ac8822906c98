"""The Sora emulator over raw HTTP: every endpoint, trigger, fault, Range case and control.

These tests speak HTTP with http.client on purpose (the product's SDK wrapper is tested
against the emulator elsewhere); one test drives the real `openai` SDK to prove that
the emulator speaks its wire format.
"""

import argparse
import http.client
import io
import json
import re
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import openai
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from videos.emulator import EmulatorServer
from videos.emulator.assets import CHUNK_SIZE, generated_bytes
from videos.emulator.clips import ClipSpec
from videos.emulator.control import EmulatorClient, EmulatorControlError
from videos.management.commands.sora_emulator import parse_byte_size
from videos.tests.helpers import SAMPLES

API_KEY = "sk-test-emulator"
VIDEO_KEYS = {
    "id",
    "object",
    "status",
    "progress",
    "model",
    "seconds",
    "size",
    "prompt",
    "created_at",
    "completed_at",
    "expires_at",
    "remixed_from_video_id",
    "error",
}
ERROR_KEYS = {"message", "type", "param", "code"}


# --- A tiny HTTP client -----------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        assert self.headers["Content-Type"] == "application/json"
        return json.loads(self.body)

    def error(self) -> dict[str, Any]:
        error = self.json()["error"]
        assert set(error) == ERROR_KEYS
        return error


def connect(root_url: str, timeout: float = 10.0) -> http.client.HTTPConnection:
    url = urlsplit(root_url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    auth: bool = True,
    **request_options: Any,
) -> Reply:
    headers = dict(headers or {})
    if auth:
        headers.setdefault("Authorization", f"Bearer {API_KEY}")
    connection.request(method, path, body=body, headers=headers, **request_options)
    response = connection.getresponse()
    return Reply(response.status, response.headers, response.read())


def call(
    emulator: EmulatorClient,
    method: str,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    json_body: Any = None,
    **options: Any,
) -> Reply:
    """One request on a fresh connection."""
    if query:
        path += "?" + urlencode(query)
    if json_body is not None:
        options["body"] = json.dumps(json_body).encode()
        options["headers"] = {
            "Content-Type": "application/json",
            **options.get("headers", {}),
        }
    connection = connect(emulator.root_url)
    try:
        return send(connection, method, path, **options)
    finally:
        connection.close()


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]] | None = None
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = "----emulator-test-boundary-7d0c"
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    for name, (filename, data, content_type) in (files or {}).items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode(),
            f"Content-Type: {content_type}".encode(),
            b"",
            data,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


def post_create(
    emulator: EmulatorClient,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    **fields: str,
) -> Reply:
    body, content_type = multipart(fields, files)
    return call(
        emulator,
        "POST",
        "/v1/videos",
        body=body,
        headers={"Content-Type": content_type},
    )


def create(
    emulator: EmulatorClient, prompt: str = "A red fox in fresh snow", **fields
) -> dict:
    reply = post_create(emulator, prompt=prompt, **fields)
    assert reply.status == 200, reply.body
    return reply.json()


def completed(
    emulator: EmulatorClient, prompt: str = "A red fox in fresh snow", **fields
) -> dict:
    video = create(emulator, prompt, **fields)
    return emulator.complete(video["id"])


def clip_bytes(
    server: EmulatorServer,
    variant: str = "video",
    size: str = "720x1280",
    seconds: str = "4",
) -> bytes:
    """What the server's clip cache holds for a variant of a clip (made if missing)."""
    return server.app.clips.get(variant, ClipSpec.of(size, seconds)).path.read_bytes()


def retrieve(emulator: EmulatorClient, video_id: str) -> Reply:
    return call(emulator, "GET", f"/v1/videos/{video_id}")


def content(emulator: EmulatorClient, video_id: str, **options: Any) -> Reply:
    return call(emulator, "GET", f"/v1/videos/{video_id}/content", **options)


def image(width: int, height: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def wait_until(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout}s")


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


# --- Auth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "empty", "not-bearer"],
)
def test_api_needs_a_bearer_token(emulator, headers):
    reply = call(emulator, "GET", "/v1/videos", headers=headers, auth=False)

    assert reply.status == 401
    error = reply.error()
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_api_key"
    assert error["param"] is None


def test_a_configured_api_key_must_match():
    with EmulatorServer(
        models={"sora-2": {"sizes": ["720x1280"], "seconds": [4]}}, api_key="right"
    ) as server:
        server.start()
        client = EmulatorClient(server.root_url)
        wrong = call(
            client, "GET", "/v1/videos", headers={"Authorization": "Bearer wrong"}
        )
        right = call(
            client, "GET", "/v1/videos", headers={"Authorization": "Bearer right"}
        )

    assert wrong.status == 401
    assert wrong.error()["code"] == "invalid_api_key"
    assert right.status == 200


def test_control_endpoints_need_no_key(emulator):
    assert call(emulator, "GET", "/_emulator/stats", auth=False).status == 200


# --- Create -----------------------------------------------------------------------------


def test_create_answers_a_queued_video_with_the_defaults(emulator):
    before = int(time.time())
    reply = post_create(emulator, prompt="  A red fox in fresh snow  ")

    assert reply.status == 200
    video = reply.json()
    assert set(video) == VIDEO_KEYS
    assert re.fullmatch(r"video_[0-9a-f]{32}", video["id"])
    assert video["object"] == "video"
    assert video["status"] == "queued"
    assert video["progress"] == 0
    assert (video["model"], video["size"], video["seconds"]) == (
        "sora-2",
        "720x1280",
        "4",
    )
    assert video["prompt"] == "A red fox in fresh snow"
    assert before <= video["created_at"] <= int(time.time())
    assert video["completed_at"] is None
    assert video["expires_at"] is None
    assert video["remixed_from_video_id"] is None
    assert video["error"] is None


def test_create_with_a_model_size_and_duration(emulator):
    video = create(emulator, model="sora-2-pro", size="1792x1024", seconds="12")

    assert (video["model"], video["size"], video["seconds"]) == (
        "sora-2-pro",
        "1792x1024",
        "12",
    )


def test_create_accepts_a_json_body(emulator):
    reply = call(
        emulator, "POST", "/v1/videos", json_body={"prompt": "Waves", "seconds": 8}
    )

    assert reply.status == 200
    assert reply.json()["seconds"] == "8"


def test_create_accepts_a_chunked_body(emulator):
    body, content_type = multipart({"prompt": "Chunked waves"})
    connection = connect(emulator.root_url)
    try:
        reply = send(
            connection,
            "POST",
            "/v1/videos",
            body=iter([body[:10], body[10:]]),
            headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
    finally:
        connection.close()

    assert reply.status == 200
    assert reply.json()["prompt"] == "Chunked waves"


def test_a_prompt_may_have_4000_characters(emulator):
    assert create(emulator, "p" * 4000)["prompt"] == "p" * 4000


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        ({}, "prompt", "Missing required parameter"),
        ({"prompt": "   "}, "prompt", "1 to 4000 characters"),
        ({"prompt": "p" * 4001}, "prompt", "1 to 4000 characters"),
        ({"prompt": "x", "model": "sora-3"}, "model", "sora-3"),
        (
            {"prompt": "x", "size": "1792x1024"},
            "size",
            "Allowed sizes for sora-2: 720x1280, 1280x720",
        ),
        ({"prompt": "x", "seconds": "5"}, "seconds", "Allowed values: 4, 8, 12"),
    ],
    ids=["no-prompt", "blank-prompt", "long-prompt", "model", "size", "seconds"],
)
def test_create_validation(emulator, fields, param, message):
    reply = post_create(emulator, **fields)

    assert reply.status == 400
    error = reply.error()
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    assert message in error["message"]
    assert emulator.videos() == []


def test_unknown_model_is_an_invalid_value(emulator):
    assert (
        post_create(emulator, prompt="x", model="dall-e").error()["code"]
        == "invalid_value"
    )


def test_create_needs_a_form(emulator):
    reply = call(
        emulator,
        "POST",
        "/v1/videos",
        body=b"prompt=x",
        headers={"Content-Type": "text/plain"},
    )

    assert reply.status == 400


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_input_reference_of_the_right_size_is_accepted(emulator, fmt):
    files = {
        "input_reference": (
            "ref.img",
            image(1280, 720, fmt),
            "application/octet-stream",
        )
    }
    reply = post_create(emulator, files, prompt="Animate this", size="1280x720")

    assert reply.status == 200


def test_input_reference_must_match_the_size(emulator):
    files = {"input_reference": ("ref.png", image(720, 1280, "PNG"), "image/png")}
    reply = post_create(emulator, files, prompt="Animate this", size="1280x720")

    assert reply.status == 400
    error = reply.error()
    assert error["param"] == "input_reference"
    assert "Inpaint image must match the requested width and height" in error["message"]


@pytest.mark.parametrize(
    "data", [image(720, 1280, "GIF"), b"not an image at all"], ids=["gif", "garbage"]
)
def test_input_reference_must_be_a_jpeg_png_or_webp(emulator, data):
    files = {"input_reference": ("ref.gif", data, "image/gif")}
    reply = post_create(emulator, files, prompt="Animate this")

    assert reply.status == 400
    assert reply.error()["param"] == "input_reference"


def test_a_body_over_25_mb_is_413_and_the_connection_stays_usable(emulator):
    connection = connect(emulator.root_url)
    try:
        too_large = send(
            connection,
            "POST",
            "/v1/videos",
            body=b"x" * (25 * 1024 * 1024 + 1),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        after = send(connection, "GET", "/v1/videos")
    finally:
        connection.close()

    assert too_large.status == 413
    assert too_large.error()["code"] == "request_too_large"
    assert after.status == 200


# --- Lifecycle and retrieve ---------------------------------------------------------------


def test_a_video_goes_queued_in_progress_completed(emulator):
    emulator.configure(render_seconds=2.0)
    started = time.monotonic()
    video = create(emulator)

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


# --- List ---------------------------------------------------------------------------------


def test_list_pages_newest_first(emulator):
    ids = [create(emulator, f"Video {n}")["id"] for n in range(5)]

    first = call(emulator, "GET", "/v1/videos", query={"limit": 2}).json()
    second = call(
        emulator, "GET", "/v1/videos", query={"limit": 2, "after": first["last_id"]}
    ).json()
    third = call(
        emulator, "GET", "/v1/videos", query={"limit": 2, "after": second["last_id"]}
    ).json()

    assert first["object"] == "list"
    assert [v["id"] for v in first["data"]] == [ids[4], ids[3]]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (
        ids[4],
        ids[3],
        True,
    )
    assert [v["id"] for v in second["data"]] == [ids[2], ids[1]]
    assert second["has_more"] is True
    assert [v["id"] for v in third["data"]] == [ids[0]]
    assert third["has_more"] is False
    assert set(third["data"][0]) == VIDEO_KEYS


def test_list_in_ascending_order(emulator):
    ids = [create(emulator, f"Video {n}")["id"] for n in range(3)]

    page = call(
        emulator, "GET", "/v1/videos", query={"order": "asc", "after": ids[0]}
    ).json()

    assert [v["id"] for v in page["data"]] == ids[1:]


def test_list_shows_20_by_default(emulator):
    for n in range(21):
        create(emulator, f"Video {n}")

    page = call(emulator, "GET", "/v1/videos").json()

    assert len(page["data"]) == 20
    assert page["has_more"] is True


def test_an_empty_list(emulator):
    page = call(emulator, "GET", "/v1/videos").json()

    assert page == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


def test_deleted_videos_are_not_listed_but_remain_a_valid_cursor(emulator):
    first, second, third = (create(emulator, f"Video {n}")["id"] for n in range(3))
    call(emulator, "DELETE", f"/v1/videos/{second}")

    listed = call(emulator, "GET", "/v1/videos").json()
    after_deleted = call(emulator, "GET", "/v1/videos", query={"after": second}).json()

    assert [v["id"] for v in listed["data"]] == [third, first]
    assert [v["id"] for v in after_deleted["data"]] == [first]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": "video_unknown"}, "after"),
    ],
)
def test_list_validation(emulator, query, param):
    reply = call(emulator, "GET", "/v1/videos", query=query)

    assert reply.status == 400
    assert reply.error()["param"] == param


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


# --- Content ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "content_type"),
    [
        (None, "video/mp4"),
        ("video", "video/mp4"),
        ("thumbnail", "image/webp"),
        ("spritesheet", "image/webp"),
    ],
)
def test_content_of_each_variant(emulator, emulator_server, variant, content_type):
    video = completed(emulator)
    query = {"variant": variant} if variant else None

    reply = call(
        emulator,
        "GET",
        f"/v1/videos/{video['id']}/content",
        query=query,
        headers={"Accept": "application/binary"},
    )

    assert reply.status == 200
    assert reply.headers["Content-Type"] == content_type
    assert reply.headers["Accept-Ranges"] == "bytes"
    assert int(reply.headers["Content-Length"]) == len(reply.body)
    assert "Content-Disposition" not in reply.headers
    assert reply.body == clip_bytes(emulator_server, variant or "video")
    if content_type == "video/mp4":
        assert reply.body[4:8] == b"ftyp"
    else:
        assert Image.open(io.BytesIO(reply.body)).format == "WEBP"


def test_the_committed_samples_are_what_they_claim():
    # No longer served (the emulator makes real clips); tests use them as fixtures.
    mp4 = (SAMPLES / "video.mp4").read_bytes()
    assert mp4[4:8] == b"ftyp"
    assert mp4.index(b"moov") < mp4.index(b"mdat")  # +faststart: playable while loading
    assert Image.open(SAMPLES / "thumbnail.webp").format == "WEBP"
    assert Image.open(SAMPLES / "spritesheet.jpg").format == "JPEG"
    files = ("video.mp4", "thumbnail.webp", "spritesheet.jpg")
    assert sum((SAMPLES / name).stat().st_size for name in files) < 500_000


def test_unknown_variant_is_400(emulator):
    video = completed(emulator)

    reply = content(emulator, video["id"], query={"variant": "poster"})

    assert reply.status == 400
    assert reply.error()["param"] == "variant"


def test_content_of_a_running_video_is_not_ready(emulator):
    emulator.configure(render_seconds=3600)
    video = create(emulator)

    reply = content(emulator, video["id"])

    assert reply.status == 400
    assert reply.error()["code"] == "video_not_ready"


def test_content_of_an_unknown_video_is_404(emulator):
    assert content(emulator, "video_nope").error()["code"] == "video_not_found"


def test_expired_content_is_404(emulator):
    video = completed(emulator)
    expired = emulator.expire(video["id"])

    reply = content(emulator, video["id"])

    assert reply.status == 404
    error = reply.error()
    assert error["code"] == "video_expired"
    assert "expired" in error["message"]
    assert expired["expires_at"] <= time.time()
    assert retrieve(emulator, video["id"]).json()["status"] == "completed"


def test_content_expires_after_expires_after(emulator):
    emulator.configure(expires_after=0.2)
    video = completed(emulator)
    assert content(emulator, video["id"]).status == 200
    time.sleep(0.3)

    assert content(emulator, video["id"]).error()["code"] == "video_expired"


def test_head_gives_the_headers_only(emulator, emulator_server):
    video = completed(emulator)

    reply = call(emulator, "HEAD", f"/v1/videos/{video['id']}/content")

    assert reply.status == 200
    assert reply.body == b""
    assert int(reply.headers["Content-Length"]) == len(clip_bytes(emulator_server))


# Ranges of the MP4, whose size is `n` bytes (the default 720x1280, 4 s clip's).
@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=0-99", lambda n: 0, lambda n: 99),
        (lambda n: "bytes=1000-", lambda n: 1000, lambda n: n - 1),
        ("bytes=-500", lambda n: n - 500, lambda n: n - 1),
        ("bytes=10-999999999", lambda n: 10, lambda n: n - 1),
        ("bytes=-999999999", lambda n: 0, lambda n: n - 1),
        (lambda n: f"bytes={n - 1}-{n - 1}", lambda n: n - 1, lambda n: n - 1),
    ],
)
def test_a_single_range_is_206(emulator, emulator_server, range_header, start, end):
    mp4 = clip_bytes(emulator_server)
    size = len(mp4)
    header = range_header(size) if callable(range_header) else range_header
    start, end = start(size), end(size)
    video = completed(emulator)

    reply = content(emulator, video["id"], headers={"Range": header})

    assert reply.status == 206
    assert reply.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert int(reply.headers["Content-Length"]) == end - start + 1
    assert reply.headers["Content-Type"] == "video/mp4"
    assert reply.body == mp4[start : end + 1]


@pytest.mark.parametrize(
    "range_header",
    [
        lambda n: f"bytes={n}-",
        lambda n: "bytes=999999999-1000000000",
        lambda n: "bytes=-0",
    ],
)
def test_an_unsatisfiable_range_is_416(emulator, emulator_server, range_header):
    size = len(clip_bytes(emulator_server))
    video = completed(emulator)

    reply = content(emulator, video["id"], headers={"Range": range_header(size)})

    assert reply.status == 416
    assert reply.headers["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize(
    "range_header", ["bytes=9-2", "bytes=0-1,5-6", "items=0-1", "bytes=abc", "bytes=-"]
)
def test_a_malformed_or_multiple_range_gets_the_full_body(
    emulator, emulator_server, range_header
):
    video = completed(emulator)

    reply = content(emulator, video["id"], headers={"Range": range_header})

    assert reply.status == 200
    assert reply.body == clip_bytes(emulator_server)


def test_generated_content_of_the_configured_size(emulator, emulator_server):
    size = 3 * CHUNK_SIZE + 123
    emulator.configure(content_bytes=size)
    video = completed(emulator)

    full = content(emulator, video["id"])
    middle = content(
        emulator,
        video["id"],
        headers={"Range": f"bytes={CHUNK_SIZE - 5}-{CHUNK_SIZE + 300}"},
    )
    thumbnail = content(emulator, video["id"], query={"variant": "thumbnail"})

    assert full.status == 200
    assert int(full.headers["Content-Length"]) == size
    assert full.body == bytes(i % 256 for i in range(size))
    assert middle.status == 206
    assert middle.body == generated_bytes(CHUNK_SIZE - 5, 306)
    assert middle.body == full.body[CHUNK_SIZE - 5 : CHUNK_SIZE + 301]
    assert thumbnail.body == clip_bytes(emulator_server, "thumbnail")


def test_an_empty_generated_body(emulator):
    emulator.configure(content_bytes=0)
    video = completed(emulator)

    assert content(emulator, video["id"]).body == b""
    assert content(emulator, video["id"], headers={"Range": "bytes=0-"}).status == 416


def test_a_client_leaving_mid_body_is_counted_and_harmless(emulator):
    emulator.configure(content_bytes=256 * CHUNK_SIZE)
    video = completed(emulator)
    url = urlsplit(emulator.root_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(
            f"GET /v1/videos/{video['id']}/content HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {API_KEY}\r\n\r\n".encode()
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )

    wait_until(lambda: emulator.stats()["streams_aborted"] == 1)
    assert retrieve(emulator, video["id"]).status == 200


def test_keep_alive_across_requests(emulator):
    video = completed(emulator)
    connection = connect(emulator.root_url)
    try:
        first = send(connection, "GET", f"/v1/videos/{video['id']}/content")
        second = send(connection, "GET", f"/v1/videos/{video['id']}")
        third = send(connection, "GET", "/v1/videos/video_nope")
        fourth = send(
            connection,
            "GET",
            f"/v1/videos/{video['id']}/content",
            headers={"Range": "bytes=0-9"},
        )
    finally:
        connection.close()

    assert [first.status, second.status, third.status, fourth.status] == [
        200,
        200,
        404,
        206,
    ]
    # The emulator counts a stream once it has finished writing it, which can be
    # just after the client has read the last byte.
    wait_until(lambda: emulator.stats()["streams_completed"] == 2)


# --- Faults -------------------------------------------------------------------------------


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


# --- Stats and control --------------------------------------------------------------------


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


# --- The server object and the command ------------------------------------------------------


def test_server_urls_and_lifecycle(emulator_server):
    assert emulator_server.root_url == f"http://127.0.0.1:{emulator_server.port}"
    assert emulator_server.base_url == emulator_server.root_url + "/v1"

    server = EmulatorServer(models={"m": {"sizes": ["64x64"], "seconds": [4]}}).start()
    with pytest.raises(RuntimeError):
        server.start()
    server.stop()
    server.stop()  # twice is fine

    with pytest.raises(OSError):
        connect(server.root_url, timeout=1).request("GET", "/_emulator/stats")


def test_stop_closes_idle_keep_alive_connections():
    server = EmulatorServer(models={"m": {"sizes": ["64x64"], "seconds": [4]}}).start()
    connection = connect(server.root_url)
    assert send(connection, "GET", "/_emulator/stats", auth=False).status == 200

    server.stop()

    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        send(connection, "GET", "/_emulator/stats", auth=False)
    connection.close()


def test_server_settings_are_validated():
    with pytest.raises(ValueError, match="render_seconds"):
        EmulatorServer(render_seconds=-1)
    with pytest.raises(ValueError, match="models"):
        EmulatorServer(models={"sora-2": {"sizes": ["720x1280"]}})


def test_a_taken_port_is_an_error(emulator_server):
    with pytest.raises(OSError):
        EmulatorServer(port=emulator_server.port)
    with pytest.raises(CommandError, match="already in use"):
        call_command("sora_emulator", "--port", str(emulator_server.port))


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("1048576", 1048576),
        ("512K", 512 * 1024),
        ("64m", 64 * 1024**2),
        ("1G", 1024**3),
    ],
)
def test_content_bytes_sizes(text, size):
    assert parse_byte_size(text) == size


@pytest.mark.parametrize("text", ["", "1.5G", "-1", "1T", "lots"])
def test_content_bytes_rejects_other_sizes(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_byte_size(text)


def test_the_command_refuses_a_bad_content_size():
    with pytest.raises(CommandError, match="not a size"):
        call_command("sora_emulator", "--content-bytes", "1T")


def test_command_help_documents_triggers_and_control(capsys):
    with pytest.raises(SystemExit):
        call_command("sora_emulator", "--help")

    help_text = capsys.readouterr().out
    for needle in (
        "[refuse]",
        "[fail]",
        "[flag]",
        "[slow]",
        "/_emulator/faults",
        "/_emulator/reset",
    ):
        assert needle in help_text


# --- The real SDK -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The Sora API is scheduled:DeprecationWarning")
def test_the_openai_sdk_can_create_retrieve_and_download(emulator, emulator_server):
    client = openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0)

    created = client.videos.create(
        prompt="A paper boat on a stream", size="1280x720", seconds="8"
    )
    assert created.status == "queued"
    emulator.complete(created.id)
    video = client.videos.retrieve(created.id)
    with client.videos.with_streaming_response.download_content(created.id) as response:
        headers = response.headers
        body = b"".join(response.iter_bytes(64 * 1024))
    with client.videos.with_streaming_response.download_content(
        created.id, variant="thumbnail", extra_headers={"Range": "bytes=0-15"}
    ) as response:
        status, start = response.status_code, response.read()
    page = client.videos.list(limit=1)

    assert video.status == "completed"
    assert (video.size, video.seconds, video.progress) == ("1280x720", "8", 100)
    assert headers["content-type"] == "video/mp4"
    assert body == clip_bytes(emulator_server, size="1280x720", seconds="8")
    thumbnail = clip_bytes(emulator_server, "thumbnail", size="1280x720", seconds="8")
    assert (status, start) == (206, thumbnail[:16])
    assert [v.id for v in page.data] == [created.id]
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve("video_nope")
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(prompt="[refuse]")
    assert refused.value.code == "moderation_blocked"
