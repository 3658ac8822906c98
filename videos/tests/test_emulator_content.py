"""Downloading a video's content from the emulator (`GET /v1/videos/{id}/content`).

Covers the content route in videos/emulator/videos_api.py, assets.py (each variant's
real clip from the clip cache, clips.py, or a generated body of a configured size),
ranges.py (206, 416, and the full body for a malformed or multiple range), expiry
(state.py), and the streaming in server.py (HEAD, keep-alive across requests, a client
leaving mid-body counted by stats.py). Also checks the committed sample files.
"""

import io
import socket
import time
from urllib.parse import urlsplit

import pytest
from PIL import Image

from videos.emulator.assets import CHUNK_SIZE, generated_bytes
from videos.tests.emulator_http import (
    API_KEY,
    call,
    clip_bytes,
    completed,
    connect,
    content,
    create,
    retrieve,
    send,
)
from videos.tests.helpers import SAMPLES, wait_until


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
