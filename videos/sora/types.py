"""What the host tells us, in our own types: no `openai` type leaves this package."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import IO


@dataclass(frozen=True)
class UpstreamVideo:
    """What the host knows about one video."""

    id: str
    status: str
    progress: int
    model: str
    size: str
    seconds: int
    prompt: str | None
    """None where the host does not say (LiteLLM's list answers `prompt: null`)."""
    created_at: datetime
    completed_at: datetime | None = None
    expires_at: datetime | None = None
    remixed_from_id: str | None = None
    error_code: str = ""
    error_message: str = ""
    poll_after_seconds: float | None = None
    """The host's hint (`openai-poll-after-ms`) for when to ask again."""


@dataclass(frozen=True)
class Moderation:
    flagged: bool
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReferenceImage:
    """An image file to send as `input_reference`."""

    filename: str
    file: IO[bytes]
    content_type: str
