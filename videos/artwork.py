"""What we learn from an archived MP4 and the pictures we make of it, stored with the video.

The archive step (and `manage.py refresh_video_media` for videos archived before)
reads the copied file with `videos.media`: its real facts (length, size, frame rate,
codecs, bit rate) go on the row; where the host gave no poster or spritesheet, or gave
something that was not an image, ours are made from the file and stored beside it. A
file that does not decode as a video is flagged (`archive_problem`): kept out of the
player, shown to admins, explained on the page.
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from videos import media, storage_urls

logger = logging.getLogger(__name__)


@dataclass
class Artwork:
    """Changes for the video's row, and the files written to storage for them."""

    changes: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def derive(
    video_pk: uuid.UUID,
    video_name: str,
    *,
    need_poster: bool,
    need_spritesheet: bool,
    host_spritesheet: str = "",
) -> Artwork:
    """Probe the stored MP4 `video_name`; make the pictures asked for.

    Never raises for a bad file: that is recorded as `archive_problem`. The caller
    saves `changes` and, if it cannot, deletes `files`. A host's spritesheet that is
    kept gets its grid inferred, so the list page can scrub through it too.
    """
    artwork = Artwork(changes={"probed_at": timezone.now(), "archive_problem": ""})
    try:
        with _readable(video_name) as source:
            facts = media.probe(source)
            artwork.changes.update(_facts_fields(facts))
            if need_poster:
                poster = media.make_poster(source)
                artwork.changes["archived_thumbnail"] = _store(
                    artwork, video_pk, "poster.webp", poster
                )
            if need_spritesheet:
                sheet = media.make_spritesheet(source)
                artwork.changes["archived_spritesheet"] = _store(
                    artwork, video_pk, "spritesheet.webp", sheet.image
                )
                artwork.changes.update(
                    _grid_fields(sheet.columns, sheet.rows, count=sheet.count)
                )
                artwork.changes["sprite_interval"] = sheet.interval
            elif host_spritesheet:
                artwork.changes.update(_host_grid(host_spritesheet, facts))
    except media.NotAVideo as problem:
        discard(artwork.files)
        logger.warning("video %s: archived file is not a video: %s", video_pk, problem)
        return Artwork(
            changes={
                "probed_at": timezone.now(),
                "archive_problem": f"The archived file is not a playable video: "
                f"{problem}.",
            }
        )
    except BaseException:
        discard(artwork.files)
        raise
    return artwork


def discard(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # OSError, or the object store's own errors
            logger.exception("could not delete %s", name)


def _facts_fields(facts: media.VideoFacts) -> dict[str, Any]:
    return {
        "duration": facts.duration,
        "width": facts.width,
        "height": facts.height,
        "frame_rate": facts.frame_rate,
        "video_codec": facts.video_codec[:32],
        "audio_codec": facts.audio_codec[:32],
        "bit_rate": facts.bit_rate,
    }


def _grid_fields(
    columns: int, rows: int, *, count: int | None = None
) -> dict[str, Any]:
    return {
        "sprite_columns": columns,
        "sprite_rows": rows,
        "sprite_count": count or columns * rows,
    }


GUESSED_COLUMNS = (5, 4, 6, 8, 10, 3, 2, 1)
"""Grids tried for a host's spritesheet, most common first (ours has 5 columns)."""


def _host_grid(name: str, facts: media.VideoFacts) -> dict[str, Any]:
    """The grid of a host's spritesheet, if tiles of the video's aspect fill it exactly.

    Hosts do not say how their sheets are laid out; a grid whose tiles have the
    video's shape and tile the image whole is taken, else no scrub preview.
    """
    try:
        with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
            sheet_width, sheet_height = image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return {}
    for columns in GUESSED_COLUMNS:
        tile_width = sheet_width / columns
        tile_height = tile_width * facts.height / facts.width
        rows = sheet_height / tile_height
        if round(rows) >= 1 and abs(rows - round(rows)) < 0.04 and tile_width >= 32:
            grid = _grid_fields(columns, round(rows))
            grid["sprite_interval"] = round(facts.duration / grid["sprite_count"], 4)
            return grid
    return {}


def _store(artwork: Artwork, video_pk: uuid.UUID, suffix: str, data: bytes) -> str:
    name = default_storage.save(
        f"archive/{video_pk}/{uuid.uuid4().hex[:12]}-{suffix}", ContentFile(data)
    )
    artwork.files.append(name)
    return name


@contextmanager
def _readable(name: str) -> Iterator[str | IO[bytes]]:
    """A local path where the storage has one (fastest for FFmpeg), else a file."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # object storage: ranged reads, never the whole file
        try:
            handle = storage_urls.open_for_reading(default_storage, name)
        except FileNotFoundError:
            raise media.NotAVideo("the archived file is missing") from None
        with handle:
            yield handle
        return
    if not Path(path).is_file():
        raise media.NotAVideo("the archived file is missing")
    yield path
