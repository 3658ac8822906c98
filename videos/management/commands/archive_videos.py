"""`manage.py archive_videos`: backfill missing archives, or re-verify the ones we have."""

import sys

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError
from django.db.models import QuerySet
from tqdm import tqdm

from videos import archive, services
from videos.management.base import CommandWithExamples
from videos.models import Video


class Command(CommandWithExamples):
    help = (
        "Copy completed videos that have no archived copy yet into our storage, or\n"
        "with --verify re-read every archived MP4 and compare it with its recorded\n"
        "size and SHA-256.\n\n"
        "Examples:\n"
        "  python manage.py archive_videos             # backfill\n"
        "  python manage.py archive_videos --dry-run   # what would be archived\n"
        "  python manage.py archive_videos --verify    # exits 1 if a file is corrupt"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--verify", action="store_true", help="Re-verify archived files instead."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be done; change nothing.",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="At most this many videos."
        )

    def handle(self, *args, **options) -> str:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            if options["verify"]:
                return self._verify(options["dry_run"], options["limit"])
            return self._backfill(options["dry_run"], options["limit"])
        except DatabaseError as error:
            raise CommandError(
                f"Cannot reach the database; check DATABASE_URL. ({error})"
            ) from error

    def _backfill(self, dry_run: bool, limit: int | None) -> str:
        videos = _limited(
            Video.objects.awaiting_archive().order_by("completed_at"), limit
        )
        archived = expired = failed = 0
        for video in self._progress(videos, "archiving"):
            if dry_run:
                self.stdout.write(f"would archive {video.pk} ({video.short_prompt})")
                continue
            outcome = services.archive_completed(video)
            if outcome.archived:
                archived += 1
            elif outcome.expired:
                expired += 1
                self.stderr.write(f"{video.pk}: {outcome.problem}, marked expired")
            else:
                failed += 1
                self.stderr.write(
                    f"{video.pk}: not archived, try again: {outcome.problem}"
                )
        if dry_run:
            return f"{len(videos)} videos would be archived."
        return f"Archived {archived}, expired {expired}, failed {failed}."

    def _verify(self, dry_run: bool, limit: int | None) -> str:
        videos = _limited(
            Video.objects.filter(archived_at__isnull=False).order_by("archived_at"),
            limit,
        )
        if dry_run:
            return f"{len(videos)} archived videos would be verified."
        corrupt = []
        for video in self._progress(videos, "verifying"):
            try:
                intact = archive.verify_archive(video)
            except OSError as error:
                intact = False
                self.stderr.write(f"{video.pk}: cannot read its file: {error}")
            if not intact:
                corrupt.append(video)
                self.stderr.write(
                    f"{video.pk}: CORRUPT {video.archived_video.name} "
                    f"(expected {video.archive_size} bytes, sha256 {video.archive_sha256})"
                )
        if corrupt:
            raise CommandError(
                f"{len(corrupt)} of {len(videos)} archived videos failed verification."
            )
        return f"Verified {len(videos)} archived videos: all intact."

    def _progress(self, videos: list[Video], what: str):
        # A bar on a terminal; nothing extra in logs and cron mail.
        return tqdm(videos, desc=what, unit="video", disable=None, file=sys.stderr)


def _limited(videos: QuerySet[Video], limit: int | None) -> list[Video]:
    return list(videos[:limit] if limit else videos)
