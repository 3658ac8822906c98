"""The emulator's tunable behaviour, and how control requests may change it.

Tests reshape the fake upstream per test (faster renders, huge content, other models)
through `POST /_emulator/reset` and `/_emulator/config`; every override arrives as JSON,
so it is validated here before it can break the server's other threads.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError


@dataclass(frozen=True)
class EmulatorConfig:
    """What the upstream looks like: capabilities, timings and content size."""

    models: dict[str, dict[str, list]] = field(default_factory=dict)
    render_seconds: float = 8.0
    """Time from create to completion (the first tenth of it is spent `queued`)."""
    content_bytes: int | None = None
    """If set, the `video` variant is a generated body of this many bytes."""
    expires_after: float = 3600.0
    """Seconds from completion until the assets expire."""
    poll_after_ms: int = 1000
    """The `openai-poll-after-ms` hint sent while a video is running."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def with_overrides(self, overrides: Any) -> "EmulatorConfig":
        """A copy with the given JSON overrides applied; ApiError 400 if any is invalid."""
        if overrides is None:
            return self
        if not isinstance(overrides, dict):
            raise _bad(None, "The config must be a JSON object.")
        unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise _bad(unknown[0], f"Unknown config key(s): {', '.join(unknown)}.")
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            changes[name] = _VALIDATORS[name](name, value)
        return dataclasses.replace(self, **changes)


def _bad(param: str | None, message: str) -> ApiError:
    return ApiError(400, message, param=param, code="invalid_config")


def _is_number(value: Any) -> bool:
    # bool is an int subclass, and `true` is never meant as a duration.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _non_negative_number(name: str, value: Any) -> float:
    if not _is_number(value) or value < 0:
        raise _bad(name, f"{name} must be a number >= 0.")
    return float(value)


def _non_negative_int(name: str, value: Any) -> int:
    if not _is_number(value) or value < 0 or int(value) != value:
        raise _bad(name, f"{name} must be an integer >= 0.")
    return int(value)


def _optional_non_negative_int(name: str, value: Any) -> int | None:
    return None if value is None else _non_negative_int(name, value)


def _models(name: str, value: Any) -> dict[str, dict[str, list]]:
    """The same shape as the SORA_MODELS setting: model -> {"sizes": [...], "seconds": [...]}."""
    if not isinstance(value, dict) or not value:
        raise _bad(name, "models must be a non-empty object.")
    models = {}
    for model, caps in value.items():
        if not (isinstance(caps, dict) and caps.get("sizes") and caps.get("seconds")):
            raise _bad(
                name, f'models["{model}"] needs non-empty "sizes" and "seconds".'
            )
        try:
            models[str(model)] = {
                "sizes": [str(size) for size in caps["sizes"]],
                "seconds": [int(seconds) for seconds in caps["seconds"]],
            }
        except (TypeError, ValueError) as error:
            raise _bad(name, f'models["{model}"] is malformed: {error}') from error
    return models


_VALIDATORS = {
    "models": _models,
    "render_seconds": _non_negative_number,
    "content_bytes": _optional_non_negative_int,
    "expires_after": _non_negative_number,
    "poll_after_ms": _non_negative_int,
}
