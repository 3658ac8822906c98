"""A small `multipart/form-data` parser for the create request.

The `cgi` module is gone from current Pythons and the `email` parser is built for mail,
not for binary uploads, so the body is split on its boundary here: byte-exact for file
parts, which is what the input_reference checks need.
"""

from dataclasses import dataclass
from email.message import Message

from .errors import ApiError


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def boundary_of(content_type: str) -> str | None:
    """The boundary parameter of a multipart/form-data Content-Type, if it is one."""
    header = Message()
    header["Content-Type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        return None
    boundary = header.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def parse_form(body: bytes, boundary: str) -> dict[str, Part]:
    """The parts of a form by field name (the last one wins if a name repeats)."""
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    # The first delimiter has no CRLF before it; adding one makes every delimiter alike.
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2:
        raise _malformed("no boundary found in the body")
    parts: dict[str, Part] = {}
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return parts
        part = _parse_part(chunk)
        if part is not None:
            parts[part.name] = part
    raise _malformed("the closing boundary is missing")


def _parse_part(chunk: bytes) -> Part | None:
    # After the delimiter: optional whitespace, CRLF, headers, a blank line, the data.
    _, newline, rest = chunk.partition(b"\r\n")
    if not newline:
        raise _malformed("a part has no headers")
    raw_headers, separator, data = rest.partition(b"\r\n\r\n")
    if not separator:
        if not rest.startswith(b"\r\n"):
            raise _malformed("a part's headers do not end")
        raw_headers, data = b"", rest[2:]
    headers = Message()
    for line in raw_headers.decode("utf-8", errors="replace").split("\r\n"):
        field, colon, value = line.partition(":")
        if colon:
            headers[field.strip()] = value.strip()
    name = headers.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        return None
    filename = headers.get_param("filename", header="content-disposition")
    return Part(
        name=name,
        data=data,
        filename=filename if isinstance(filename, str) else None,
        content_type=headers.get("Content-Type"),
    )


def _malformed(why: str) -> ApiError:
    return ApiError(
        400, f"Malformed multipart/form-data body: {why}.", code="invalid_multipart"
    )
