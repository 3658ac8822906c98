"""`POST /v1/moderations`: flags an input when it contains the `[flag]` trigger.

The answer carries every category the SDK's `Moderation` model declares, so the product
can read any of them; a flagged input is flagged for violence.
"""

import secrets
from typing import TYPE_CHECKING, Any

from . import triggers
from .errors import invalid
from .wire import Request, Response

if TYPE_CHECKING:
    from .app import Emulator

DEFAULT_MODEL = "omni-moderation-latest"
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
FLAGGED_CATEGORY = "violence"


def moderate(app: "Emulator", request: Request) -> Response:
    body = request.json_object()
    texts = _input_texts(body.get("input"))
    return Response.json(
        {
            "id": "modr-" + secrets.token_hex(12),
            "model": str(body.get("model") or DEFAULT_MODEL),
            "results": [_result(text) for text in texts],
        }
    )


def _input_texts(value: Any) -> list[str]:
    """The texts to judge: a string, a list of strings, or a list of content parts."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        texts = []
        for item in value:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict) and item.get("type") in ("text", "image_url"):
                texts.append(str(item.get("text") or ""))
            else:
                break
        else:
            return texts
    raise invalid(
        "input", "Invalid 'input': expected a string or a non-empty list of strings."
    )


def _result(text: str) -> dict[str, Any]:
    flagged = triggers.is_flagged(text)
    categories = {name: flagged and name == FLAGGED_CATEGORY for name in CATEGORIES}
    return {
        "flagged": flagged,
        "categories": categories,
        "category_scores": {
            name: 0.97 if hit else 0.0001 for name, hit in categories.items()
        },
        "category_applied_input_types": {name: ["text"] for name in CATEGORIES},
    }
