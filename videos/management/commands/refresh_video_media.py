"""`manage.py refresh_video_media`: read archived videos for their facts and pictures."""

import sys

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError
from tqdm import tqdm

from videos import archive
from videos.management.base import CommandWithExamples
from videos.models import Video


class Command(CommandWithExamples):
    help = (
        "Read every archived video that has not been read yet: record its real\n"
        "length, size, frame rate, codecs and bit rate; make a poster and a scrub\n"
        "spritesheet where the host gave none (or gave an MP4 under an image's name);\n"
        "flag files that do not play. Safe to run again: read videos are skipped.\n\n"
        "Examples:\n"
        "  python manage.py refresh_video_media            # backfill\n"
        "  python manage.py refresh_video_media --dry-run  # how many would be read\n"
        "  python manage.py refresh_video_media --all      # re-read every archive"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="Re-read videos that were read before too (facts and the flag).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count; change nothing."
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="At most this many videos."
        )

    def handle(self, *args, **options) -> str:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            return self._refresh(options["all"], options["dry_run"], options["limit"])
        except DatabaseError as error:
            raise CommandError(
                f"Cannot reach the database; check DATABASE_URL. ({error})"
            ) from error

    def _refresh(self, everything: bool, dry_run: bool, limit: int | None) -> str:
        archived = Video.objects.filter(archived_at__isnull=False).order_by(
            "archived_at"
        )
        if not everything:
            archived = archived.filter(probed_at__isnull=True)
        videos = list(archived[:limit] if limit else archived)
        if dry_run:
            return f"{len(videos)} archived videos would be read."
        read = posters = sheets = flagged = 0
        # A bar on a terminal; nothing extra in logs and cron mail.
        bar = tqdm(videos, desc="reading", unit="video", disable=None, file=sys.stderr)
        for video in bar:
            try:
                made = archive.refresh_media(video)
            except OSError as error:
                self.stderr.write(f"{video.pk}: cannot read its file: {error}")
                continue
            read += bool(made.changes)
            posters += "archived_thumbnail" in made.changes
            sheets += "archived_spritesheet" in made.changes
            if made.changes.get("archive_problem"):
                flagged += 1
                self.stderr.write(f"{video.pk}: {made.changes['archive_problem']}")
        return (
            f"Read {read} archived videos: {posters} posters and {sheets} "
            f"spritesheets made, {flagged} flagged as not playable."
        )
