"""The archive's edges that `make mutants` found untested, against the emulator.

Re-reading an archived video (`refresh_media`: the admin's action and
`manage.py refresh_video_media`) must make a missing spritesheet, under the video's own
folder, and keep the host's sheet with its grid; the upstream reader is a file object
any storage can take; a file that cannot be removed is logged, not raised.
"""

import hashlib
import io
import logging

import pytest
from django.core.files.storage import default_storage

from videos import archive, sora
from videos.models import Video
from videos.tests.helpers import archived_at_emulator

pytestmark = pytest.mark.django_db

GRID = ("sprite_columns", "sprite_rows", "sprite_count", "sprite_interval")


def archived(user, emulator) -> Video:
    return archived_at_emulator(
        user,
        emulator,
        prompt="A lighthouse at dusk",
        model="sora-2",
        size="720x1280",
        seconds=4,
    )


def test_re_reading_makes_a_missing_spritesheet_in_the_videos_folder(user, emulator):
    video = archived(user, emulator)
    Video.objects.filter(pk=video.pk).update(
        archived_spritesheet="", **dict.fromkeys(GRID)
    )
    video.refresh_from_db()
    made = archive.refresh_media(video)
    video.refresh_from_db()
    sheet = video.archived_spritesheet.name
    assert sheet.startswith(f"archive/{video.pk}/") and sheet.endswith(
        "-spritesheet.webp"
    )
    assert sheet in made.files and default_storage.exists(sheet)
    assert video.sprite_count and video.sprite_columns and video.sprite_interval
    assert "-thumbnail." in video.archived_thumbnail.name  # the host's poster stays


def test_re_reading_keeps_the_hosts_spritesheet_and_finds_its_grid(user, emulator):
    video = archived(user, emulator)
    hosts_sheet = video.archived_spritesheet.name
    grid = tuple(getattr(video, field) for field in GRID)
    assert all(grid)
    Video.objects.filter(pk=video.pk).update(**dict.fromkeys(GRID))
    video.refresh_from_db()
    made = archive.refresh_media(video)
    video.refresh_from_db()
    assert made.files == []  # nothing new was drawn
    assert video.archived_spritesheet.name == hosts_sheet
    assert tuple(getattr(video, field) for field in GRID) == grid


def test_re_reading_updates_the_video_in_hand_too(user, emulator):
    """The admin's action and the command go on with the instance they passed."""
    video = archived(user, emulator)
    Video.objects.filter(pk=video.pk).update(**dict.fromkeys(GRID))
    video.refresh_from_db()
    made = archive.refresh_media(video)
    stored = Video.objects.get(pk=video.pk)
    assert made.changes
    for field in made.changes:
        assert getattr(video, field) == getattr(stored, field)
    assert all(getattr(video, field) for field in GRID)


def test_a_video_whose_archive_went_meanwhile_is_left_alone(user, emulator):
    """Its row lost `archived_at` while its file was read (an expiry, a delete): no
    facts are written over it and the pictures drawn for it are removed again."""
    video = archived(user, emulator)
    Video.objects.filter(pk=video.pk).update(
        archived_spritesheet="", **dict.fromkeys(GRID)
    )
    video.refresh_from_db()
    folder = f"archive/{video.pk}"
    files_before = default_storage.listdir(folder)[1]
    Video.objects.filter(pk=video.pk).update(archived_at=None)
    made = archive.refresh_media(video)
    assert made.files == [] and made.changes == {}
    stored = Video.objects.get(pk=video.pk)
    assert not stored.archived_spritesheet and stored.sprite_count is None
    assert default_storage.listdir(folder)[1] == files_before


def test_the_upstream_reader_reads_as_a_buffered_file(
    user, completed_video, sample_bytes
):
    video = completed_video(user)
    reader = archive._UpstreamReader(
        sora.open_content(video.openai_video_id, model=video.model)
    )
    assert reader.readable()
    with io.BufferedReader(reader, buffer_size=4096) as buffered:
        assert buffered.read() == sample_bytes
    assert reader.size == len(sample_bytes)
    assert reader.digest.hexdigest() == hashlib.sha256(sample_bytes).hexdigest()


def test_a_file_that_cannot_be_removed_is_logged_by_name(settings, caplog):
    folder = settings.MEDIA_ROOT / "archive" / "kept"
    folder.mkdir(parents=True)
    (folder / "inside.bin").write_bytes(b"x")  # a folder with a file: no rmdir
    with caplog.at_level(logging.ERROR, logger="videos.archive"):
        archive._delete_quietly("archive/kept")
    assert [record.getMessage() for record in caplog.records] == [
        "could not delete archive/kept"
    ]
    assert folder.exists()


def test_a_video_archived_elsewhere_meanwhile_keeps_nothing_of_this_copy(
    user, completed_video, settings
):
    """Two workers archived the same video: the one that lost the race removes its
    copies, the pictures it drew included, and leaves the winner's row as it is."""
    from django.utils import timezone

    settings.SORA_MODELS = {"sora-2": {"variants": False}}  # so we draw the pictures
    video = completed_video(user)
    Video.objects.filter(pk=video.pk).update(archived_at=timezone.now())
    returned = archive.archive_video(video)
    assert returned.archived_video.name == "" and returned.archived_at is not None
    media = settings.MEDIA_ROOT
    assert [path for path in media.rglob("*") if path.is_file()] == []
