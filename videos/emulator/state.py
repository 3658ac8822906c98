"""The emulator's in-memory videos and their lifecycle.

A video's status is not advanced by a background thread: it is computed from the time
elapsed since the create whenever someone looks. With ``R`` the video's render time:

* ``[0, R/10)``  → ``queued``, progress 0;
* ``[R/10, R)`` → ``in_progress``, progress rising with elapsed time (1..99);
* ``R`` onwards → ``completed`` (progress 100, ``completed_at`` and ``expires_at`` set),
  or ``failed`` with an error for a `[fail]` prompt.

The control endpoints can move a video's finish (``complete``) or expiry (``expire``)
to now. Ids come from the host being emulated (each shapes its own); a host that cancels
a running job on delete (vLLM-Omni) ends it ``failed`` with code ``cancelled``. Every
read and write holds one lock; callers get plain dicts (snapshots), so no one needs the
lock while writing a response.
"""

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import triggers
from .errors import ApiError, video_not_found

QUEUED_FRACTION = 0.1
"""Share of the render time a video spends `queued` before it starts to progress."""


CANCELLED_MESSAGE = "The job was cancelled before it finished."


def new_video_id() -> str:
    """OpenAI's id shape; other hosts pass their own ids to `VideoStore.create`."""
    return "video_" + secrets.token_hex(16)


@dataclass
class StoredVideo:
    """One accepted create or remix, with the times its lifecycle is computed from."""

    id: str
    model: str
    size: str
    seconds: str
    prompt: str
    created_at: float
    render_seconds: float
    expires_after: float
    fails: bool
    remixed_from_video_id: str | None = None
    finished_at_override: float | None = None
    expires_at_override: float | None = None
    deleted: bool = False
    cancelled: bool = False

    @property
    def finishes_at(self) -> float:
        if self.finished_at_override is not None:
            return self.finished_at_override
        return self.created_at + self.render_seconds

    def is_finished(self, now: float) -> bool:
        return now >= self.finishes_at

    @property
    def is_failed(self) -> bool:
        """Ends (or ended) `failed`: a `[fail]` prompt, or a job cancelled while running."""
        return self.fails or self.cancelled

    def is_completed(self, now: float) -> bool:
        return self.is_finished(now) and not self.is_failed

    def expires_at(self, now: float) -> float | None:
        """When the assets expire; None until the video has completed."""
        if not self.is_completed(now):
            return None
        if self.expires_at_override is not None:
            return self.expires_at_override
        return self.finishes_at + self.expires_after

    def is_expired(self, now: float) -> bool:
        expires_at = self.expires_at(now)
        return expires_at is not None and now >= expires_at

    def status(self, now: float) -> tuple[str, int]:
        """(status, progress) at `now`."""
        if self.is_finished(now):
            return ("failed", 100) if self.is_failed else ("completed", 100)
        elapsed = now - self.created_at
        if elapsed < QUEUED_FRACTION * self.render_seconds:
            return "queued", 0
        progress = int(100 * elapsed / self.render_seconds)
        return "in_progress", min(max(progress, 1), 99)

    def to_wire(self, now: float) -> dict[str, Any]:
        """The Video object exactly as the API sends it (integer unix seconds)."""
        status, progress = self.status(now)
        finished = status in ("completed", "failed")
        expires_at = self.expires_at(now)
        return {
            "id": self.id,
            "object": "video",
            "status": status,
            "progress": progress,
            "model": self.model,
            "seconds": self.seconds,
            "size": self.size,
            "prompt": self.prompt,
            "created_at": int(self.created_at),
            "completed_at": int(self.finishes_at) if status == "completed" else None,
            "expires_at": int(expires_at) if expires_at is not None else None,
            "remixed_from_video_id": self.remixed_from_video_id,
            "error": self._error() if finished and self.is_failed else None,
        }

    def _error(self) -> dict[str, str]:
        if self.cancelled:
            return {"code": "cancelled", "message": CANCELLED_MESSAGE}
        return {"code": triggers.FAILURE_CODE, "message": triggers.FAILURE_MESSAGE}


@dataclass(frozen=True)
class Page:
    data: list[dict[str, Any]]
    has_more: bool


class VideoStore:
    """Every video the emulator has accepted, deleted ones included, in creation order."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._videos: dict[str, StoredVideo] = {}

    def clear(self) -> None:
        with self._lock:
            self._videos.clear()

    def create(
        self,
        *,
        model: str,
        size: str,
        seconds: str,
        prompt: str,
        render_seconds: float,
        expires_after: float,
        remixed_from_video_id: str | None = None,
        video_id: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            if remixed_from_video_id is not None:
                self._require_remixable(remixed_from_video_id)
            video = StoredVideo(
                id=video_id or new_video_id(),
                model=model,
                size=size,
                seconds=seconds,
                prompt=prompt,
                created_at=self._clock(),
                render_seconds=triggers.render_seconds(prompt, render_seconds),
                expires_after=expires_after,
                fails=triggers.will_fail(prompt),
                remixed_from_video_id=remixed_from_video_id,
            )
            self._videos[video.id] = video
            return video.to_wire(self._clock())

    def source_of_remix(self, video_id: str) -> dict[str, Any]:
        """The video a remix would start from; 404 or 400 unless it exists and completed."""
        with self._lock:
            return self._require_remixable(video_id).to_wire(self._clock())

    def retrieve(self, video_id: str) -> dict[str, Any]:
        with self._lock:
            return self._live(video_id).to_wire(self._clock())

    def delete(self, video_id: str) -> dict[str, Any]:
        """Forget a video (its job, if running, runs on); its last state is returned."""
        with self._lock:
            video = self._live(video_id)
            video.deleted = True
            return video.to_wire(self._clock())

    def cancel(self, video_id: str) -> dict[str, Any]:
        """Stop a running job and forget it; ApiError 409 if it has already finished."""
        with self._lock:
            now = self._clock()
            video = self._live(video_id)
            if video.is_finished(now):
                status, _ = video.status(now)
                raise ApiError(
                    409,
                    f"Video '{video_id}' is {status}; only a queued or running job can"
                    " be cancelled.",
                    param="video_id",
                    code="conflict",
                )
            video.cancelled = True
            video.finished_at_override = now
            video.deleted = True
            return video.to_wire(now)

    def page(self, *, after: str | None, limit: int, order: str) -> Page:
        """A page of live videos, newest first for order "desc", after the cursor id."""
        with self._lock:
            now = self._clock()
            videos = list(self._videos.values())
            if order == "desc":
                videos.reverse()
            if after is not None:
                # The cursor may be a deleted video (deleted while paging): its place
                # in the order still holds, so resolve it among all videos.
                ids = [video.id for video in videos]
                if after not in ids:
                    raise ApiError(
                        400,
                        f"Invalid 'after': no video with id '{after}'.",
                        param="after",
                        code="invalid_value",
                    )
                videos = videos[ids.index(after) + 1 :]
            live = [video for video in videos if not video.deleted]
            return Page(
                data=[video.to_wire(now) for video in live[:limit]],
                has_more=len(live) > limit,
            )

    def content_state(self, video_id: str) -> tuple[str, bool]:
        """(status, expired) of a live video, for hosts that refuse content their way."""
        with self._lock:
            now = self._clock()
            video = self._live(video_id)
            return video.status(now)[0], video.is_expired(now)

    def check_downloadable(self, video_id: str) -> None:
        """Raise OpenAI's error unless the video's assets can be downloaded now."""
        with self._lock:
            now = self._clock()
            video = self._live(video_id)
            if not video.is_completed(now):
                status, _ = video.status(now)
                raise ApiError(
                    400,
                    f"Video is not ready: its status is '{status}'; only completed"
                    " videos have content.",
                    param="video_id",
                    code="video_not_ready",
                )
            if video.is_expired(now):
                raise ApiError(
                    404,
                    f"The assets of video '{video_id}' have expired and can no longer"
                    " be downloaded.",
                    param="video_id",
                    code="video_expired",
                )

    def complete(self, video_id: str) -> dict[str, Any]:
        """Finish a running video now (as `failed` if its prompt says `[fail]`)."""
        with self._lock:
            now = self._clock()
            video = self._stored(video_id)
            if not video.is_finished(now):
                video.finished_at_override = now
            return self._dump(video, now)

    def expire(self, video_id: str) -> dict[str, Any]:
        """Make the assets expire now, finishing the video first if it still runs."""
        with self._lock:
            now = self._clock()
            video = self._stored(video_id)
            if not video.is_finished(now):
                video.finished_at_override = now
            video.expires_at_override = now
            return self._dump(video, now)

    def dump(self, *, timing: bool = False) -> list[dict[str, Any]]:
        """Every stored video in creation order, with its `deleted` flag.

        With `timing`, each also has `timing`: its `created_at`, `render_seconds` and
        `finishes_at` as exact unix seconds (floats; the API's are whole seconds), for
        benchmarks that time how soon a client sees the finish.
        """
        with self._lock:
            now = self._clock()
            dumped = [self._dump(video, now) for video in self._videos.values()]
            if timing:
                for entry, video in zip(dumped, self._videos.values(), strict=True):
                    entry["timing"] = {
                        "created_at": video.created_at,
                        "render_seconds": video.render_seconds,
                        "finishes_at": video.finishes_at,
                    }
            return dumped

    # The helpers below expect the lock to be held.

    def _stored(self, video_id: str) -> StoredVideo:
        video = self._videos.get(video_id)
        if video is None:
            raise video_not_found(video_id)
        return video

    def _live(self, video_id: str) -> StoredVideo:
        video = self._stored(video_id)
        if video.deleted:
            raise video_not_found(video_id)
        return video

    def _require_remixable(self, video_id: str) -> StoredVideo:
        video = self._live(video_id)
        if not video.is_completed(self._clock()):
            status, _ = video.status(self._clock())
            raise ApiError(
                400,
                f"Video '{video_id}' cannot be remixed: the source video must be"
                f" completed, and its status is '{status}'.",
                param="video_id",
                code="invalid_request",
            )
        return video

    @staticmethod
    def _dump(video: StoredVideo, now: float) -> dict[str, Any]:
        return {**video.to_wire(now), "deleted": video.deleted}
