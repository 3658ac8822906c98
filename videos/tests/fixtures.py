"""Fixtures for videos tests, loaded as a plugin (pytest.ini) so every app can use them."""

import pytest

# Models are imported inside the fixtures: plugins load before Django is set up.


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads and archived videos go to a per-test folder, not the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_video(db):
    """Save a video directly (no upstream), charged like the create flow charges."""

    from videos.models import UsageCharge, Video

    def make(user, **fields) -> Video:
        fields.setdefault("prompt", "A lighthouse on a cliff at dusk, waves below")
        fields.setdefault("model", "sora-2")
        fields.setdefault("size", "1280x720")
        fields.setdefault("seconds", 4)
        video = Video.objects.create(user=user, **fields)
        if video.status != Video.Status.FAILED:
            UsageCharge.objects.create(
                user=user,
                video=video,
                seconds=video.seconds,
                created_at=video.created_at,
            )
        return video

    return make


@pytest.fixture
def clip_bytes(emulator_server):
    """What the session's emulator serves for a completed video of this size and length."""
    from videos.emulator.clips import ClipSpec

    def read(variant: str = "video", size: str = "1280x720", seconds: int = 4) -> bytes:
        spec = ClipSpec.of(size, seconds)
        return emulator_server.app.clips.get(variant, spec).path.read_bytes()

    return read


@pytest.fixture
def sample_bytes(clip_bytes) -> bytes:
    """The MP4 of a completed 1280x720, 4-second video (the fixtures' default)."""
    return clip_bytes()


@pytest.fixture
def completed_video(emulator, make_video):
    """A video completed at the emulator, with its row here."""
    from videos import sora
    from videos.models import Video

    def make(user, **fields) -> Video:
        upstream = sora.submit_video(
            prompt=fields.get("prompt", "A lighthouse on a cliff at dusk, waves below"),
            model=fields.get("model", "sora-2"),
            size=fields.get("size", "1280x720"),
            seconds=fields.get("seconds", 4),
        )
        emulator.complete(upstream.id)
        return make_video(
            user,
            status=Video.Status.COMPLETED,
            progress=100,
            openai_video_id=upstream.id,
            **fields,
        )

    return make


@pytest.fixture
def fresh_create_window(user):
    """Call to wait, if need be, until `user`'s create-limit window has time to spare.

    django-ratelimit counts in fixed windows (each key's offset within the minute is its
    own): a test that counts up to the limit across a window's end sees the count start
    again and no 429. Waiting here costs a few seconds at most, and only sometimes.
    """
    import time

    from django.test import RequestFactory

    from sora_site.ratelimits import CREATE_LIMIT

    def wait(*, seconds_needed: int = 20) -> None:
        request = RequestFactory().post("/videos/new/")
        request.user = user
        usage = CREATE_LIMIT.usage(request)
        assert usage is not None, "rate limiting is switched off"
        if usage["time_left"] < seconds_needed:
            time.sleep(usage["time_left"] + 1)

    return wait
