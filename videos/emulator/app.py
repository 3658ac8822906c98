"""The emulator as an application: its state, its routes, and what happens to every request.

For each request: find the route among those the emulated host has (404/405 otherwise);
for an API route count it, apply the next matching fault, check the API key; then run
the handler (the host's own, where it has one), and render any error the host's way.
A gateway host (`litellm`) relays each API request upstream instead, through the same
steps. Control routes under ``/_emulator/`` skip counting, faults and auth, so a test
can always reset the server.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from . import control_api, moderations_api, videos_api
from .clips import ClipCache
from .config import EmulatorConfig
from .errors import ApiError
from .faults import FaultBook, path_matches
from .profiles import Host, host_for
from .state import VideoStore
from .stats import Stats
from .wire import Request, Response

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    pattern: str
    """The path, `*` standing for one segment (a video id), passed to the handler."""
    handlers: dict[str, Handler]
    counted_as: dict[str, str] | None = None
    """Stats key per method; None for control routes, which are not API traffic."""

    @property
    def is_api(self) -> bool:
        return self.counted_as is not None

    def stats_key(self, method: str) -> str:
        """The stats key of one of an API route's methods (control routes have none)."""
        if self.counted_as is None:
            raise ValueError(f"{self.pattern} is a control route: it is not counted")
        return self.counted_as[method]

    def params(self, path: str) -> list[str]:
        pattern_parts = self.pattern.strip("/").split("/")
        path_parts = path.strip("/").split("/")
        return [
            got
            for want, got in zip(pattern_parts, path_parts, strict=True)
            if want == "*"
        ]


ROUTES = (
    Route(
        "/v1/videos",
        {"GET": videos_api.list_videos, "POST": videos_api.create_video},
        {"GET": "GET /v1/videos", "POST": "POST /v1/videos"},
    ),
    Route(
        "/v1/videos/*",
        {"GET": videos_api.retrieve_video, "DELETE": videos_api.delete_video},
        {"GET": "GET /v1/videos/{id}", "DELETE": "DELETE /v1/videos/{id}"},
    ),
    Route(
        "/v1/videos/*/remix",
        {"POST": videos_api.remix_video},
        {"POST": "POST /v1/videos/{id}/remix"},
    ),
    Route(
        "/v1/videos/*/content",
        {"GET": videos_api.download_content},
        {"GET": "GET /v1/videos/{id}/content"},
    ),
    Route(
        "/v1/moderations",
        {"POST": moderations_api.moderate},
        {"POST": "POST /v1/moderations"},
    ),
    Route("/_emulator/reset", {"POST": control_api.reset}),
    Route(
        "/_emulator/config",
        {"GET": control_api.show_config, "POST": control_api.configure},
    ),
    Route(
        "/_emulator/faults",
        {"GET": control_api.list_faults, "POST": control_api.add_fault},
    ),
    Route("/_emulator/stats", {"GET": control_api.stats}),
    Route("/_emulator/videos", {"GET": control_api.list_all_videos}),
    Route("/_emulator/videos/*/expire", {"POST": control_api.expire_video}),
    Route("/_emulator/videos/*/complete", {"POST": control_api.complete_video}),
)


class Emulator:
    """The fake upstream's state (videos, faults, counters, config, clip cache) and
    request dispatch."""

    def __init__(
        self,
        *,
        defaults: EmulatorConfig,
        api_key: str | None = None,
        clips: ClipCache | None = None,
    ) -> None:
        self.defaults = defaults
        self.api_key = api_key
        self.clips = clips or ClipCache.at()
        """Where completed videos' clips and pictures are made and kept (`clips`)."""
        self.store = VideoStore()
        self.faults = FaultBook()
        self.stats = Stats()
        self.stopping = threading.Event()
        """Set when the server stops, so hanging requests give up their wait."""
        self._config_lock = threading.Lock()
        self._config = defaults

    @property
    def config(self) -> EmulatorConfig:
        return self._config

    @property
    def host(self) -> Host:
        """The host the emulator behaves as (its config's `profile`)."""
        return host_for(self._config.profile)

    @property
    def upstream(self) -> Host:
        """The host whose behaviour the handlers follow: behind a gateway, OpenAI's."""
        return self.host.upstream

    def update_config(
        self, overrides: object, *, from_defaults: bool = False
    ) -> EmulatorConfig:
        """Apply JSON overrides to the current config (or to the defaults, for a reset)."""
        with self._config_lock:
            base = self.defaults if from_defaults else self._config
            self._config = base.with_overrides(overrides)
            return self._config

    def handle(self, request: Request) -> Response:
        """The response to one request; never raises ApiError."""
        host = self.host
        try:
            route = _resolve(request.method, request.path, host)
        except ApiError as error:
            return host.render_error(error)
        params = route.params(request.path)
        if route.is_api:
            return host.serve(self, route, request, params)
        try:
            return route.handlers[request.method](self, request, *params)
        except ApiError as error:
            return Response.error(error)

    def call_api(
        self,
        host: Host,
        route: Route,
        request: Request,
        params: list[str],
        *,
        authenticate: bool = True,
    ) -> Response:
        """One API request as `host` itself answers it: counted, faulted, handled."""
        drop = cut = False
        try:
            self._count(route, request.method, params)
            fault = self.faults.take(request.method, request.path)
            if fault is not None and fault.kind == "drop":
                drop = True
            elif fault is not None and fault.kind == "cut":
                cut = True
            elif fault is not None and fault.kind == "hang":
                self.stopping.wait(fault.seconds)
            elif fault is not None:
                raise fault.error()
            if authenticate:
                self._authenticate(request)
            key = route.stats_key(request.method)
            handler = host.handlers.get(key) or route.handlers[request.method]
            response = handler(self, request, *params)
        except ApiError as error:
            response = host.render_error(error)
        response.drop = drop
        response.cut = cut
        return response

    def key_matches(self, request: Request) -> bool:
        """Whether the request carries a bearer token this server accepts."""
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        return (
            scheme.lower() == "bearer" and bool(token) and self.api_key in (None, token)
        )

    def _count(self, route: Route, method: str, params: list[str]) -> None:
        key = route.stats_key(method)
        self.stats.count_request(key)
        if key == "GET /v1/videos/{id}":
            self.stats.count_retrieve(params[0])

    def _authenticate(self, request: Request) -> None:
        if self.key_matches(request):
            return
        raise ApiError(
            401,
            "Incorrect or missing API key. Send 'Authorization: Bearer <key>'.",
            code="invalid_api_key",
        )


def _resolve(method: str, path: str, host: Host) -> Route:
    """The route for a path (404 if none) that answers this method (405 if not), among
    the routes the host has."""
    for route in ROUTES:
        methods = [
            m
            for m in route.handlers
            if not route.is_api or route.stats_key(m) not in host.missing_routes
        ]
        if methods and path_matches(route.pattern, path):
            if method not in methods:
                allowed = ", ".join(sorted(methods))
                raise ApiError(
                    405,
                    f"Method {method} is not allowed on {path}; use {allowed}.",
                    code="method_not_allowed",
                    headers={"Allow": allowed},
                )
            return route
    raise ApiError(404, f"Unknown route: {method} {path}.", code="unknown_route")
