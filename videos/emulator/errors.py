"""The emulator's error answers, shaped like OpenAI's: `{"error": {message, type, param, code}}`.

Handlers raise `ApiError` and the HTTP layer turns it into a JSON response, so every
refusal, from a bad size to an injected 429, reaches the SDK in the one shape it parses.
"""

from typing import Any


class ApiError(Exception):
    """An HTTP error answer with OpenAI's error body (and optional extra headers)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def invalid(
    param: str | None, message: str, *, code: str = "invalid_value"
) -> ApiError:
    """A 400 about one request parameter, as OpenAI reports a failed validation."""
    return ApiError(400, message, param=param, code=code)


def video_not_found(video_id: str) -> ApiError:
    return ApiError(
        404,
        f"Video with id '{video_id}' not found.",
        param="video_id",
        code="video_not_found",
    )
