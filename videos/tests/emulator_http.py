"""A tiny HTTP client for the emulator tests, and the helpers they share.

Not a test module. The `test_emulator_*.py` files speak to the Videos API emulator with
`http.client` on purpose: they check the wire itself (status lines, headers, framing,
keep-alive, chunked bodies, dropped connections), which the product's SDK wrapper and the
`openai` SDK would hide. `Reply` checks every JSON error against OpenAI's error shape,
so each test that reads an error also checks that shape.
"""

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from videos.emulator import EmulatorServer
from videos.emulator.clips import ClipSpec
from videos.emulator.control import EmulatorClient
from videos.tests.emulator_fixtures import TEST_API_KEY

API_KEY = TEST_API_KEY
"""The bearer token every request sends unless it asks for `auth=False`."""

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
"""The keys of a video object, as OpenAI's Videos API answers it."""

ERROR_KEYS = {"message", "type", "param", "code"}
"""The keys of an error object, as OpenAI's API answers it."""


@dataclass
class Reply:
    """One HTTP answer, read in full."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """The body as JSON; it must be labelled `application/json`."""
        assert self.headers["Content-Type"] == "application/json"
        return json.loads(self.body)

    def error(self) -> dict[str, Any]:
        """The `error` object of the body, which must have OpenAI's four keys."""
        error = self.json()["error"]
        assert set(error) == ERROR_KEYS
        return error


def connect(root_url: str, timeout: float = 10.0) -> http.client.HTTPConnection:
    """A connection to the server at `root_url`, for tests that reuse one (keep-alive)."""
    url = urlsplit(root_url)
    if not url.hostname:
        raise ValueError(f"no host in the emulator's URL {root_url!r}")
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
    """One request on `connection`, with the API key unless `auth` is false."""
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
    """`POST /v1/videos` as a form, as the SDK sends it; the reply is not checked."""
    body, content_type = multipart(fields, files)
    return call(
        emulator,
        "POST",
        "/v1/videos",
        body=body,
        headers={"Content-Type": content_type},
    )


def create(
    emulator: EmulatorClient, prompt: str = "A red fox in fresh snow", **fields: str
) -> dict[str, Any]:
    """A created video (the create must succeed)."""
    # `files=None` spelled out: otherwise a field could be taken for the files.
    reply = post_create(emulator, files=None, prompt=prompt, **fields)
    assert reply.status == 200, reply.body
    return reply.json()


def completed(
    emulator: EmulatorClient, prompt: str = "A red fox in fresh snow", **fields: str
) -> dict[str, Any]:
    """A created video, finished at once through the control endpoint."""
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
    """`GET /v1/videos/{video_id}`."""
    return call(emulator, "GET", f"/v1/videos/{video_id}")


def content(emulator: EmulatorClient, video_id: str, **options: Any) -> Reply:
    """`GET /v1/videos/{video_id}/content`, with `call`'s options (query, headers)."""
    return call(emulator, "GET", f"/v1/videos/{video_id}/content", **options)
