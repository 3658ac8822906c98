"""The one door to the host that serves the Videos API: every upstream call goes here.

Only this package imports `openai` or knows how hosts differ:

* `client`: the calls, through the official SDK, in product terms;
* `content`: an open download, and telling a real image from an MP4;
* `errors`: transient / refused / gone, with a gateway's wrapping taken off;
* `profiles`: what each model's host supports (the capability table);
* `types`: the host's answers in our own types.

Callers use `from videos import sora` and the names below. docs/hosts.md describes
the hosts and how the product copes with each.
"""

from videos.sora.client import (
    CONTENT_VARIANTS,
    delete_video,
    fetch_video,
    get_client,
    iter_videos,
    moderate_prompt,
    open_content,
    remix_video,
    submit_video,
)
from videos.sora.content import CONTENT_CHUNK_SIZE, ContentStream, image_type
from videos.sora.errors import (
    NO_SUCH_ROUTE_STATUSES,
    GoneError,
    RefusedError,
    SoraError,
    TransientError,
    UnsupportedError,
)
from videos.sora.profiles import host_name, profile_for
from videos.sora.types import Moderation, ReferenceImage, UpstreamVideo

__all__ = [
    "CONTENT_CHUNK_SIZE",
    "CONTENT_VARIANTS",
    "NO_SUCH_ROUTE_STATUSES",
    "ContentStream",
    "GoneError",
    "Moderation",
    "ReferenceImage",
    "RefusedError",
    "SoraError",
    "TransientError",
    "UnsupportedError",
    "UpstreamVideo",
    "delete_video",
    "fetch_video",
    "get_client",
    "host_name",
    "image_type",
    "iter_videos",
    "moderate_prompt",
    "open_content",
    "profile_for",
    "remix_video",
    "submit_video",
]
