"""The emulator's tunable behaviour, and how control requests may change it.

Tests reshape the fake upstream per test (faster renders, huge content, other models,
another host's behaviour) through `POST /_emulator/reset` and `/_emulator/config`; every
override arrives as JSON, so it is validated here before it can break the server's
other threads.

`profile` names the host whose behaviour the emulator reproduces (see `profiles`). Its
models, unless given explicitly, are that host's preset table from the product's
`videos.sora.profiles`: the product's own resolved table (`SORA_MODELS` overrides
applied) when the profile is the product's `SORA_HOST_PRESET`, so the product and the
emulator agree on what is offered; the bare preset otherwise.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .profiles import PROFILES

REFERENCE_IMAGE_CHOICES = ("none", "optional", "required")

ModelTable = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class EmulatorConfig:
    """What the upstream looks like: host, models, timings and content size."""

    profile: str = "openai"
    """The host reproduced: openai, litellm, vllm-omni or sglang."""
    models: ModelTable = field(default_factory=dict)
    """Model -> {"sizes", "seconds", "reference_image", "seconds_by_size",
    "seconds_with_reference"}."""
    render_seconds: float = 8.0
    """Time from create to completion (the first tenth of it is spent `queued`)."""
    content_bytes: int | None = None
    """If set, the `video` variant is a generated body of this many bytes instead of
    the video's clip (its thumbnail and spritesheet still come from the clip)."""
    expires_after: float = 3600.0
    """Seconds from completion until the assets expire."""
    poll_after_ms: int = 1000
    """The `openai-poll-after-ms` hint sent while a video is running."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def with_overrides(self, overrides: Any) -> "EmulatorConfig":
        """A copy with the given JSON overrides applied; ApiError 400 if any is invalid.

        A new `profile` without `models` brings that profile's preset models.
        """
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
        if "profile" in changes and "models" not in changes:
            changes["models"] = _models("models", preset_models(changes["profile"]))
        return dataclasses.replace(self, **changes)


def preset_models(profile: str) -> dict[str, Any]:
    """The models a profile offers when none are given, as the product describes them."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from videos.sora import profiles as product

    try:
        if settings.configured and settings.SORA_HOST_PRESET == profile:
            return {name: p.to_json() for name, p in product.model_table().items()}
    except ImproperlyConfigured as error:
        raise _bad("models", f"The product's model table is invalid: {error}") from None
    preset = product.PRESETS[profile]
    return {name: {**preset.defaults, **entry} for name, entry in preset.models.items()}


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


def _profile(name: str, value: Any) -> str:
    if value not in PROFILES:
        raise _bad(name, f"{name} must be one of {', '.join(PROFILES)}.")
    return value


def _models(name: str, value: Any) -> ModelTable:
    """Model -> its sizes and seconds (required), reference_image, seconds_by_size and
    seconds_with_reference (optional), as the product's model profiles have them; their
    other keys (`description`, `remix`, `price_per_second`, ...) are ignored."""
    if not isinstance(value, dict) or not value:
        raise _bad(name, "models must be a non-empty object.")
    models = {}
    for model, caps in value.items():
        if not (isinstance(caps, dict) and caps.get("sizes") and caps.get("seconds")):
            raise _bad(
                name, f'models["{model}"] needs non-empty "sizes" and "seconds".'
            )
        reference_image = caps.get("reference_image", "optional")
        if reference_image not in REFERENCE_IMAGE_CHOICES:
            raise _bad(
                name,
                f'models["{model}"].reference_image must be one of'
                f" {', '.join(REFERENCE_IMAGE_CHOICES)}.",
            )
        try:
            models[str(model)] = {
                "sizes": [str(size) for size in caps["sizes"]],
                "seconds": [int(seconds) for seconds in caps["seconds"]],
                "reference_image": reference_image,
                "seconds_by_size": {
                    str(size): [int(s) for s in allowed]
                    for size, allowed in dict(caps.get("seconds_by_size") or {}).items()
                },
                "seconds_with_reference": [
                    int(s) for s in caps.get("seconds_with_reference") or []
                ],
            }
        except (TypeError, ValueError) as error:
            raise _bad(name, f'models["{model}"] is malformed: {error}') from error
    return models


_VALIDATORS = {
    "profile": _profile,
    "models": _models,
    "render_seconds": _non_negative_number,
    "content_bytes": _optional_non_negative_int,
    "expires_after": _non_negative_number,
    "poll_after_ms": _non_negative_int,
}
