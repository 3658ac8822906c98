"""The one door to OpenAI's Videos API (Sora 2): every call to the upstream goes through here.

It speaks product terms (submit, fetch, remix, delete, open a content stream, moderate)
and raises our own exceptions, so no `openai` type leaks into views, services or the
poller. Failures fall into three classes the callers act on:

* `TransientError` — the upstream did not give a verdict (connection error, timeout,
  408/409/429/5xx): try again later, after `retry_after` seconds if it said so.
* `RefusedError` — the upstream said no (any other 4xx): show its message as it is.
* `GoneError` — the video or its content does not exist (any more) upstream (404).

Creates and remixes are never retried by the SDK: a lost answer may mean a paid video
was accepted, and only the caller can look for it before trying again (SORA_API.md).
"""

import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any, Self

import openai
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# The SDK marks every videos.* method deprecated (the Sora API's announced shutdown).
# The product already treats the host as configurable; silence that one message, as
# raised by our calls: directly from this module, or from the SDK's raw and streaming
# response wrappers that this module uses.
SDK_DEPRECATION_MESSAGE = "The Sora API is scheduled to permanently shut down"
warnings.filterwarnings(
    "ignore",
    message=SDK_DEPRECATION_MESSAGE,
    category=DeprecationWarning,
    module=r"(videos\.sora|openai\._response|openai\._legacy_response)$",
)

CONTENT_CHUNK_SIZE = 1024 * 1024
"""Relay chunk size: 1 MiB chunks cost far less CPU per GiB than 64 KiB ones."""

CONTENT_VARIANTS = ("video", "thumbnail", "spritesheet")


class SoraError(Exception):
    """Base of everything this module raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientError(SoraError):
    """No verdict from the upstream; the same request may succeed later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RefusedError(SoraError):
    """The upstream refused the request; its message is meant for the user."""

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


class GoneError(SoraError):
    """The video, or the asset asked for, no longer exists upstream."""


@dataclass(frozen=True)
class UpstreamVideo:
    """What the upstream knows about one video, in our types."""

    id: str
    status: str
    progress: int
    model: str
    size: str
    seconds: int
    prompt: str | None
    created_at: datetime
    completed_at: datetime | None = None
    expires_at: datetime | None = None
    remixed_from_id: str | None = None
    error_code: str = ""
    error_message: str = ""
    poll_after_seconds: float | None = None
    """The upstream's hint (`openai-poll-after-ms`) for when to ask again."""


@dataclass(frozen=True)
class Moderation:
    flagged: bool
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReferenceImage:
    """An image file to send as `input_reference`."""

    filename: str
    file: IO[bytes]
    content_type: str


class ContentStream:
    """An open download from the upstream: status, headers, and chunks on demand.

    Iterating yields the body in `CONTENT_CHUNK_SIZE` chunks and closes the upstream
    connection when done; `close()` does so early (the client went away). Closing
    twice is harmless, so it is safe from both a `finally` and a response's close().
    """

    def __init__(self, manager: Any, response: Any) -> None:
        self._manager = manager
        self._response = response
        self._closed = False
        self.status_code: int = response.status_code
        self.headers: dict[str, str] = {
            k.lower(): v for k, v in response.headers.items()
        }

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_bytes(CONTENT_CHUNK_SIZE)
        except openai.APIError as error:
            raise _classify(error) from error
        except Exception as error:
            # httpx raises its own errors mid-body (peer closed, read timeout).
            raise TransientError(f"The download was interrupted: {error}") from error
        finally:
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._manager.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@functools.cache
def get_client() -> openai.OpenAI:
    """The process's one client, so its connection pool is reused across requests."""
    return openai.OpenAI(
        api_key=settings.OPENAI_API_KEY or "missing-key",
        base_url=settings.OPENAI_BASE_URL,
        timeout=openai.Timeout(
            settings.OPENAI_TIMEOUT, connect=settings.OPENAI_CONNECT_TIMEOUT
        ),
        max_retries=settings.OPENAI_MAX_RETRIES,
    )


@receiver(setting_changed)
def _forget_client_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("OPENAI_"):
        get_client.cache_clear()


def _client_without_retries() -> openai.OpenAI:
    """For creates and remixes: a retry after a lost answer could pay twice."""
    return get_client().with_options(max_retries=0)


def submit_video(
    *,
    prompt: str,
    model: str,
    size: str,
    seconds: int,
    input_reference: ReferenceImage | None = None,
) -> UpstreamVideo:
    """Ask the upstream to generate a video. Raises Transient/RefusedError."""
    extra: dict[str, Any] = {}
    if input_reference is not None:
        extra["input_reference"] = (
            input_reference.filename,
            input_reference.file,
            input_reference.content_type,
        )
    try:
        video = _client_without_retries().videos.create(
            prompt=prompt, model=model, size=size, seconds=str(seconds), **extra
        )
    except openai.APIError as error:
        raise _classify(error) from error
    return _to_upstream_video(video)


def remix_video(video_id: str, *, prompt: str) -> UpstreamVideo:
    """Ask for a new video made from a completed one with a new prompt."""
    try:
        video = _client_without_retries().videos.remix(video_id, prompt=prompt)
    except openai.APIError as error:
        raise _classify(error, missing_is_gone=True) from error
    return _to_upstream_video(video)


def fetch_video(video_id: str) -> UpstreamVideo:
    """The video's current state, with the upstream's hint for the next poll."""
    try:
        raw = get_client().videos.with_raw_response.retrieve(video_id)
        video = raw.parse()
    except openai.APIError as error:
        raise _classify(error, missing_is_gone=True) from error
    hint = raw.headers.get("openai-poll-after-ms")
    poll_after = int(hint) / 1000 if hint and hint.isdigit() else None
    return _to_upstream_video(video, poll_after_seconds=poll_after)


def delete_video(video_id: str) -> None:
    """Delete the video upstream. Raises GoneError if it was not there."""
    try:
        get_client().videos.delete(video_id)
    except openai.APIError as error:
        raise _classify(error, missing_is_gone=True) from error


def iter_videos(*, created_since: datetime | None = None) -> Iterator[UpstreamVideo]:
    """The account's videos, newest first, stopping before `created_since`."""
    try:
        page = get_client().videos.list(limit=100, order="desc")
        for video in page:  # the SDK's page iterator follows the `after` cursor
            found = _to_upstream_video(video)
            if created_since is not None and found.created_at < created_since:
                return
            yield found
    except openai.APIError as error:
        raise _classify(error) from error


def open_content(
    video_id: str, *, variant: str = "video", range_header: str | None = None
) -> ContentStream:
    """Start downloading an asset; the caller iterates the stream (or closes it)."""
    if variant not in CONTENT_VARIANTS:
        raise ValueError(f"Unknown content variant {variant!r}")
    headers = {"Range": range_header} if range_header else None
    manager = get_client().videos.with_streaming_response.download_content(
        video_id, variant=variant, extra_headers=headers
    )
    try:
        response = manager.__enter__()
    except openai.APIError as error:
        raise _classify(error, missing_is_gone=True) from error
    return ContentStream(manager, response)


def moderate_prompt(prompt: str) -> Moderation:
    """Pre-check a prompt with OpenAI's moderation model, when one is configured."""
    model = settings.OPENAI_MODERATION_MODEL
    if not model:
        return Moderation(flagged=False)
    try:
        result = get_client().moderations.create(model=model, input=prompt).results[0]
    except openai.APIError as error:
        raise _classify(error) from error
    categories = sorted(
        name for name, hit in (result.categories.model_dump() or {}).items() if hit
    )
    return Moderation(flagged=result.flagged, categories=categories)


# --- translation from the SDK's types to ours ------------------------------------------


def _timestamp(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _to_upstream_video(
    video: Any, *, poll_after_seconds: float | None = None
) -> UpstreamVideo:
    error = getattr(video, "error", None)
    return UpstreamVideo(
        id=video.id,
        status=video.status,
        progress=int(video.progress or 0),
        model=str(video.model),
        size=str(video.size),
        seconds=int(video.seconds),
        prompt=video.prompt,
        created_at=_timestamp(video.created_at) or datetime.now(UTC),
        completed_at=_timestamp(video.completed_at),
        expires_at=_timestamp(video.expires_at),
        remixed_from_id=video.remixed_from_video_id,
        error_code=(error.code or "") if error else "",
        error_message=(error.message or "") if error else "",
        poll_after_seconds=poll_after_seconds,
    )


TRANSIENT_STATUSES = {408, 409, 429}


def _classify(error: openai.APIError, *, missing_is_gone: bool = False) -> SoraError:
    """Sort an SDK error into transient, refused or gone."""
    if isinstance(error, openai.APIConnectionError):  # includes timeouts
        return TransientError(f"OpenAI could not be reached: {error.message}")
    if not isinstance(error, openai.APIStatusError):
        return TransientError(f"OpenAI answered something unexpected: {error.message}")
    status = error.status_code
    message = _upstream_message(error)
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientError(
            f"OpenAI is unavailable ({status}): {message}",
            retry_after=_retry_after(error.response.headers),
        )
    if status == 404 and missing_is_gone:
        return GoneError(message)
    return RefusedError(message, code=error.code, param=error.param, status_code=status)


def _upstream_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return f"OpenAI answered with status {error.status_code}."


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait as the upstream asked, from retry-after-ms or Retry-After."""
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
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
