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
"""

REFUSE = "[refuse]"
FAIL = "[fail]"
FLAG = "[flag]"
SLOW = "[slow]"

SLOW_FACTOR = 10.0
"""How many times longer a `[slow]` video renders."""

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
