"""Requests and responses as the emulator's handlers see them, apart from socket I/O.

Handlers take a `Request` and return a `Response`; only `server.py` touches the socket.
That keeps the body streaming, framing and disconnect handling in one place.
"""

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from .assets import Asset
from .errors import ApiError
from .ranges import ByteRange


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes = b""

    def json(self) -> Any:
        """The JSON body, None if empty; ApiError 400 if it does not parse."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(
                400,
                f"We could not parse the JSON body of your request: {error}.",
                code="invalid_json",
            ) from error

    def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object (an empty body counts as `{}`)."""
        data = self.json()
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ApiError(400, "The JSON body must be an object.", code="invalid_json")
        return data


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    asset: Asset | None = None
    """A streamed body (content downloads) instead of `body`."""
    byte_range: ByteRange | None = None
    """The part of `asset` to send; the whole asset if None."""
    drop: bool = False
    """Close the connection instead of answering (the `drop` fault)."""
    cut: bool = False
    """Close the connection halfway through the body (the `cut` fault)."""

    @classmethod
    def json(
        cls, data: Any, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> "Response":
        return cls(
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
            body=json.dumps(data).encode(),
        )

    @classmethod
    def error(cls, error: ApiError) -> "Response":
        return cls.json(error.body(), status=error.status, headers=error.headers)

    @property
    def content_length(self) -> int:
        if self.asset is None:
            return len(self.body)
        if self.byte_range is None:
            return self.asset.size
        return self.byte_range.length
