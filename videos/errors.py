"""Errors the user can act on, raised by services and turned into messages by views."""


class VideoError(Exception):
    """Base class; `message` is shown to the user as it is."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class QuotaExceeded(VideoError):
    field = "seconds"


class PromptFlagged(VideoError):
    field = "prompt"


class UpstreamRefused(VideoError):
    """The host said no to a parameter (a capability error): a form error, no charge."""


class UpstreamUnavailable(VideoError):
    """The host could not be reached for something that cannot wait (delete, moderation)."""


class NotAllowed(VideoError):
    """The account or the video is not in a state that allows this."""
