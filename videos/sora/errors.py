"""What can go wrong upstream, in three classes the callers act on, and how to tell.

* `TransientError`: the host gave no verdict (connection error, timeout, 408/409/429/
  5xx): try again later, after `retry_after` seconds if it said so.
* `RefusedError`: the host said no (any other 4xx); its message is meant for the user.
* `GoneError`: the video or its content does not exist (any more) at the host (404).

Gateways wrap the host's own error in theirs: LiteLLM answers
``litellm.BadRequestError: OpenAIException - {"error": {"message": …, "code": …,
"param": "size"}} LiteLLM: model group 'sora-2' failed …`` with ``param`` null.
`classify` digs the innermost error out of such a message, so users read the host's
words and a refused size is still a form error (docs/hosts.md, "Errors").
"""

import ast
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2
import openai

from videos.sora.profiles import host_name


class SoraError(Exception):
    """Base of everything this package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientError(SoraError):
    """No verdict from the host; the same request may succeed later.

    `outcome_unknown` says whether a create or remix may have been accepted anyway (a
    lost answer, a gateway's 5xx): before submitting again, look for it. A 429 or 408
    is known not to have made a video.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        outcome_unknown: bool = True,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        self.status_code = status_code


class RefusedError(SoraError):
    """The host refused the request; its message is meant for the user."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status_code: int = 400,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.param = param
        self.status_code = status_code


class UnsupportedError(RefusedError):
    """The host has no such operation (405/501): LiteLLM's missing DELETE, say."""


class GoneError(SoraError):
    """The video, or the asset asked for, no longer exists at the host."""


TRANSIENT_STATUSES = {408, 409, 429}
NOT_ACCEPTED_STATUSES = {408, 429}
"""Transient answers that say the request was not acted on (it can be resent)."""
NO_SUCH_ROUTE_STATUSES = {405, 501}
"""The host has no such route (e.g. LiteLLM's missing DELETE)."""


def classify(error: openai.APIError, *, missing_is_gone: bool = False) -> SoraError:
    """Sort an SDK error into transient, refused or gone, with the host's own words."""
    host = host_name()
    if isinstance(error, openai.APIConnectionError):  # includes timeouts
        return TransientError(
            f"{host} could not be reached: {error.message}",
            outcome_unknown=not _never_sent(error),
        )
    if not isinstance(error, openai.APIStatusError):
        return TransientError(f"{host} answered something unexpected: {error.message}")
    status = error.status_code
    inner = host_error(error)
    message = inner.get("message") or f"{host} answered with status {status}."
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientError(
            f"{host} is unavailable ({status}): {message}",
            retry_after=retry_after(error.response.headers),
            outcome_unknown=status not in NOT_ACCEPTED_STATUSES,
            status_code=status,
        )
    if status == 404 and missing_is_gone:
        return GoneError(message)
    refusal = UnsupportedError if status in NO_SUCH_ROUTE_STATUSES else RefusedError
    return refusal(
        message,
        code=_text(inner.get("code")),
        param=_text(inner.get("param")),
        status_code=status,
    )


NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
"""Connection failures before the request left: the host cannot have acted on it."""


def _never_sent(error: openai.APIConnectionError) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, NOT_SENT):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def host_error(error: openai.APIStatusError) -> dict[str, Any]:
    """The innermost `{"message", "code", "param", …}` in an error answer.

    The SDK hands over the body's `error` object; a gateway may have put the host's
    own error object, as JSON or as a Python repr, inside that object's message.
    """
    body = error.body if isinstance(error.body, dict) else {}
    found: dict[str, Any] = {**_fastapi_detail(body.get("detail")), **body}
    for _ in range(3):  # gateways in front of gateways, but not forever
        message = found.get("message")
        nested = _embedded_error(message) if isinstance(message, str) else None
        if nested is None:
            break
        # Keep what the outer layer knew when the inner one is silent.
        found = {**found, **{k: v for k, v in nested.items() if v is not None}}
    if not isinstance(found.get("message"), str):
        found.pop("message", None)
    return found


def _fastapi_detail(detail: Any) -> dict[str, Any]:
    """FastAPI's `{"detail": …}` (SGLang, vLLM-Omni) as an error object.

    A string is the message; a list is validation errors, each with `msg` and
    `loc` (whose last part names the parameter).
    """
    if isinstance(detail, str):
        return {"message": detail}
    if isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
        location = detail[0].get("loc") or []
        return {
            "message": "; ".join(str(d.get("msg", "")) for d in detail),
            "param": str(location[-1]) if location else None,
        }
    return {}


def _embedded_error(message: str) -> dict[str, Any] | None:
    """An `{"error": {…}}` (or bare error object) embedded in a message string."""
    start = message.find("{")
    while start != -1:
        parsed = _parse_object_at(message, start)
        if isinstance(parsed, dict):
            inner = parsed.get("error", parsed)
            if isinstance(inner, dict) and isinstance(inner.get("message"), str):
                return inner
        start = message.find("{", start + 1)
    return None


def _parse_object_at(text: str, start: int) -> Any:
    try:
        return json.JSONDecoder().raw_decode(text, start)[0]
    except ValueError:
        pass
    end = _matching_brace(text, start)
    if end is None:
        return None
    try:
        return ast.literal_eval(text[start : end + 1])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _matching_brace(text: str, start: int) -> int | None:
    """Where the `{` at `start` closes, skipping quoted strings; None if it never does."""
    depth = 0
    quote: str | None = None
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1  # the escaped character cannot end the string
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def retry_after(headers: Any) -> float | None:
    """Seconds to wait as the host asked, from retry-after-ms or Retry-After."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
