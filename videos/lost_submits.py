"""A submit whose answer was lost: did the host accept it anyway?

A create or remix that timed out may have started a video the host bills for. Before
sending it again, the video is looked for in the host's list; where the host cannot
list, refuses to, or lists without prompts, nobody can tell, and the video is held for
an admin instead of being paid for twice (docs/ARCHITECTURE.md, "Lost submits").
"""

from datetime import timedelta

from videos import sora
from videos.models import Video

RECONCILE_MARGIN = timedelta(minutes=10)
"""How far before our submit attempt to look upstream (clocks differ)."""

LOST_SUBMIT_REASONS = {
    "cannot_list": "{host} cannot list videos to check whether it accepted it",
    "no_prompts": "{host} lists videos without their prompts, so it cannot be found "
    "safely",
    "list_refused": "{host} refused to list videos to check whether it accepted it: "
    "{detail}",
}


class CannotReconcile(Exception):
    """The host cannot say whether a lost submit was accepted; str() says why."""


def lost_submit_reason(kind: str, detail: str = "") -> str:
    """Why a lost submit is held for an admin, in words for the admin and the log."""
    why = LOST_SUBMIT_REASONS[kind].format(host=sora.host_name(), detail=detail)
    return f"the answer to its submit was lost, and {why}"


def remix_source_id(video: Video) -> str | None:
    """The host's id of the video this one remixes (None: not a remix, or its source
    row is gone or was never accepted)."""
    if not video.remixed_from_id:
        return None
    return (
        Video.objects.filter(pk=video.remixed_from_id)
        .values_list("openai_video_id", flat=True)
        .first()
    )


def find_lost_submission(video: Video) -> sora.UpstreamVideo | None:
    """The upstream video an unanswered submit created, if it exists and is unclaimed.

    The list endpoint gives prompt, model, size, seconds and created_at; a match made
    since shortly before our attempt, that no other row has adopted, is ours. Raises
    CannotReconcile where the host cannot list, refuses to, or lists videos without
    their prompts (LiteLLM answers `prompt: null`): a video we cannot see might be ours.
    """
    if not video.host_profile.list:
        raise CannotReconcile(lost_submit_reason("cannot_list"))
    if video.submit_attempted_at is None:
        raise ValueError("only a submit that was attempted can have been lost")
    since = video.submit_attempted_at - RECONCILE_MARGIN
    source_id = remix_source_id(video)
    try:
        for candidate in sora.iter_videos(created_since=since):
            if candidate.prompt is None:
                raise CannotReconcile(lost_submit_reason("no_prompts"))
            if _same_request(video, candidate, source_id=source_id) and not (
                Video.objects.filter(openai_video_id=candidate.id).exists()
            ):
                return candidate
    except sora.RefusedError as error:
        raise CannotReconcile(
            lost_submit_reason("list_refused", error.message)
        ) from error
    return None


def _same_request(
    video: Video, candidate: sora.UpstreamVideo, *, source_id: str | None
) -> bool:
    same_model = candidate.model == video.model or candidate.model.startswith(
        f"{video.model}-"
    )
    return (
        (candidate.prompt or "").strip() == video.prompt.strip()
        and same_model
        and candidate.size == video.size
        and candidate.seconds == video.seconds
        and candidate.remixed_from_id == source_id
    )
