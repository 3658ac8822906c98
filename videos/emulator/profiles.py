"""The hosts the emulator can be: OpenAI, and those serving the same contract today.

OpenAI's Videos API is shut down; the product now meets hosts that serve the same wire
contract with differences it must cope with (docs/hosts.md). So that one test can run the
same journey against each of them, the emulator reproduces each host's documented
differences under a *profile* (`EmulatorConfig.profile`):

* ``openai`` — the contract as OpenAI served it (docs/hosts.md) (`Host`, the reference);
* ``litellm`` — LiteLLM's proxy in front of an OpenAI-compatible upstream (`litellm.py`);
* ``vllm-omni`` — one open model on a GPU (`VllmOmniHost`);
* ``sglang`` — SGLang's diffusion server (`SGLangHost`).

A host differs through a few hooks that the shared handlers in `videos_api` call (the
create's validation, the video object's shape, content refusals, error bodies), and
through its own handlers where a route works differently (`Host.handlers`). Prompt
triggers and faults work the same under every profile.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .assets import VARIANTS
from .errors import ApiError, detail, invalid
from .multipart import Part
from .state import new_video_id
from .wire import Request, Response

if TYPE_CHECKING:
    from .app import Emulator, Route

Handler = Callable[..., Response]
ModelTable = Mapping[str, Mapping[str, Any]]

DEFAULT_MODEL = "sora-2"
DEFAULT_SIZE = "720x1280"
DEFAULT_SECONDS = "4"
RUNNING = ("queued", "in_progress")
REMIX = "POST /v1/videos/{id}/remix"
DELETE = "DELETE /v1/videos/{id}"
LIST = "GET /v1/videos"
_SIZE = re.compile(r"^[1-9]\d*x[1-9]\d*$")
_POSITIVE_INT = re.compile(r"^[1-9]\d*$")


@dataclass(frozen=True)
class CreateParams:
    """What a create asks for, once the host has checked it."""

    model: str
    size: str
    seconds: str


class Host:
    """OpenAI's Videos API as OpenAI served it: the reference the other hosts differ from.

    Models, sizes and lengths must be in the configured table; content has thumbnails
    and spritesheets (WebP, made from the video's clip) and byte ranges; errors are
    `{"error": {message, type, param, code}}`.
    """

    name = "openai"
    missing_routes: frozenset[str] = frozenset()
    """Routes (keyed as `Stats` counts them) the host lacks: 404, or 405 where the path
    answers other methods."""
    handlers: Mapping[str, Handler] = {}
    """The host's own handlers, by route key, where a route works too differently for
    a hook."""
    poll_hint = True
    """Sends `openai-poll-after-ms` while a video runs (only OpenAI does)."""

    @property
    def upstream(self) -> "Host":
        """The host whose behaviour the handlers follow: itself, unless a gateway."""
        return self

    def serve(
        self, app: "Emulator", route: "Route", request: Request, params: list[str]
    ) -> Response:
        """Answer an API request (a gateway first relays it upstream)."""
        return app.call_api(self, route, request, params)

    def new_video_id(self) -> str:
        return new_video_id()

    def check_form(
        self, fields: Mapping[str, Any], image: Part | None, *, multipart: bool
    ) -> None:
        """Refuse a create's form before its fields are read (OpenAI has no such rule)."""

    def create_params(
        self, models: ModelTable, fields: Mapping[str, Any], image: Part | None
    ) -> CreateParams:
        """The model, size and seconds asked for, checked against the model table."""
        model = text_field(fields, "model") or DEFAULT_MODEL
        caps = _offered(models, model)
        size = text_field(fields, "size") or DEFAULT_SIZE
        if size not in caps["sizes"]:
            raise invalid(
                "size",
                f"Invalid 'size': '{size}' is not supported by {model}."
                f" Allowed sizes for {model}: {', '.join(caps['sizes'])}.",
            )
        check_reference_rule(model, caps, image)
        seconds = text_field(fields, "seconds") or DEFAULT_SECONDS
        allowed = allowed_seconds(caps, size, with_reference=image is not None)
        if seconds not in allowed:
            where = f" at {size}" if size in caps["seconds_by_size"] else ""
            if image is not None and caps["seconds_with_reference"]:
                where += " with a reference image"
            raise invalid(
                "seconds",
                f"Invalid 'seconds': '{seconds}' is not supported by {model}{where}."
                f" Allowed values: {', '.join(allowed)}.",
            )
        return CreateParams(model, size, seconds)

    def present(self, video: dict[str, Any]) -> dict[str, Any]:
        """The video object as this host writes it."""
        return video

    def video_status(self, video: dict[str, Any]) -> int:
        """The HTTP status of an answer carrying this video."""
        return 200

    def content_variant(self, query: Mapping[str, str]) -> str:
        variant = query.get("variant", "video")
        if variant not in VARIANTS:
            raise invalid(
                "variant",
                f"Invalid 'variant': '{variant}'. Use one of {', '.join(VARIANTS)}.",
            )
        return variant

    def check_downloadable(self, app: "Emulator", video_id: str) -> None:
        app.store.check_downloadable(video_id)

    def content_headers(self, video_id: str) -> dict[str, str]:
        return {}

    def render_error(self, error: ApiError) -> Response:
        return Response.json(error.body(), status=error.status, headers=error.headers)


class _FastAPIHost(Host):
    """A host built on FastAPI: unknown routes and methods answer `{"detail": ...}`."""

    def render_error(self, error: ApiError) -> Response:
        if error.code == "unknown_route":
            error = detail(404, "Not Found")
        elif error.code == "method_not_allowed":
            error = detail(405, "Method Not Allowed", headers=error.headers)
        return super().render_error(error)


class VllmOmniHost(_FastAPIHost):
    """vLLM-Omni serving one open model (docs/hosts.md).

    Any `WxH` size and any positive whole number of seconds (frames = seconds × 24);
    another model's name is refused. No remix, no thumbnails or spritesheets. Progress
    stays 0 until 100 at completion, and a failed job's retrieve answers 500 with the
    job (status `failed`, `error.code` the HTTP status) as its body. Delete cancels a
    running job and is 409 once it has finished. Errors follow vLLM:
    `{"error": {message, type: "BadRequestError", param, code: 400}}`.
    """

    name = "vllm-omni"
    missing_routes = frozenset({REMIX})
    poll_hint = False
    FAILED_STATUS = 500

    def new_video_id(self) -> str:
        return f"video_gen_{uuid.uuid4().hex}"

    def create_params(
        self, models: ModelTable, fields: Mapping[str, Any], image: Part | None
    ) -> CreateParams:
        served = next(iter(models))
        model = text_field(fields, "model") or served
        if model not in models:
            raise invalid(
                "model",
                f"The model `{model}` does not exist. This server serves"
                f" {', '.join(models)}.",
            )
        caps = models[model]
        size = text_field(fields, "size") or caps["sizes"][0]
        if not _SIZE.match(size):
            raise invalid("size", f"Invalid size '{size}': expected WIDTHxHEIGHT.")
        check_reference_rule(model, caps, image)
        seconds = text_field(fields, "seconds") or DEFAULT_SECONDS
        if not _POSITIVE_INT.match(seconds):
            raise invalid(
                "seconds", f"Invalid seconds '{seconds}': expected a positive integer."
            )
        return CreateParams(model, size, seconds)

    def present(self, video: dict[str, Any]) -> dict[str, Any]:
        completed = video["status"] == "completed"
        error = video["error"]
        return {
            **video,
            "progress": 100 if completed else 0,
            "expires_at": None,  # outputs are kept until a TTL that is off by default
            "error": (
                {"code": self.FAILED_STATUS, "message": error["message"]}
                if error
                else None
            ),
            "quality": "default",
            "media_type": "video/mp4",
            "file_name": f"{video['id']}.mp4" if completed else None,
            "inference_time_s": None,
            "stage_durations": {},
            "peak_memory_mb": 0.0,
        }

    def video_status(self, video: dict[str, Any]) -> int:
        return self.FAILED_STATUS if video["status"] == "failed" else 200

    def content_variant(self, query: Mapping[str, str]) -> str:
        variant = query.get("variant") or "video"
        if variant != "video":
            raise invalid(
                "variant",
                f"Unsupported variant '{variant}': this server makes only the video.",
            )
        return variant

    def check_downloadable(self, app: "Emulator", video_id: str) -> None:
        status, expired = app.store.content_state(video_id)
        if status == "failed":
            raise ApiError(
                422, f"Video {video_id} failed; it has no content.", param="video_id"
            )
        if status != "completed" or expired:
            raise ApiError(
                404,
                f"Video {video_id} has no content yet (status '{status}').",
                param="video_id",
            )

    def render_error(self, error: ApiError) -> Response:
        if error.verbatim_body is not None or error.code in (
            "unknown_route",
            "method_not_allowed",
        ):
            return super().render_error(error)
        if error.status == 401:
            body: Any = {"error": "Unauthorized"}
        else:
            body = {
                "error": {
                    "message": error.message,
                    "type": _error_type(error.status),
                    "param": error.param,
                    "code": error.status,
                }
            }
        return Response.json(body, status=error.status, headers=error.headers)

    @staticmethod
    def cancel(app: "Emulator", request: Request, video_id: str) -> Response:
        """Delete: cancel a queued or running job (409 once it has finished)."""
        app.store.cancel(video_id)
        return Response.json(
            {"id": video_id, "deleted": True, "object": "video.deleted"}
        )

    handlers = {DELETE: cancel}


class SGLangHost(_FastAPIHost):
    """SGLang's diffusion server (docs/hosts.md, and its `video_api.py`).

    A multipart create (all the SDK sends) needs `input_reference`; `seconds` must be a
    whole number (else FastAPI's 422); any size; the model name is echoed, not checked
    (the server runs one). The job stays `queued` with progress 0 until it is `completed`
    at 100; a failure's `error` has only a message. No prompt in the video object, no
    remix, no variants. List answers `{"data", "object"}` only. Delete forgets the
    record (the job runs on) and answers the job with status `deleted`. Errors are
    FastAPI's `{"detail": "..."}`.
    """

    name = "sglang"
    missing_routes = frozenset({REMIX})
    poll_hint = False

    def new_video_id(self) -> str:
        return uuid.uuid4().hex

    def check_form(
        self, fields: Mapping[str, Any], image: Part | None, *, multipart: bool
    ) -> None:
        if multipart and not fields.get("prompt"):
            raise detail(400, "prompt is required")
        if multipart and image is None:
            raise detail(400, "input_reference file is required")

    def create_params(
        self, models: ModelTable, fields: Mapping[str, Any], image: Part | None
    ) -> CreateParams:
        model = text_field(fields, "model") or DEFAULT_MODEL
        if model in models:
            check_reference_rule(model, models[model], image)
        size = text_field(fields, "size") or DEFAULT_SIZE
        if not _SIZE.match(size):
            raise detail(400, f"Invalid size format: {size!r}; expected WIDTHxHEIGHT")
        seconds = text_field(fields, "seconds") or DEFAULT_SECONDS
        if not re.fullmatch(r"[+-]?\d+", seconds.strip()):
            raise _validation_error(
                "body",
                "seconds",
                seconds,
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            )
        if int(seconds) < 1:
            raise detail(400, f"seconds must be positive, got {seconds}")
        return CreateParams(model, size, str(int(seconds)))

    def present(self, video: dict[str, Any]) -> dict[str, Any]:
        status = video["status"]
        status = "queued" if status in RUNNING else status
        return {
            "id": video["id"],
            "object": "video",
            "model": video["model"],
            "status": status,
            "progress": 100 if status == "completed" else 0,
            "created_at": video["created_at"],
            "size": video["size"],
            "seconds": video["seconds"],
            "quality": "standard",
            "url": None,
            "remixed_from_video_id": None,
            "completed_at": video["completed_at"],
            "expires_at": None,
            "error": {"message": video["error"]["message"]} if video["error"] else None,
            "file_path": f"outputs/{video['id']}.mp4",
            "peak_memory_mb": None,
            "inference_time_s": None,
        }

    def content_variant(self, query: Mapping[str, str]) -> str:
        variant = query.get("variant")
        if variant not in (None, "video"):
            raise detail(400, f"Unsupported video content variant: {variant!r}")
        return "video"

    def check_downloadable(self, app: "Emulator", video_id: str) -> None:
        status, expired = app.store.content_state(video_id)
        if status in RUNNING:
            raise detail(404, "Generation is still in-progress")
        if status != "completed" or expired:
            raise detail(404, "Video output not found")

    def content_headers(self, video_id: str) -> dict[str, str]:
        return {"Content-Disposition": f'attachment; filename="{video_id}.mp4"'}

    def render_error(self, error: ApiError) -> Response:
        if error.verbatim_body is None and error.code == "video_not_found":
            error = detail(404, "Video not found")
        elif error.verbatim_body is None and error.code not in (
            "unknown_route",
            "method_not_allowed",
        ):
            error = detail(error.status, error.message, headers=error.headers)
        return super().render_error(error)

    @staticmethod
    def forget(app: "Emulator", request: Request, video_id: str) -> Response:
        """Delete: drop the record, leave the job running, answer it as `deleted`."""
        video = app.store.delete(video_id)
        return Response.json({**SGLANG.present(video), "status": "deleted"})

    @staticmethod
    def list_videos(app: "Emulator", request: Request) -> Response:
        """Every job (or `limit` of them) after `after`; an unknown `after` lists none."""
        order = (request.query.get("order") or "desc").lower()
        if order not in ("asc", "desc"):
            order = "desc"
        raw_limit = request.query.get("limit")
        limit = None
        if raw_limit is not None:
            if not re.fullmatch(r"[+-]?\d+", raw_limit.strip()):
                raise _validation_error(
                    "query",
                    "limit",
                    raw_limit,
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an"
                    " integer",
                )
            limit = int(raw_limit)
            if not 1 <= limit <= 100:
                raise _validation_error(
                    "query",
                    "limit",
                    raw_limit,
                    "greater_than_equal" if limit < 1 else "less_than_equal",
                    "Input should be greater than or equal to 1"
                    if limit < 1
                    else "Input should be less than or equal to 100",
                )
        videos = app.store.page(after=None, limit=10**9, order=order).data
        after = request.query.get("after")
        if after is not None:
            ids = [video["id"] for video in videos]
            videos = videos[ids.index(after) + 1 :] if after in ids else []
        if limit is not None:
            videos = videos[:limit]
        return Response.json(
            {"data": [SGLANG.present(video) for video in videos], "object": "list"}
        )

    handlers = {DELETE: forget, LIST: list_videos}


def text_field(fields: Mapping[str, Any], name: str) -> str | None:
    """A form field as the form sends it (a string); None when absent or empty."""
    value = fields.get(name)
    return None if value is None or value == "" else str(value)


def allowed_seconds(
    caps: Mapping[str, Any], size: str, *, with_reference: bool
) -> list[str]:
    """The lengths a model makes at `size` (and with a reference image), as strings."""
    allowed = caps["seconds"]
    if size in caps["seconds_by_size"]:
        allowed = [s for s in allowed if s in caps["seconds_by_size"][size]]
    if with_reference and caps["seconds_with_reference"]:
        allowed = [s for s in allowed if s in caps["seconds_with_reference"]]
    return [str(s) for s in allowed]


def check_reference_rule(
    model: str, caps: Mapping[str, Any], image: Part | None
) -> None:
    """A model that animates an image needs one; a text-only model takes none."""
    rule = caps["reference_image"]
    if rule == "required" and image is None:
        raise invalid(
            "input_reference",
            f"Missing required parameter: 'input_reference'. {model} animates a"
            " reference image.",
            code="missing_required_parameter",
        )
    if rule == "none" and image is not None:
        raise invalid(
            "input_reference",
            f"Invalid 'input_reference': {model} does not take a reference image.",
            code="unsupported_value",
        )


def _offered(models: ModelTable, model: str) -> Mapping[str, Any]:
    caps = models.get(model)
    if caps is None:
        raise invalid(
            "model",
            f"Invalid 'model': '{model}'. Supported models: {', '.join(models)}.",
        )
    return caps


def _error_type(status: int) -> str:
    """vLLM's error type names: "BadRequestError", "NotFoundError", ..."""
    name = HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    return name if name.endswith("Error") else name + "Error"


def _validation_error(
    where: str, field: str, value: str, kind: str, message: str
) -> ApiError:
    """FastAPI's 422 for a field that does not parse."""
    return detail(
        422,
        [{"type": kind, "loc": [where, field], "msg": message, "input": value}],
        param=field,
    )


OPENAI = Host()
VLLM_OMNI = VllmOmniHost()
SGLANG = SGLangHost()
PROFILES = ("openai", "litellm", "vllm-omni", "sglang")


def host_for(profile: str) -> Host:
    """The host a profile names (the gateway's module imports this one, hence late)."""
    from .litellm import LITELLM

    hosts = {
        "openai": OPENAI,
        "litellm": LITELLM,
        "vllm-omni": VLLM_OMNI,
        "sglang": SGLANG,
    }
    return hosts[profile]
