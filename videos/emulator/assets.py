"""The bytes behind `GET /v1/videos/{id}/content`: a real clip's files, or a generated body.

A completed video's `video` is a real MP4 of its `size` and `seconds`, and its
`thumbnail` and `spritesheet` are WebP pictures made from that MP4, all made once and
kept on disk by `clips.ClipCache`; they are served from their files a chunk at a time
(any byte range, never a whole file in memory). Hosts without variants answer only the
`video` (or, behind LiteLLM, the MP4 whatever was asked): see `profiles`.

For tests and benchmarks of large downloads, the `video` variant can instead be a
generated body of any size (`content_bytes`, which wins over the clip): byte ``i`` is
``i % 256``, so any range can be checked without a reference copy, and it is served
from one reusable buffer so a 1 GiB body costs 1 MiB of memory.
"""

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .clips import ClipCache, ClipSpec

CHUNK_SIZE = 1024 * 1024

CONTENT_TYPES = {
    "video": "video/mp4",
    "thumbnail": "image/webp",
    "spritesheet": "image/webp",
}
VARIANTS = tuple(CONTENT_TYPES)


@functools.cache
def _pattern_buffer() -> memoryview:
    # One chunk plus one period, so a full chunk can start at any phase of the pattern.
    return memoryview(bytes(range(256)) * (CHUNK_SIZE // 256 + 1))


def generated_bytes(start: int, length: int) -> bytes:
    """The generated body's bytes from `start` (for tests that check what they got)."""
    return b"".join(Asset.generated(start + length).chunks(start, start + length))


@dataclass(frozen=True)
class Asset:
    """A downloadable body: its size, content type and chunks of any byte range."""

    content_type: str
    size: int
    path: Path | None = None
    """The file holding the body (a clip or a picture); None for a generated body."""
    encoded: bool = False
    """Whether making this asset encoded a clip (a cache miss), for the stats."""

    @classmethod
    def file(cls, path: Path, content_type: str, *, encoded: bool = False) -> "Asset":
        return cls(
            content_type=content_type,
            size=path.stat().st_size,
            path=path,
            encoded=encoded,
        )

    @classmethod
    def generated(cls, size: int) -> "Asset":
        return cls(content_type=CONTENT_TYPES["video"], size=size)

    def chunks(self, start: int, stop: int) -> Iterator[memoryview | bytes]:
        """Bytes [start, stop) in chunks of at most CHUNK_SIZE (the generated body's
        without copying)."""
        if self.path is not None:
            yield from _file_chunks(self.path, start, stop)
            return
        pattern = _pattern_buffer()
        position = start
        while position < stop:
            length = min(CHUNK_SIZE, stop - position)
            phase = position % 256
            yield pattern[phase : phase + length]
            position += length


def _file_chunks(path: Path, start: int, stop: int) -> Iterator[bytes]:
    # Cached files are never rewritten once published, so the size read when the
    # response was framed still holds.
    with path.open("rb") as file:
        file.seek(start)
        position = start
        while position < stop:
            chunk = file.read(min(CHUNK_SIZE, stop - position))
            if not chunk:
                raise OSError(f"{path.name} ended at byte {position} of {stop}")
            yield chunk
            position += len(chunk)


def asset_for(
    variant: str,
    *,
    size: str,
    seconds: str,
    content_bytes: int | None,
    clips: ClipCache,
) -> Asset:
    """The body served for a variant of a video of `size` and `seconds`.

    Raises clips.ClipError if its clip cannot be made.
    """
    if variant == "video" and content_bytes is not None:
        return Asset.generated(content_bytes)
    cached = clips.get(variant, ClipSpec.of(size, seconds))
    return Asset.file(cached.path, CONTENT_TYPES[variant], encoded=cached.encoded)
