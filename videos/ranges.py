"""HTTP Range requests (RFC 9110 §14) for files we serve ourselves.

Django has none built in. One range per request is all a video player asks for;
anything else (several ranges, a malformed header) is answered with the whole file,
as the RFC allows a server to ignore Range.
"""

import re
from dataclasses import dataclass

_SINGLE_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
"""ASCII digits only: `\\d` would also take "١٢" or "²", which are no byte positions."""

_MAX_DIGITS = 18
"""More digits than this is past the end of any file we hold; Python's int() would
refuse thousands of them outright (ValueError), so longer numbers are capped here."""


class RangeNotSatisfiable(Exception):
    """The range lies wholly outside the file: answer 416 with `bytes */size`."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The byte range asked for, None for the whole file; raises RangeNotSatisfiable."""
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip().replace(" ", ""))
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # "bytes=-500": the last 500 bytes
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = _position(first)
    if last and _position(last) < start:
        return None  # invalid syntax: ignore the header
    if start >= size:
        raise RangeNotSatisfiable
    end = _position(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))


def single_range(header: str | None) -> str | None:
    """The header, tidied, if it asks for one well-formed byte range; else None.

    What the content view forwards to a host: anything else (several ranges, junk,
    bytes that are not ASCII) is dropped, and the whole file asked for, rather than
    handed to a host whose answer to it nobody knows.
    """
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip().replace(" ", ""))
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = (str(_position(group)) if group else "" for group in match.groups())
    if first and last and int(last) < int(first):
        return None
    return f"bytes={first}-{last}"


def _position(digits: str) -> int:
    """A byte position from ASCII digits, capped past the end of any file."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        return 10**_MAX_DIGITS
    return int(digits)
