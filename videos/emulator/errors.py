"""The emulator's error answers, shaped like OpenAI's: `{"error": {message, type, param, code}}`.

Handlers raise `ApiError` and the HTTP layer turns it into a JSON response, so every
refusal, from a bad size to an injected 429, reaches the SDK in the one shape it parses.
Hosts other than OpenAI answer errors in their own shapes (see `profiles`): they render
the same `ApiError` differently, or raise one with a verbatim `body`.
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
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}
        self.verbatim_body = body
        """A body to send as is (e.g. FastAPI's `{"detail": ...}`), whatever the host."""

    def body(self) -> Any:
        if self.verbatim_body is not None:
            return self.verbatim_body
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


def detail(status: int, message: Any, **options: Any) -> ApiError:
    """An error as FastAPI servers answer it: `{"detail": message}`."""
    text = message if isinstance(message, str) else "Unprocessable Entity"
    return ApiError(status, text, body={"detail": message}, **options)


def video_not_found(video_id: str) -> ApiError:
    return ApiError(
        404,
        f"Video with id '{video_id}' not found.",
        param="video_id",
        code="video_not_found",
    )
