"""Prompt triggers: words in a prompt that make the emulator act out an upstream outcome.

Tests and demos need refusals, failures, flagged prompts and slow renders on demand,
without a control call. A trigger is a bracketed word anywhere in the prompt (case
insensitive), and works in create and remix prompts alike:

* ``[refuse]`` — the create (or remix) is refused at once: 400, code
  ``moderation_blocked``; nothing is stored.
* ``[fail]``   — accepted, runs as usual, then ends ``failed`` with error code
  ``generation_failed`` when it would have completed.
* ``[flag]``   — ``POST /v1/moderations`` reports the input as flagged (violence).
  Creates are not affected.
* ``[slow]``   — the render takes ten times ``render_seconds``.
* ``[render=S]`` — the render takes ``S`` seconds (a number from 0 to 86400, decimals
  allowed, e.g. ``[render=63.2]``) instead of ``render_seconds``, so each video can
  have its own render time (benchmarks draw them from a distribution); with
  ``[slow]`` too, ten times ``S``. A malformed value, or more than one ``[render=…]``,
  refuses the create: 400, param ``prompt``, code ``invalid_value``.
"""

import re

from .errors import invalid

REFUSE = "[refuse]"
FAIL = "[fail]"
FLAG = "[flag]"
SLOW = "[slow]"

SLOW_FACTOR = 10.0
"""How many times longer a `[slow]` video renders."""
MAX_RENDER_SECONDS = 86400.0
"""The longest render a `[render=S]` trigger may ask for (a day)."""
_RENDER = re.compile(r"\[render=([^\]]*)\]", re.IGNORECASE)
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")

REFUSAL_MESSAGE = "Your request was blocked by our moderation system."
FAILURE_CODE = "generation_failed"
FAILURE_MESSAGE = "The video could not be generated. Try a different prompt."


def _has(prompt: str, trigger: str) -> bool:
    return trigger in prompt.lower()


def is_refused(prompt: str) -> bool:
    return _has(prompt, REFUSE)


def will_fail(prompt: str) -> bool:
    return _has(prompt, FAIL)


def is_flagged(text: str) -> bool:
    return _has(text, FLAG)


def render_factor(prompt: str) -> float:
    """How many render_seconds this prompt takes to render."""
    return SLOW_FACTOR if _has(prompt, SLOW) else 1.0


def render_seconds(prompt: str, default: float) -> float:
    """The render time of a video with this prompt: `[render=S]`, else `default`,
    times ten for `[slow]`. ApiError 400 for a malformed or repeated `[render=…]`."""
    values = _RENDER.findall(prompt)
    if len(values) > 1:
        raise invalid("prompt", "At most one [render=S] trigger per prompt.")
    seconds = default
    if values:
        text = values[0].strip()
        if not _DECIMAL.fullmatch(text) or float(text) > MAX_RENDER_SECONDS:
            raise invalid(
                "prompt",
                f"Invalid [render={values[0]}]: expected a number of seconds from 0"
                f" to {MAX_RENDER_SECONDS:g}, e.g. [render=63.2].",
            )
        seconds = float(text)
    return seconds * render_factor(prompt)
