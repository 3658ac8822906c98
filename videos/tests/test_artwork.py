"""Archiving reads the MP4: real facts on the row, our own posters where hosts give none.

Against the emulator's hosts (it serves real clips of the size and length asked for):
`openai` makes real thumbnails and spritesheets, which are kept; `litellm` answers the
MP4 when asked for one, which is replaced by ours. Then files that do not play, and
`manage.py refresh_video_media` for videos archived before.
"""

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from videos.models import Video
from videos.tests.helpers import archived_at_emulator

Status = Video.Status

pytestmark = pytest.mark.django_db


def archived(user, emulator, **fields) -> Video:
    """A video submitted, completed at the emulator and archived, as the poller would."""
    params: dict[str, object] = {
        "prompt": "A lighthouse at dusk",
        "model": "sora-2",
        "size": "720x1280",
    }
    params.update(fields)
    params.setdefault("seconds", 4)
    return archived_at_emulator(user, emulator, **params)


def picture(field) -> Image.Image:
    with default_storage.open(field.name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_the_files_facts_are_recorded(user, emulator):
    video = archived(user, emulator, size="720x1280", seconds=8)
    assert video.duration == pytest.approx(8.0, abs=0.05)
    assert (video.width, video.height) == (720, 1280)
    assert video.frame_rate == pytest.approx(24.0)
    assert (video.video_codec, video.audio_codec) == ("h264", "aac")
    assert video.bit_rate > 0 and video.probed_at and not video.archive_problem
    stored = Video.objects.get(pk=video.pk)
    assert stored.display_duration == "0:08" and stored.orientation == "portrait"


def test_a_hosts_real_pictures_are_kept(user, emulator):
    video = archived(user, emulator)
    assert "-thumbnail." in video.archived_thumbnail.name  # the host's, copied
    assert "-spritesheet." in video.archived_spritesheet.name
    assert (
        picture(video.archived_thumbnail).size[1]
        > picture(video.archived_thumbnail).size[0]
    )
    # The host's sheet has tiles of the video's shape: its grid is found.
    assert video.sprite_columns and video.sprite_rows and video.sprite_count


def test_an_mp4_answered_as_a_thumbnail_is_replaced_by_our_own(
    settings, user, emulator
):
    settings.SORA_HOST_PRESET = "litellm"
    settings.SORA_MODELS = {"sora-2": {"variants": True}}  # claims what it cannot do
    emulator.reset(profile="litellm", render_seconds=1.0)
    video = archived(user, emulator, size="1280x720")
    poster = picture(video.archived_thumbnail)
    sheet = picture(video.archived_spritesheet)
    assert video.archived_thumbnail.name.endswith("-poster.webp")
    assert poster.format == "WEBP" and poster.size == (640, 360)
    assert (video.sprite_columns, video.sprite_rows, video.sprite_count) == (5, 1, 5)
    assert sheet.size[0] == 5 * sheet.size[1] * 16 // 9 or sheet.size[0] % 5 == 0


def test_a_host_without_pictures_gets_ours(settings, user, emulator):
    settings.SORA_HOST_PRESET = "vllm-omni"
    emulator.reset(profile="vllm-omni", render_seconds=1.0)
    model = "Wan-AI/Wan2.2-T2V-A14B-Diffusers"
    video = archived(user, emulator, model=model, size="1280x720", seconds=5)
    assert video.archived_thumbnail.name.endswith("-poster.webp")
    assert video.sprite_count == 5 and video.duration == pytest.approx(5.0, abs=0.05)


@pytest.fixture
def unplayable(user, emulator, client_for) -> Video:
    """The host's "MP4" is not a video at all (a generated body of bytes)."""
    emulator.configure(content_bytes=200_000)
    return archived(user, emulator)


def test_a_file_that_is_not_a_video_is_flagged_not_played(unplayable, user_client):
    video = unplayable
    assert video.is_archived and video.archive_problem.startswith(
        "The archived file is not a playable video"
    )
    page = user_client.get(f"/videos/{video.pk}/").text
    assert "This video's file does not play." in page
    assert "<video" not in page
    response = user_client.get(f"/videos/{video.pk}/content/")
    assert response.status_code == 404
    assert "does not play" in response.text
    listed = user_client.get("/videos/")
    assert listed.status_code == 200


def test_admins_find_the_files_that_do_not_play(unplayable, client_for, staff_user):
    admin = client_for(staff_user)
    page = admin.get("/admin/videos/video/", {"archive_problem": "yes"}).text
    assert unplayable.short_prompt in page
    detail = admin.get(f"/admin/videos/video/{unplayable.pk}/change/").text
    assert "not a playable video" in detail


def forget_media(video: Video) -> None:
    """As a video archived before the product read its files."""
    Video.objects.filter(pk=video.pk).update(
        probed_at=None, duration=None, width=None, height=None, video_codec=""
    )


def test_the_backfill_reads_old_videos_once(user, emulator, capsys):
    videos = [archived(user, emulator, prompt=f"Clip {n}") for n in range(2)]
    for video in videos:
        forget_media(video)
    call_command("refresh_video_media")
    assert "Read 2 archived videos" in capsys.readouterr().out
    for video in videos:
        video.refresh_from_db()
        assert video.duration == pytest.approx(4.0, abs=0.05) and video.width == 720
    call_command("refresh_video_media")
    assert "Read 0 archived videos" in capsys.readouterr().out


def test_the_backfill_replaces_an_mp4_kept_as_a_thumbnail(user, emulator, capsys):
    video = archived(user, emulator)
    old = default_storage.save(
        f"archive/{video.pk}/old-thumbnail.mp4",
        ContentFile(Path(default_storage.path(video.archived_video.name)).read_bytes()),
    )
    Video.objects.filter(pk=video.pk).update(archived_thumbnail=old)
    forget_media(video)
    call_command("refresh_video_media")
    video.refresh_from_db()
    assert video.archived_thumbnail.name.endswith("-poster.webp")
    assert not default_storage.exists(old)
    assert "1 posters and 0 spritesheets made" in capsys.readouterr().out


def test_the_backfill_flags_what_does_not_play(unplayable, capsys):
    forget_media(unplayable)
    Video.objects.filter(pk=unplayable.pk).update(archive_problem="")
    call_command("refresh_video_media")
    output = capsys.readouterr()
    assert "1 flagged as not playable" in output.out
    assert "not a playable video" in output.err
