"""LiteLLM's proxy in front of an OpenAI-compatible upstream: the `litellm` profile.

Reproduces what LiteLLM 1.108.7 does to the Videos API (docs/hosts.md; checked against its
source and by running it in front of this emulator, videos/tests/test_litellm_proxy.py):

* **ids** are `video_` + base64 of `litellm:custom_llm_provider:P;model_id:M;video_id:U`
  and `;deployment_id:D` (`encode_video_id`, LiteLLM's own format): 242 characters for
  sora-2. The upstream keeps its raw ids, and remix answers `remixed_from_video_id`
  raw. Retrieve answers the id re-encoded with the deployment that served the poll (the
  model group's second deployment here): a different string naming the same video.
  Every route takes any valid encoding; list items carry the short form (no deployment).
* **retries**: the gateway retries a call whose answer was lost or was 429/5xx, creates
  included (`DEFAULT_NUM_RETRIES`), so a lost create answer becomes two paid videos;
  the request header `x-litellm-num-retries: 0` turns that off for one call.
* **errors** are wrapped: `litellm.BadRequestError: OpenAIException - {upstream JSON}`
  plus the model group's line, `param` null, `code` the status as a string; 429 and
  5xx lose `Retry-After`.
* **no DELETE** (405), list needs `custom_llm_provider` (query or header) and answers
  `prompt: null`, content ignores `variant` and `Range` (always the whole MP4), the
  video object drops `prompt` and gains `usage`, `openai-poll-after-ms` is dropped, and
  progress passes through only for OpenAI's models (0 until done otherwise).

Faults hit the upstream (each attempt takes the next matching fault) except `cut`,
which cuts the gateway's own answer to the client. Stats are the upstream's: one request
per attempt, retrieves counted by upstream id; requests the gateway refuses itself
(405, no provider, unknown model, bad key) never reach it and are not counted.
"""

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any

from .errors import ApiError, video_not_found
from .profiles import DELETE, OPENAI, RUNNING, Host, _FastAPIHost
from .videos_api import create_fields
from .wire import Request, Response

if TYPE_CHECKING:
    from .app import Emulator, Route

VERSION = "1.108.7"
DEFAULT_NUM_RETRIES = 2
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
LOST_ANSWER = "Server disconnected"
"""What LiteLLM reports when the upstream closed the connection without answering."""
ID_PREFIX = "video_"
_ID_TEMPLATE = "litellm:custom_llm_provider:{};model_id:{};video_id:{}"
_DEPLOYMENT = ";deployment_id:"
PASSES_PROGRESS = ("openai", "azure")
"""Providers whose progress LiteLLM passes through; others report 0 until done."""
VIDEO_OBJECT_FIELDS = (
    "id",
    "object",
    "status",
    "created_at",
    "completed_at",
    "expires_at",
    "error",
    "progress",
    "remixed_from_video_id",
    "seconds",
    "size",
    "model",
)
"""LiteLLM's `VideoObject`, in its order: no `prompt` (and `usage` after these)."""
NO_PROVIDER = (
    "litellm.BadRequestError: LLM Provider NOT provided. Pass in the LLM provider you"
    " are trying to call. You passed model=\n Pass model as E.g. For 'Huggingface'"
    " inference endpoints pass in `completion(model='huggingface/starcoder',..)`"
    " Learn more: https://docs.litellm.ai/docs/providers"
)
UNSUPPORTED = {
    ("gemini", "list"): "Video list is not supported by Google Veo. Use the operations"
    " endpoint directly if you need to list operations.",
    ("gemini", "remix"): "Video remix is not supported by Google Veo. Please use"
    " video_generation() to create new videos.",
    ("runwayml", "list"): "Video listing is not yet supported by RunwayML API",
    ("runwayml", "remix"): "Video remix is not yet supported by RunwayML API",
}
"""What LiteLLM's provider adapters raise for the operations their APIs lack."""


@dataclass(frozen=True)
class DecodedId:
    provider: str
    model_id: str
    upstream_id: str
    deployment_id: str | None = None


def encode_video_id(
    upstream_id: str, provider: str, model_id: str, deployment_id: str | None = None
) -> str:
    """The id LiteLLM answers for an upstream video (as `encode_video_id_with_provider`)."""
    text = _ID_TEMPLATE.format(provider, model_id, upstream_id)
    if deployment_id:
        text += _DEPLOYMENT + deployment_id
    return ID_PREFIX + base64.b64encode(text.encode()).decode()


def decode_video_id(video_id: str) -> DecodedId | None:
    """The parts of a LiteLLM id (padding optional, as LiteLLM allows); None if not one."""
    if not video_id.startswith(ID_PREFIX):
        return None
    data = video_id.removeprefix(ID_PREFIX)
    try:
        text = base64.b64decode(data + "=" * (-len(data) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    parts = text.split(";")
    if len(parts) < 3 or not parts[0].startswith("litellm:custom_llm_provider:"):
        return None
    extras = dict(part.partition(":")[::2] for part in parts[3:])
    return DecodedId(
        provider=parts[0].removeprefix("litellm:custom_llm_provider:"),
        model_id=parts[1].removeprefix("model_id:"),
        upstream_id=parts[2].removeprefix("video_id:"),
        deployment_id=extras.get("deployment_id") or None,
    )


def upstream_id(video_id: str) -> str:
    """The upstream's own id for any id a client may hold (raw ids are kept as they are)."""
    decoded = decode_video_id(video_id)
    return decoded.upstream_id if decoded else video_id


def deployment_id(model_group: str, index: int) -> str:
    """A deployment's id: LiteLLM hashes its params to 64 hex digits."""
    return hashlib.sha256(f"{model_group}#{index}".encode()).hexdigest()


def provider_for(model: str) -> str:
    """The LiteLLM provider behind a model group (docs/hosts/litellm-config.yaml)."""
    if model.startswith("veo"):
        return "gemini"
    if model.startswith("gen"):
        return "runwayml"
    return "openai"


def wrapped_error(
    status: int, upstream_text: str, provider: str, model_group: str | None
) -> ApiError:
    """An upstream failure as LiteLLM's proxy answers it (no Retry-After: no headers)."""
    if status == 429:
        name, kind = "RateLimitError: RateLimitError", "throttling_error"
    elif status == 503:
        name, kind = "ServiceUnavailableError: ServiceUnavailableError", None
    elif status >= 500:
        name, kind = "InternalServerError: InternalServerError", None
    else:
        name, kind = "BadRequestError", "invalid_request_error"
    exception = (
        "OpenAI" if provider == "openai" else provider[:1].upper() + provider[1:]
    )
    message = f"litellm.{name}: {exception}Exception - {upstream_text}"
    if model_group:
        message += (
            f"\n\nLiteLLM: model group '{model_group}' failed with the error above."
            " No fallback was attempted."
        )
    return _error(status, message, kind or "internal_server_error")


@dataclass
class _Relay:
    """One client request as the gateway sends it upstream, and how it answers back."""

    request: Request
    params: list[str]
    provider: str
    model_group: str | None
    answer: Callable[[Response], Response]


class LiteLLMGateway(_FastAPIHost):
    """The proxy: relays each API request to the OpenAI-compatible upstream, LiteLLM's way."""

    name = "litellm"
    missing_routes = frozenset({DELETE})
    poll_hint = False

    @property
    def upstream(self) -> Host:
        return OPENAI

    def serve(
        self, app: "Emulator", route: "Route", request: Request, params: list[str]
    ) -> Response:
        try:
            self._authenticate(app, request)
            relay = self._relay(app, route.stats_key(request.method), request, params)
        except ApiError as error:
            return _versioned(self.render_error(error))
        retries = _num_retries(request)
        attempt = 0
        while True:
            answer = app.call_api(
                OPENAI, route, relay.request, relay.params, authenticate=False
            )
            lost = answer.drop
            if attempt == retries or not (lost or answer.status in RETRIED_STATUSES):
                break
            attempt += 1
        if lost or answer.status >= 400:
            text = LOST_ANSWER if lost else answer.body.decode()
            wrapped = wrapped_error(
                500 if lost else answer.status, text, relay.provider, relay.model_group
            )
            return _versioned(self.render_error(wrapped))
        response = relay.answer(answer)
        response.cut = answer.cut
        if response.asset is not None:
            return response  # the proxy adds none of its headers to content
        if relay.model_group:
            response.headers["x-litellm-model-group"] = relay.model_group
        response.headers["x-litellm-attempted-retries"] = str(attempt)
        if attempt:
            response.headers["x-litellm-max-retries"] = str(retries)
        return _versioned(response)

    def _relay(
        self, app: "Emulator", route_key: str, request: Request, params: list[str]
    ) -> _Relay:
        if route_key == "POST /v1/videos":
            model = _requested_model(request)
            if model not in app.config.models:
                raise _invalid_model(model)
            provider = provider_for(model)
            return _Relay(
                request,
                params,
                provider,
                model,
                lambda answer: _video_answer(answer, provider, model, usage=True),
            )
        if route_key == "GET /v1/videos":
            return self._list_relay(request)
        if not params:  # moderations: relayed as they are
            return _Relay(request, params, "openai", None, lambda answer: answer)
        video = decode_video_id(params[0])
        if video is None:
            # No provider or deployment to route to: LiteLLM's default OpenAI route
            # does not know the video either.
            raise wrapped_error(
                404, json.dumps(video_not_found(params[0]).body()), "openai", None
            )
        inner = dataclasses.replace(
            request, path=request.path.replace(params[0], video.upstream_id, 1)
        )
        group, provider = video.model_id, video.provider
        if route_key == "GET /v1/videos/{id}":
            # The group's other deployment serves the poll, and stamps its own id.
            return _Relay(
                inner,
                [video.upstream_id],
                provider,
                group,
                lambda answer: _video_answer(
                    answer, provider, group, usage=False, deployment=1
                ),
            )
        if route_key == "POST /v1/videos/{id}/remix":
            _require_support(provider, "remix")
            return _Relay(
                inner,
                [video.upstream_id],
                provider,
                group,
                lambda answer: _video_answer(answer, provider, group, usage=True),
            )
        # Content: the whole MP4, whatever variant or range was asked for.
        inner = dataclasses.replace(
            inner, query={}, headers=_without(request.headers, "range")
        )
        return _Relay(
            inner,
            [video.upstream_id],
            provider,
            group,
            lambda answer: _content_answer(answer, params[0]),
        )

    def _list_relay(self, request: Request) -> _Relay:
        provider = request.headers.get("custom-llm-provider") or request.query.get(
            "custom_llm_provider"
        )
        if not provider:
            raise _error(400, NO_PROVIDER, "invalid_request_error")
        _require_support(provider, "list")
        query = {k: v for k, v in request.query.items() if k != "custom_llm_provider"}
        if query.get("after"):
            query["after"] = upstream_id(query["after"])
        inner = dataclasses.replace(request, query=query)
        return _Relay(
            inner, [], provider, None, lambda answer: _list_answer(answer, provider)
        )

    def _authenticate(self, app: "Emulator", request: Request) -> None:
        if app.key_matches(request):
            return
        if not (request.headers.get("Authorization") or "").strip():
            message = "Authentication Error, No api key passed in."
        else:
            message = (
                "Authentication Error, Invalid proxy server token passed. Unable to"
                " find token in cache or `LiteLLM_VerificationTokenTable`"
            )
        raise ApiError(
            401,
            message,
            body={
                "error": {
                    "message": message,
                    "type": "auth_error",
                    "param": "None",
                    "code": "401",
                }
            },
        )


def _video_answer(
    answer: Response,
    provider: str,
    model_group: str,
    *,
    usage: bool,
    deployment: int = 0,
) -> Response:
    video = json.loads(answer.body)
    return Response.json(_video_object(video, provider, model_group, usage, deployment))


def _video_object(
    video: dict[str, Any], provider: str, model_group: str, usage: bool, deployment: int
) -> dict[str, Any]:
    obj = {name: video[name] for name in VIDEO_OBJECT_FIELDS}
    obj["id"] = encode_video_id(
        video["id"], provider, model_group, deployment_id(model_group, deployment)
    )
    if provider not in PASSES_PROGRESS and video["status"] in RUNNING:
        obj["progress"] = 0
    obj["usage"] = {"duration_seconds": float(video["seconds"])} if usage else None
    return obj


def _list_answer(answer: Response, provider: str) -> Response:
    page = json.loads(answer.body)
    for video in page["data"]:
        video["id"] = encode_video_id(video["id"], provider, video["model"])
        video["prompt"] = None
    if page["data"]:
        page["first_id"] = page["data"][0]["id"]
        page["last_id"] = page["data"][-1]["id"]
    return Response.json(page)


def _content_answer(answer: Response, video_id: str) -> Response:
    return Response(
        status=200,
        headers={
            "Content-Type": "video/mp4",
            "Content-Disposition": f"attachment; filename=video_{video_id}.mp4",
        },
        asset=answer.asset,
        body=answer.body,
    )


def _requested_model(request: Request) -> str | None:
    try:
        fields, _, _ = create_fields(request)
    except ApiError:
        return None
    model = fields.get("model")
    return str(model) if model not in (None, "") else None


def _invalid_model(model: str | None) -> ApiError:
    message = (
        f"/videos: Invalid model name passed in model={model}. Call `/v1/models` to"
        " view available models for your key."
    )
    return ApiError(
        400,
        message,
        body={
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "400",
                "provider_specific_fields": {"error": message},
            }
        },
    )


def _require_support(provider: str, operation: str) -> None:
    if provider in PASSES_PROGRESS:
        return
    reason = UNSUPPORTED.get(
        (provider, operation), f"Video {operation} is not supported by {provider}."
    )
    exception = provider[:1].upper() + provider[1:] + "Exception"
    raise _error(
        500,
        f"litellm.APIConnectionError: APIConnectionError: {exception} - {reason}",
        "internal_server_error",
    )


def _error(status: int, message: str, kind: str) -> ApiError:
    body = {
        "error": {"message": message, "type": kind, "param": None, "code": str(status)}
    }
    return ApiError(status, message, body=body)


def _versioned(response: Response) -> Response:
    response.headers["x-litellm-version"] = VERSION
    return response


def _num_retries(request: Request) -> int:
    raw = (request.headers.get("x-litellm-num-retries") or "").strip()
    return int(raw) if raw.isdigit() else DEFAULT_NUM_RETRIES


def _without(headers: Message, *names: str) -> Message:
    kept = Message()
    for name, value in headers.items():
        if name.lower() not in names:
            kept[name] = value
    return kept


LITELLM = LiteLLMGateway()
