"""Single byte ranges (`Range: bytes=...`), as the content endpoint honours them.

Browsers seek in a video with one range at a time, and the product relays them; so one
range is served as 206, an unsatisfiable one is 416, and anything else (malformed,
several ranges) is ignored in favour of the full body, as RFC 9110 allows.
"""

import re
from dataclasses import dataclass

_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end` inclusive, as Content-Range counts them."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, total: int) -> str:
        return f"bytes {self.start}-{self.end}/{total}"


class RangeNotSatisfiable(Exception):
    """A well-formed range that selects no byte of the body: answer 416."""


def parse_range(header: str | None, total: int) -> ByteRange | None:
    """The range to serve, or None for the full body; RangeNotSatisfiable for a 416."""
    if not header:
        return None
    match = _SINGLE_RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if first and last:
        start, end = int(first), int(last)
        if start > end:
            return None  # invalid, so ignored
    elif first:
        start, end = int(first), total - 1
    elif last:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable
        start, end = max(total - suffix, 0), total - 1
    else:
        return None
    if start >= total:
        raise RangeNotSatisfiable
    return ByteRange(start, min(end, total - 1))


def unsatisfied_range(total: int) -> str:
    """The Content-Range of a 416 answer."""
    return f"bytes */{total}"
