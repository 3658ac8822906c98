"""The models the upstream offers, with each one's sizes and durations (`SORA_MODELS`).

The create form, its validation, the emulator and the admin all ask this module, so a
gateway with other model names, sizes or durations needs a setting, not a code change.
"""

from django.conf import settings


def models() -> list[str]:
    return list(settings.SORA_MODELS)


def sizes_for(model: str) -> list[str]:
    return [str(size) for size in settings.SORA_MODELS.get(model, {}).get("sizes", [])]


def seconds_for(model: str) -> list[int]:
    return [int(s) for s in settings.SORA_MODELS.get(model, {}).get("seconds", [])]


def all_sizes() -> list[str]:
    """Every size of every model, in first-seen order."""
    return list(dict.fromkeys(size for model in models() for size in sizes_for(model)))


def all_seconds() -> list[int]:
    return sorted({s for model in models() for s in seconds_for(model)})


def dimensions(size: str) -> tuple[int, int]:
    """`"1280x720"` → `(1280, 720)`: width, height."""
    width, _, height = size.partition("x")
    return int(width), int(height)
