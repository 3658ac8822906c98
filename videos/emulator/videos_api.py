"""The `/v1/videos` endpoints: create, list, retrieve, delete, remix, download content.

Validation mirrors what the product must expect from the real upstream: the model, size
and seconds must be offered (per the configured models), the prompt 1-4000 characters,
an input_reference image a JPEG, PNG or WebP of exactly the requested size.

Content is a real clip of the video's size and length, with a WebP thumbnail and
spritesheet made from it (see `assets` and `clips`), or the generated body of
`content_bytes`, with byte ranges and HEAD.

These are OpenAI's behaviours; the host being emulated (`app.upstream`, see `profiles`)
checks the create's fields, shapes the video object, refuses content and renders errors
its own way, and replaces whole handlers where a route works differently.
"""

import io
import logging
from typing import TYPE_CHECKING, Any

from PIL import Image

from . import triggers
from .assets import asset_for
from .clips import ClipError
from .errors import ApiError, invalid
from .multipart import Part, boundary_of, parse_form
from .ranges import RangeNotSatisfiable, parse_range, unsatisfied_range
from .wire import Request, Response

if TYPE_CHECKING:
    from .app import Emulator

logger = logging.getLogger("videos.emulator")

MAX_PROMPT_CHARS = 4000
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
INPUT_REFERENCE_FORMATS = ("JPEG", "PNG", "WEBP")


def create_video(app: "Emulator", request: Request) -> Response:
    host = app.upstream
    fields, image, multipart = create_fields(request)
    host.check_form(fields, image, multipart=multipart)
    prompt = _valid_prompt(fields.get("prompt"))
    params = host.create_params(app.config.models, fields, image)
    if image is not None:
        _check_input_reference(image, params.size)
    _moderate(prompt)
    video = app.store.create(
        model=params.model,
        size=params.size,
        seconds=params.seconds,
        prompt=prompt,
        render_seconds=app.config.render_seconds,
        expires_after=app.config.expires_after,
        video_id=host.new_video_id(),
    )
    app.stats.count_create()
    return _video_response(app, video)


def list_videos(app: "Emulator", request: Request) -> Response:
    order = request.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid("order", f"Invalid 'order': '{order}'. Use 'asc' or 'desc'.")
    raw_limit = request.query.get("limit", str(DEFAULT_PAGE_SIZE))
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise invalid(
            "limit",
            f"Invalid 'limit': '{raw_limit}'. Expected an integer from 1 to {MAX_PAGE_SIZE}.",
        )
    page = app.store.page(
        after=request.query.get("after") or None, limit=limit, order=order
    )
    return Response.json(
        {
            "object": "list",
            "data": [app.upstream.present(video) for video in page.data],
            "first_id": page.data[0]["id"] if page.data else None,
            "last_id": page.data[-1]["id"] if page.data else None,
            "has_more": page.has_more,
        }
    )


def retrieve_video(app: "Emulator", request: Request, video_id: str) -> Response:
    return _video_response(app, app.store.retrieve(video_id))


def delete_video(app: "Emulator", request: Request, video_id: str) -> Response:
    app.store.delete(video_id)
    return Response.json({"id": video_id, "object": "video.deleted", "deleted": True})


def remix_video(app: "Emulator", request: Request, video_id: str) -> Response:
    source = app.store.source_of_remix(video_id)
    prompt = _valid_prompt(request.json_object().get("prompt"))
    _moderate(prompt)
    video = app.store.create(
        model=source["model"],
        size=source["size"],
        seconds=source["seconds"],
        prompt=prompt,
        render_seconds=app.config.render_seconds,
        expires_after=app.config.expires_after,
        remixed_from_video_id=video_id,
        video_id=app.upstream.new_video_id(),
    )
    app.stats.count_create()
    return _video_response(app, video)


def download_content(app: "Emulator", request: Request, video_id: str) -> Response:
    host = app.upstream
    variant = host.content_variant(request.query)
    host.check_downloadable(app, video_id)
    video = app.store.retrieve(video_id)
    try:
        asset = asset_for(
            variant,
            size=video["size"],
            seconds=video["seconds"],
            content_bytes=app.config.content_bytes,
            clips=app.clips,
        )
    except ClipError as error:
        logger.warning("No %s for video %s: %s", variant, video_id, error)
        raise ApiError(
            500,
            f"The emulator could not make this video's {variant}: {error}.",
            type="server_error",
            code="server_error",
        ) from error
    if asset.encoded:
        app.stats.count_clip_encoded()
    headers = {
        "Content-Type": asset.content_type,
        "Accept-Ranges": "bytes",
        **host.content_headers(video_id),
    }
    try:
        byte_range = parse_range(request.headers.get("Range"), asset.size)
    except RangeNotSatisfiable:
        raise ApiError(
            416,
            f"Requested range not satisfiable: the {variant} has {asset.size} bytes.",
            param="Range",
            code="range_not_satisfiable",
            headers={
                "Content-Range": unsatisfied_range(asset.size),
                "Accept-Ranges": "bytes",
            },
        ) from None
    if byte_range is None:
        return Response(status=200, headers=headers, asset=asset)
    headers["Content-Range"] = byte_range.content_range(asset.size)
    return Response(status=206, headers=headers, asset=asset, byte_range=byte_range)


def _video_response(app: "Emulator", video: dict[str, Any]) -> Response:
    host = app.upstream
    headers = {}
    if host.poll_hint and video["status"] in ("queued", "in_progress"):
        # The SDK's poll() waits this long between retrieves.
        headers["openai-poll-after-ms"] = str(app.config.poll_after_ms)
    return Response.json(
        host.present(video), status=host.video_status(video), headers=headers
    )


def create_fields(request: Request) -> tuple[dict[str, Any], Part | None, bool]:
    """The create's fields, its input_reference image part, and whether it was a form."""
    content_type = request.headers.get("Content-Type") or ""
    boundary = boundary_of(content_type)
    if boundary is not None:
        parts = parse_form(request.body, boundary)
        if any(name.startswith("input_reference[") for name in parts):
            raise _only_uploads()
        image = parts.pop("input_reference", None)
        return {name: part.text() for name, part in parts.items()}, image, True
    if content_type.split(";")[0].strip().lower() == "application/json":
        fields = request.json_object()
        if fields.get("input_reference") is not None:
            raise _only_uploads()
        return fields, None, False
    raise ApiError(
        400,
        "Expected a multipart/form-data (or JSON) body with at least a 'prompt'.",
        code="invalid_content_type",
    )


def _only_uploads() -> ApiError:
    return invalid(
        "input_reference",
        "The emulator accepts input_reference only as an uploaded image file.",
        code="unsupported_value",
    )


def _valid_prompt(value: Any) -> str:
    if value is None:
        raise invalid(
            "prompt",
            "Missing required parameter: 'prompt'.",
            code="missing_required_parameter",
        )
    if not isinstance(value, str):
        raise invalid("prompt", "Invalid 'prompt': expected a string.")
    prompt = value.strip()
    if not 1 <= len(prompt) <= MAX_PROMPT_CHARS:
        raise invalid(
            "prompt",
            f"Invalid 'prompt': it must have 1 to {MAX_PROMPT_CHARS} characters"
            f" (got {len(prompt)}).",
        )
    return prompt


def _moderate(prompt: str) -> None:
    if triggers.is_refused(prompt):
        raise ApiError(400, triggers.REFUSAL_MESSAGE, code="moderation_blocked")


def _check_input_reference(image: Part, size: str) -> None:
    """The reference image must be a JPEG, PNG or WebP of exactly the video's size."""
    try:
        with Image.open(
            io.BytesIO(image.data), formats=INPUT_REFERENCE_FORMATS
        ) as opened:
            dimensions = opened.size
    except (OSError, ValueError, Image.DecompressionBombError):
        raise invalid(
            "input_reference",
            "Invalid 'input_reference': expected a JPEG, PNG or WebP image.",
            code="invalid_image_format",
        ) from None
    width, _, height = size.partition("x")
    if dimensions != (int(width), int(height)):
        raise invalid(
            "input_reference",
            "Inpaint image must match the requested width and height"
            f" ({size}); got {dimensions[0]}x{dimensions[1]}.",
            code="invalid_image_dimensions",
        )
