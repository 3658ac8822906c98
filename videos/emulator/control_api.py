"""The `/_emulator/` control endpoints: reset, configure, inject faults, inspect, force time.

They are for tests and benchmarks (see `control.EmulatorClient`), take and return JSON,
and need no API key. They show videos as the upstream stores them (raw ids, prompts),
whatever host is emulated, and take a video's id in any form a client may hold
(behind the `litellm` gateway, its encoded ids too).
"""

from typing import TYPE_CHECKING

from .faults import fault_from_json
from .litellm import upstream_id
from .wire import Request, Response

if TYPE_CHECKING:
    from .app import Emulator


def reset(app: "Emulator", request: Request) -> Response:
    """Forget every video, fault and counter; config back to the defaults plus overrides."""
    config = app.update_config(request.json(), from_defaults=True)
    app.store.clear()
    app.faults.clear()
    app.stats.clear()
    return Response.json({"config": config.to_json()})


def show_config(app: "Emulator", request: Request) -> Response:
    return Response.json({"config": app.config.to_json()})


def configure(app: "Emulator", request: Request) -> Response:
    config = app.update_config(request.json())
    return Response.json({"config": config.to_json()})


def add_fault(app: "Emulator", request: Request) -> Response:
    app.faults.add(fault_from_json(request.json()))
    return Response.json({"faults": app.faults.pending()})


def list_faults(app: "Emulator", request: Request) -> Response:
    return Response.json({"faults": app.faults.pending()})


def stats(app: "Emulator", request: Request) -> Response:
    return Response.json(app.stats.to_json())


def list_all_videos(app: "Emulator", request: Request) -> Response:
    """Every stored video; `?timing=1` adds each one's exact times (`timing`)."""
    timing = request.query.get("timing", "") not in ("", "0", "false")
    return Response.json({"object": "list", "data": app.store.dump(timing=timing)})


def expire_video(app: "Emulator", request: Request, video_id: str) -> Response:
    return Response.json(app.store.expire(upstream_id(video_id)))


def complete_video(app: "Emulator", request: Request, video_id: str) -> Response:
    return Response.json(app.store.complete(upstream_id(video_id)))
