"""The bytes behind `GET /v1/videos/{id}/content`: committed samples or a generated body.

Every completed video shows the same small sample MP4, thumbnail and spritesheet (see
samples/README.md). For tests and benchmarks of large downloads, the `video` variant can
instead be a generated body of any size: byte ``i`` is ``i % 256``, so any range can be
checked without a reference copy, and it is served from one reusable buffer so a 1 GiB
body costs 1 MiB of memory.
"""

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 1024 * 1024
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"

CONTENT_TYPES = {
    "video": "video/mp4",
    "thumbnail": "image/webp",
    "spritesheet": "image/jpeg",
}
_SAMPLE_FILES = {
    "video": "video.mp4",
    "thumbnail": "thumbnail.webp",
    "spritesheet": "spritesheet.jpg",
}
VARIANTS = tuple(CONTENT_TYPES)


@functools.cache
def _pattern_buffer() -> memoryview:
    # One chunk plus one period, so a full chunk can start at any phase of the pattern.
    return memoryview(bytes(range(256)) * (CHUNK_SIZE // 256 + 1))


@functools.cache
def sample_bytes(variant: str) -> bytes:
    return (SAMPLES_DIR / _SAMPLE_FILES[variant]).read_bytes()


def generated_bytes(start: int, length: int) -> bytes:
    """The generated body's bytes from `start` (for tests that check what they got)."""
    return b"".join(Asset.generated(start + length).chunks(start, start + length))


@dataclass(frozen=True)
class Asset:
    """A downloadable body: its size, content type and chunks of any byte range."""

    content_type: str
    size: int
    data: bytes | None = None
    """The whole body for a sample; None for a generated body."""

    @classmethod
    def sample(cls, variant: str) -> "Asset":
        data = sample_bytes(variant)
        return cls(content_type=CONTENT_TYPES[variant], size=len(data), data=data)

    @classmethod
    def generated(cls, size: int) -> "Asset":
        return cls(content_type=CONTENT_TYPES["video"], size=size)

    def chunks(self, start: int, stop: int) -> Iterator[memoryview]:
        """Bytes [start, stop) in chunks of at most CHUNK_SIZE, without copying."""
        source = memoryview(self.data) if self.data is not None else None
        pattern = _pattern_buffer()
        position = start
        while position < stop:
            length = min(CHUNK_SIZE, stop - position)
            if source is not None:
                yield source[position : position + length]
            else:
                phase = position % 256
                yield pattern[phase : phase + length]
            position += length


def asset_for(variant: str, content_bytes: int | None) -> Asset:
    """The body served for a variant under the current `content_bytes` setting."""
    if variant == "video" and content_bytes is not None:
        return Asset.generated(content_bytes)
    return Asset.sample(variant)
