"""Calls to the host through the official `openai` SDK, in product terms.

Submit, remix, fetch, list, delete, open a content stream, moderate: each speaks our
types (`videos.sora.types`) and raises our errors (`videos.sora.errors`), so no
`openai` type leaks into views, services or the poller.

Creates and remixes are never retried, by the SDK or by a gateway in between
(`x-litellm-num-retries: 0`, harmless to other hosts): a lost answer may mean a paid
video was accepted, and only the caller can look for it before trying again
(docs/hosts.md, "Paying once").
"""

import functools
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal, TypeGuard

import openai
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from videos.sora.content import ContentStream
from videos.sora.errors import TransientError, UnsupportedError, classify
from videos.sora.profiles import host_name, profile_for
from videos.sora.types import Moderation, ReferenceImage, UpstreamVideo

# The SDK marks every videos.* method deprecated (OpenAI's own shutdown). The product
# treats the host as configurable; silence that one message, as raised by our calls:
# from this module, or from the SDK's raw and streaming response wrappers it uses.
SDK_DEPRECATION_MESSAGE = "The Sora API is scheduled to permanently shut down"
warnings.filterwarnings(
    "ignore",
    message=SDK_DEPRECATION_MESSAGE,
    category=DeprecationWarning,
    module=r"(videos\.sora\.client|openai\._response|openai\._legacy_response)$",
)

ContentVariant = Literal["video", "thumbnail", "spritesheet"]
CONTENT_VARIANTS: tuple[ContentVariant, ...] = ("video", "thumbnail", "spritesheet")

NO_GATEWAY_RETRIES = {"x-litellm-num-retries": "0"}
"""Asks LiteLLM not to retry a create itself (it would pay twice); others ignore it."""


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
    """Ask the host to generate a video. Raises Transient/RefusedError."""
    extra: dict[str, Any] = {}
    if input_reference is not None:
        extra["input_reference"] = (
            input_reference.filename,
            input_reference.file,
            input_reference.content_type,
        )
    try:
        video = _client_without_retries().videos.create(
            prompt=prompt,
            model=model,
            # Other hosts take sizes and durations beyond the SDK's OpenAI-only
            # Literals (docs/hosts.md); the profile checked them before this call.
            size=size,  # type: ignore[arg-type]  # a host's size, not only OpenAI's
            seconds=str(seconds),  # type: ignore[arg-type]  # likewise its durations
            extra_headers=NO_GATEWAY_RETRIES,
            **extra,
        )
    except openai.APIError as error:
        raise classify(error) from error
    return to_upstream_video(video)


def remix_video(video_id: str, *, prompt: str) -> UpstreamVideo:
    """Ask for a new video made from a completed one with a new prompt."""
    try:
        video = _client_without_retries().videos.remix(
            video_id, prompt=prompt, extra_headers=NO_GATEWAY_RETRIES
        )
    except openai.APIError as error:
        raise classify(error, missing_is_gone=True) from error
    return to_upstream_video(video)


def fetch_video(video_id: str) -> UpstreamVideo:
    """The video's current state, with the host's hint for the next poll.

    Some hosts (vLLM-Omni) answer a failed job's retrieve with an error status whose
    body is the failed video: that is the host's verdict, returned as such.
    """
    try:
        raw = get_client().videos.with_raw_response.retrieve(video_id)
        video = raw.parse()
    except openai.APIStatusError as error:
        failed = _failed_video_in(error)
        if failed is not None:
            return failed
        raise classify(error, missing_is_gone=True) from error
    except openai.APIError as error:
        raise classify(error, missing_is_gone=True) from error
    hint = raw.headers.get("openai-poll-after-ms")
    poll_after = int(hint) / 1000 if hint and hint.isdigit() else None
    return to_upstream_video(video, poll_after_seconds=poll_after, known_id=video_id)


DELETE_BACKOFF = 0.5
DELETE_VERDICTS = {409}
"""Answers to a delete that are the host's verdict, not an outage (vLLM-Omni deletes
only running jobs and answers 409 for the rest): not retried."""


def delete_video(video_id: str) -> None:
    """Delete the video at the host, retrying outages (not a 409) as the SDK would.

    Raises GoneError if it was not there, UnsupportedError if the host does not
    delete it (no DELETE at all, or not this one), TransientError otherwise.
    """
    attempts = settings.OPENAI_MAX_RETRIES + 1  # as the SDK would, but not for a 409
    for attempt in range(1, attempts + 1):
        try:
            _client_without_retries().videos.delete(video_id)
            return
        except openai.APIError as error:
            failure = classify(error, missing_is_gone=True)
            if isinstance(failure, TransientError):
                if failure.status_code in DELETE_VERDICTS:
                    raise UnsupportedError(
                        failure.message, status_code=failure.status_code
                    ) from error
                if attempt < attempts:
                    time.sleep(DELETE_BACKOFF * attempt)
                    continue
            raise failure from error


def iter_videos(*, created_since: datetime | None = None) -> Iterator[UpstreamVideo]:
    """The account's videos, newest first, stopping before `created_since`."""
    try:
        page = get_client().videos.list(limit=100, order="desc")
        for video in page:  # the SDK's page iterator follows the `after` cursor
            found = to_upstream_video(video)
            if created_since is not None and found.created_at < created_since:
                return
            yield found
    except openai.APIError as error:
        raise classify(error) from error


def open_content(
    video_id: str,
    *,
    model: str,
    variant: str = "video",
    range_header: str | None = None,
) -> ContentStream:
    """Start downloading an asset; the caller iterates the stream (or closes it).

    `Range` is sent only to hosts that honour it. The first byte may take long (a
    gateway buffers the whole file first), hence the separate content timeout.
    """
    if not _is_content_variant(variant):
        raise ValueError(f"Unknown content variant {variant!r}")
    headers = {}
    if range_header and profile_for(model).range:
        headers["Range"] = range_header
    client = get_client().with_options(
        timeout=openai.Timeout(
            settings.OPENAI_CONTENT_TIMEOUT, connect=settings.OPENAI_CONNECT_TIMEOUT
        )
    )
    manager = client.videos.with_streaming_response.download_content(
        video_id, variant=variant, extra_headers=headers or None
    )
    try:
        response = manager.__enter__()
    except openai.APIError as error:
        raise classify(error, missing_is_gone=True) from error
    return ContentStream(manager, response)


def _is_content_variant(variant: str) -> TypeGuard[ContentVariant]:
    """Whether the name is an asset the Videos API serves (the SDK takes only those)."""
    return variant in CONTENT_VARIANTS


def moderate_prompt(prompt: str) -> Moderation:
    """Pre-check a prompt with the host's moderation model, when one is configured."""
    model = settings.OPENAI_MODERATION_MODEL
    if not model:
        return Moderation(flagged=False)
    try:
        result = get_client().moderations.create(model=model, input=prompt).results[0]
    except openai.APIError as error:
        raise classify(error) from error
    categories = sorted(
        name for name, hit in (result.categories.model_dump() or {}).items() if hit
    )
    return Moderation(flagged=result.flagged, categories=categories)


# --- translation from the host's answers to ours --------------------------------------


def to_upstream_video(
    video: Any, *, poll_after_seconds: float | None = None, known_id: str | None = None
) -> UpstreamVideo:
    """Our view of a Video object, tolerant of what hosts leave out or reshape.

    Nothing here may raise on an odd answer: a create's answer arrives after the host
    accepted (and billed) the video. `known_id` keeps the id we asked with: LiteLLM's
    retrieve may re-encode it.
    """
    error = _field(video, "error")
    return UpstreamVideo(
        id=known_id or str(_field(video, "id")),
        status=str(_field(video, "status") or "queued"),
        progress=min(max(_int(_field(video, "progress")), 0), 100),
        model=str(_field(video, "model") or ""),
        size=str(_field(video, "size") or ""),
        seconds=_int(_field(video, "seconds")),
        prompt=_field(video, "prompt"),
        created_at=_timestamp(_field(video, "created_at")) or datetime.now(UTC),
        completed_at=_timestamp(_field(video, "completed_at")),
        expires_at=_timestamp(_field(video, "expires_at")),
        remixed_from_id=_field(video, "remixed_from_video_id"),
        error_code=str(_field(error, "code") or ""),
        error_message=str(_field(error, "message") or ""),
        poll_after_seconds=poll_after_seconds,
    )


def _failed_video_in(error: openai.APIStatusError) -> UpstreamVideo | None:
    """The failed video an error answer describes, if it is one (vLLM-Omni)."""
    if error.status_code == 404:
        return None
    try:
        body = error.response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("detail"), dict):
        body = body["detail"]
    if not (isinstance(body, dict) and body.get("status") == "failed"):
        return None
    video = to_upstream_video(body)
    if not video.error_message:
        message = f"{host_name()} could not generate this video."
        video = UpstreamVideo(**{**video.__dict__, "error_message": message})
    return video


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), tz=UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None
