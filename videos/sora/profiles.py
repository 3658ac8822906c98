"""Host profiles: what each model's host can do, picked by a preset and tuned per model.

The Videos API is served today by hosts that differ (docs/hosts.md): some cannot
delete, list, remix or make thumbnails, ignore `Range`, report no progress, or need a
reference image. One table says, for each model the product offers, its sizes and
lengths and what its host supports. `SORA_HOST_PRESET` picks a preset table
(`openai`, `litellm`, `vllm-omni`, `sglang`); `SORA_MODELS` (JSON) overrides it model
by model (`null` removes a model); `SORA_HOST_NAME` is the name users read.

The form and its validation, the pages, the poller, the admin and the emulator all
read `model_table()`; nothing else in the product knows a host's quirks.
"""

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

REFERENCE_IMAGE_CHOICES = ("none", "optional", "required")


@dataclass(frozen=True)
class ModelProfile:
    """One model as its host serves it."""

    name: str
    sizes: tuple[str, ...] = ()
    seconds: tuple[int, ...] = ()
    description: str = ""
    remix: bool = True
    delete: bool = True
    list: bool = True
    """The host lists videos with their prompts (so a lost create can be found)."""
    variants: bool = True
    """The host makes thumbnails and spritesheets (`?variant=`)."""
    range: bool = True
    """The host honours `Range` on content."""
    progress: bool = True
    """The host reports progress while rendering (else 0 until done)."""
    reference_image: str = "optional"
    price_per_second: Decimal | None = None
    """What the host charges per generated second, in US dollars, when known."""
    seconds_by_size: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Sizes that allow only some lengths (Veo: 1080p only at 8 s)."""
    seconds_with_reference: tuple[int, ...] = ()
    """Lengths allowed with a reference image, when fewer than without (Veo: 8 s)."""

    def seconds_for(
        self, size: str | None = None, *, with_reference: bool = False
    ) -> tuple[int, ...]:
        """The lengths this model makes at `size` (and with a reference image)."""
        allowed = self.seconds
        if size is not None and size in self.seconds_by_size:
            allowed = tuple(s for s in allowed if s in self.seconds_by_size[size])
        if with_reference and self.seconds_with_reference:
            allowed = tuple(s for s in allowed if s in self.seconds_with_reference)
        return allowed

    def cost(self, seconds: int) -> Decimal | None:
        if self.price_per_second is None:
            return None
        return self.price_per_second * seconds

    def to_json(self) -> dict[str, Any]:
        """The profile for the page's script (and the emulator): plain JSON types."""
        return {
            "sizes": list(self.sizes),
            "seconds": list(self.seconds),
            "description": self.description,
            "remix": self.remix,
            "delete": self.delete,
            "list": self.list,
            "variants": self.variants,
            "range": self.range,
            "progress": self.progress,
            "reference_image": self.reference_image,
            "price_per_second": (
                None if self.price_per_second is None else str(self.price_per_second)
            ),
            "seconds_by_size": {k: list(v) for k, v in self.seconds_by_size.items()},
            "seconds_with_reference": list(self.seconds_with_reference),
        }


@dataclass(frozen=True)
class HostPreset:
    """A host's display name, what it supports for any model, and its models."""

    name: str
    defaults: Mapping[str, Any]
    models: Mapping[str, Mapping[str, Any]]


# The capability keys a model's entry may set (everything but its name).
PROFILE_KEYS = tuple(f.name for f in fields(ModelProfile) if f.name != "name")

_OPENAI_SIZES = ["720x1280", "1280x720"]
_OPENAI_PRO_SIZES = [*_OPENAI_SIZES, "1024x1792", "1792x1024"]
_NOTHING_BUT_RENDER = {
    "remix": False,
    "delete": False,
    "list": False,
    "variants": False,
    "range": False,
    "progress": False,
}

PRESETS: dict[str, HostPreset] = {
    # OpenAI's own Videos API (shut down 2026-09-24); still the emulator's default.
    "openai": HostPreset(
        name="OpenAI",
        defaults={},
        models={
            "sora-2": {
                "sizes": _OPENAI_SIZES,
                "seconds": [4, 8, 12],
                "description": "Sora 2: fast, good for drafts and social clips.",
                "price_per_second": "0.10",
            },
            "sora-2-pro": {
                "sizes": _OPENAI_PRO_SIZES,
                "seconds": [4, 8, 12],
                "description": "Sora 2 Pro: slower, higher fidelity, larger sizes.",
                "price_per_second": "0.30",
            },
        },
    ),
    # LiteLLM's proxy: the aliases its documented config defines
    # (docs/hosts/litellm-config.yaml). It has no DELETE, cannot list for most
    # providers (and lists without prompts), ignores `variant` and `Range`.
    "litellm": HostPreset(
        name="LiteLLM",
        defaults=_NOTHING_BUT_RENDER,
        models={
            "sora-2": {
                "sizes": _OPENAI_SIZES,
                "seconds": [4, 8, 12],
                "description": "Sora 2 through the gateway (OpenAI or Azure).",
                "remix": True,
                "progress": True,
            },
            "veo-3.1": {
                "sizes": ["1280x720", "720x1280", "1920x1080", "1080x1920"],
                "seconds": [4, 6, 8],
                "description": "Google Veo 3.1 (Gemini): 1080p and reference "
                "images only at 8 seconds.",
                "seconds_by_size": {"1920x1080": [8], "1080x1920": [8]},
                "seconds_with_reference": [8],
            },
            "gen4_turbo": {
                "sizes": ["1280x720", "720x1280"],
                "seconds": [5, 10],
                "description": "Runway Gen-4 Turbo: animates a reference image "
                "(required).",
                "reference_image": "required",
                "price_per_second": "0.05",
            },
        },
    ),
    # vLLM-Omni serving one open model on a GPU: no remix, no thumbnails, progress 0
    # until done; any size and length the model can render.
    "vllm-omni": HostPreset(
        name="vLLM-Omni",
        defaults={"remix": False, "variants": False, "progress": False},
        models={
            "Wan-AI/Wan2.2-T2V-A14B-Diffusers": {
                "sizes": ["1280x720", "720x1280", "832x480", "480x832"],
                "seconds": [3, 5],
                "description": "Wan 2.2 text-to-video (14B), self-hosted.",
                "reference_image": "none",
            },
        },
    ),
    # SGLang's diffusion server: multipart creates (all the SDK sends) need an image.
    "sglang": HostPreset(
        name="SGLang",
        defaults={"remix": False, "variants": False, "progress": False},
        models={
            "Wan-AI/Wan2.2-TI2V-5B-Diffusers": {
                "sizes": ["1280x704", "704x1280"],
                "seconds": [5],
                "description": "Wan 2.2 text+image-to-video (5B), self-hosted: "
                "animates a reference image.",
                "reference_image": "required",
            },
        },
    ),
}


def preset() -> HostPreset:
    try:
        return PRESETS[settings.SORA_HOST_PRESET]
    except KeyError:
        raise ImproperlyConfigured(
            f"SORA_HOST_PRESET is {settings.SORA_HOST_PRESET!r}; "
            f"choose one of {', '.join(PRESETS)}."
        ) from None


def host_name() -> str:
    """What users read where the host is named ("OpenAI", "Acme Video", …)."""
    return settings.SORA_HOST_NAME or preset().name


def model_table() -> dict[str, ModelProfile]:
    """Every model offered, in order, as the preset and `SORA_MODELS` describe it."""
    overrides = settings.SORA_MODELS or {}
    return _build_table(
        settings.SORA_HOST_PRESET, json.dumps(overrides, sort_keys=True, default=str)
    )


def models() -> list[str]:
    return list(model_table())


def profile_for(model: str) -> ModelProfile:
    """The model's profile; for a model no longer offered, its host's defaults."""
    table = model_table()
    if model in table:
        return table[model]
    return replace(_profile(model, preset().defaults), sizes=(), seconds=())


def all_sizes() -> list[str]:
    """Every size of every model, in first-seen order."""
    return list(
        dict.fromkeys(
            size for profile in model_table().values() for size in profile.sizes
        )
    )


def all_seconds() -> list[int]:
    return sorted({s for profile in model_table().values() for s in profile.seconds})


def dimensions(size: str) -> tuple[int, int]:
    """`"1280x720"` → `(1280, 720)`: width, height."""
    width, _, height = size.partition("x")
    return int(width), int(height)


@functools.lru_cache(maxsize=16)
def _build_table(preset_name: str, overrides_json: str) -> dict[str, ModelProfile]:
    host = preset()
    overrides = json.loads(overrides_json)
    if not isinstance(overrides, dict):
        raise ImproperlyConfigured("SORA_MODELS must be a JSON object of models.")
    entries: dict[str, Mapping[str, Any]] = dict(host.models)
    for model, change in overrides.items():
        if change is None:
            entries.pop(model, None)
        elif not isinstance(change, dict):
            raise ImproperlyConfigured(
                f"SORA_MODELS[{model!r}] must be an object of capabilities or null."
            )
        else:
            entries[model] = {**entries.get(model, {}), **change}
    table = {
        model: _profile(model, {**host.defaults, **entry})
        for model, entry in entries.items()
    }
    if not table:
        raise ImproperlyConfigured("SORA_MODELS leaves no model to offer.")
    return table


LIST_KEYS = ("sizes", "seconds", "seconds_with_reference")


def _profile(model: str, entry: Mapping[str, Any]) -> ModelProfile:
    unknown = sorted(set(entry) - set(PROFILE_KEYS))
    if unknown:
        raise ImproperlyConfigured(
            f"SORA_MODELS[{model!r}] has unknown keys {', '.join(unknown)}; "
            f"known: {', '.join(PROFILE_KEYS)}."
        )
    for key in LIST_KEYS:
        if not isinstance(entry.get(key, []), list | tuple):
            raise ImproperlyConfigured(
                f"SORA_MODELS[{model!r}].{key} must be a list, e.g. [4, 8]."
            )
    try:
        profile = ModelProfile(
            name=model,
            sizes=tuple(_size(s) for s in entry.get("sizes", ())),
            seconds=tuple(int(s) for s in entry.get("seconds", ())),
            description=str(entry.get("description", "")),
            remix=bool(entry.get("remix", True)),
            delete=bool(entry.get("delete", True)),
            list=bool(entry.get("list", True)),
            variants=bool(entry.get("variants", True)),
            range=bool(entry.get("range", True)),
            progress=bool(entry.get("progress", True)),
            reference_image=str(entry.get("reference_image", "optional")),
            price_per_second=_price(entry.get("price_per_second")),
            seconds_by_size={
                str(size): tuple(int(s) for s in allowed)
                for size, allowed in dict(entry.get("seconds_by_size", {})).items()
            },
            seconds_with_reference=tuple(
                int(s) for s in entry.get("seconds_with_reference", ())
            ),
        )
    except (TypeError, ValueError, InvalidOperation) as error:
        raise ImproperlyConfigured(
            f"SORA_MODELS[{model!r}] is malformed: {error}"
        ) from error
    if profile.reference_image not in REFERENCE_IMAGE_CHOICES:
        raise ImproperlyConfigured(
            f"SORA_MODELS[{model!r}].reference_image must be one of "
            f"{', '.join(REFERENCE_IMAGE_CHOICES)}."
        )
    return profile


def _size(value: Any) -> str:
    text = str(value)
    width, sep, height = text.partition("x")
    if not (sep and width.isdigit() and height.isdigit()):
        raise ValueError(f"size {text!r} is not WIDTHxHEIGHT")
    return text


def _price(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(
            f"price_per_second {value!r} is not a number of dollars"
        ) from None
    if price < 0:
        raise ValueError("price_per_second must be >= 0")
    return price


def check_table() -> list[str]:
    """Problems with the configured table, as messages (for a system check)."""
    try:
        table = model_table()
    except ImproperlyConfigured as error:
        return [str(error)]
    return [
        f"SORA_MODELS[{name!r}] needs at least one size and one length."
        for name, profile in table.items()
        if not (profile.sizes and profile.seconds)
    ]
