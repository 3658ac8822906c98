"""Creating a video on the emulator (`POST /v1/videos`), over raw HTTP.

Covers videos/emulator/videos_api.py (the create's answer and its validation of prompt,
model, size, seconds and input_reference), multipart.py (the form the SDK sends, with
file parts byte-exact) and the body handling in server.py (JSON and chunked bodies, and
the 25 MB limit answered with 413 on a connection that stays usable).
"""

import io
import re
import time

import pytest
from PIL import Image

from videos.tests.emulator_http import (
    VIDEO_KEYS,
    call,
    connect,
    create,
    multipart,
    post_create,
    send,
)


def image(width: int, height: int, fmt: str) -> bytes:
    """A plain picture of that size in that format (PIL's name: PNG, JPEG, WEBP, GIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


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
