"""What the pages poll to stay current without a reload.

The detail page asks `/videos/<uuid>/status/` about its one video; the list page asks
`/videos/status/?ids=<uuid>,<uuid>` about all its running cards at once, so a page of
twelve renders costs one small request per poll, not twelve. Both paths end in
`/status/`, which the site's rate limit does not count (sora_site/ratelimits.py):
a page watching a render must not lock its owner out.
"""

import uuid
from datetime import datetime

from django.http import Http404, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import AuthenticatedHttpRequest
from videos import cards, estimates, selectors
from videos.models import Video
from videos.views import PAGE_SIZE, new_remix_form, owned_video

MAX_IDS = PAGE_SIZE
"""A list page holds at most this many cards, so a poll never needs more."""

DELETED_MESSAGE = "This video was deleted."


class BadIds(ValueError):
    """The `ids` parameter cannot be read; the message says why, for the 400."""


@never_cache
@require_GET
def video_status(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> JsonResponse:
    """What the detail page polls: the state, and the panel to show once it changes.

    A video that is gone answers 404 in JSON, so the page can say so and stop asking.
    """
    try:
        video = owned_video(request, pk)
    except Http404:
        return JsonResponse({"error": DELETED_MESSAGE}, status=404)
    time = estimates.describe(video, timezone.now())
    panel = render_to_string(
        "videos/detail.html#status_panel",
        {"video": video, "remix_form": new_remix_form(video)},
        request=request,
    )
    return JsonResponse(
        {
            "status": video.status,
            "phase": video.phase,
            "progress": video.display_progress,
            "error": video.error_message or None,
            "status_label": video.status_label,
            "elapsed": round(time.elapsed),
            "estimate": time.text,
            "running": video.is_running,
            "live": video.is_live,
            "hidden": video.hidden,
            "html": panel,
        }
    )


@never_cache
@require_GET
def video_statuses(request: AuthenticatedHttpRequest) -> JsonResponse:
    """What the list page polls: its running cards' states, in one query.

    Only the user's own videos answer; an id that is someone else's, or deleted, is
    simply absent (never an error: others' ids stay secret).
    """
    try:
        ids = parse_ids(request.GET.get("ids", ""))
    except BadIds as error:
        return JsonResponse({"error": str(error)}, status=400)
    videos = selectors.videos_for_list(request.user).filter(pk__in=ids)
    now = timezone.now()
    return JsonResponse(
        {"videos": {str(video.pk): card_state(video, now) for video in videos}}
    )


def parse_ids(text: str) -> list[uuid.UUID]:
    """`<uuid>,<uuid>,…` as UUIDs, each once; BadIds if empty, too many or malformed."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise BadIds("Say which videos: ?ids=<id>,<id> (the videos' ids).")
    if len(parts) > MAX_IDS:
        raise BadIds(
            f"At most {MAX_IDS} videos can be asked about at once; "
            f"{len(parts)} were given."
        )
    ids: list[uuid.UUID] = []
    for part in parts:
        try:
            video_id = uuid.UUID(part)
        except ValueError:
            raise BadIds(f"“{part[:40]}” is not a video id.") from None
        if video_id not in ids:
            ids.append(video_id)
    return ids


def card_state(video: Video, now: datetime) -> dict:
    """One card's live facts; its whole HTML once it stops running.

    A running card is updated in place (badge, bar, estimate); a finished one is
    replaced by the card the list page itself renders (poster, length, …), from the
    same partial, so the two never drift apart.
    """
    running = video.is_live
    state = {
        "status": video.status,
        "phase": video.phase,
        "status_label": video.status_label,
        "progress": video.display_progress,
        "estimate": capfirst(estimates.describe(video, now).text),
        "running": running,
    }
    if not running:
        [state["html"]] = cards.render_cards([video])
    return state
