"""An open download from the host, relayed or archived chunk by chunk."""

from collections.abc import Iterator
from typing import Any, Self

import openai

from videos.sora.errors import TransientError, classify

CONTENT_CHUNK_SIZE = 1024 * 1024
"""Relay chunk size: 1 MiB chunks cost far less CPU per GiB than 64 KiB ones."""

IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


UNLABELLED_TYPES = {"", "application/octet-stream", "application/binary"}


def image_type(head: bytes, declared: str = "") -> str | None:
    """The image type that a body's first bytes prove, or None if they prove none.

    A host that ignores `variant` answers a thumbnail request with the MP4, some
    even labelled as an image: the bytes must be an image, and the declared type
    (when the host gives one that says anything) must say so too.
    """
    if declared not in UNLABELLED_TYPES and not declared.startswith("image/"):
        return None
    for signature, content_type in IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class ContentStream:
    """An open download: status, headers, and chunks on demand.

    Iterating yields the body in `CONTENT_CHUNK_SIZE` chunks and closes the host
    connection when done; `close()` does so early (the client went away). Closing
    twice is harmless, so it is safe from both a `finally` and a response's close().
    `peek()` reads the first chunk ahead (to check what the body really is) without
    losing it for the iteration.
    """

    def __init__(self, manager: Any, response: Any) -> None:
        self._manager = manager
        self._response = response
        self._chunks: Iterator[bytes] | None = None
        self._peeked: bytes | None = None
        self._closed = False
        self.status_code: int = response.status_code
        self.headers: dict[str, str] = {
            k.lower(): v for k, v in response.headers.items()
        }

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def peek(self) -> bytes:
        """The first chunk of the body (b"" if empty), still to be yielded."""
        if self._peeked is None:
            self._peeked = next(self._iter_raw(), b"")
        return self._peeked

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self._peeked:
                yield self._peeked
            yield from self._iter_raw()
        finally:
            self.close()

    def _iter_raw(self) -> Iterator[bytes]:
        if self._chunks is None:
            self._chunks = self._read_chunks()
        return self._chunks

    def _read_chunks(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_bytes(CONTENT_CHUNK_SIZE)
        except openai.APIError as error:
            raise classify(error) from error
        except Exception as error:
            # httpx raises its own errors mid-body (peer closed, read timeout).
            raise TransientError(f"The download was interrupted: {error}") from error

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._manager.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
