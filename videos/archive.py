"""Keep what users paid for: copy a finished video's assets into our own storage.

Hosts keep generated assets only until the video's `expires_at`. On completion the
poller copies the MP4, and the thumbnail and spritesheet where the host makes them,
into Django's default storage (files under MEDIA_ROOT, or any storage backend),
streaming: the upstream body is read in chunks straight into the storage's save,
hashed on the way, and its length checked against the upstream's Content-Length
before the row points at it.

An image is kept only if its bytes are an image: hosts that ignore `variant` answer
a thumbnail request with the MP4 (docs/hosts.md). Then the copied MP4 is read
(`videos.artwork`): its real facts are recorded, and where the host gave no real
poster or spritesheet, ours are made from it.
"""

import hashlib
import io
import logging
import mimetypes
import uuid
from dataclasses import dataclass
from typing import IO, cast

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from videos import artwork, sora, storage_urls
from videos.models import Video

logger = logging.getLogger(__name__)

IMAGE_ASSETS = (
    ("thumbnail", "archived_thumbnail"),
    ("spritesheet", "archived_spritesheet"),
)
"""(upstream variant, Video field) for the images kept beside the MP4."""

HASH_CHUNK_SIZE = 1024 * 1024


class IncompleteDownload(sora.TransientError):
    """The upstream sent fewer (or more) bytes than it announced."""


class NotAnImage(Exception):
    """The host answered an image variant with something else (the MP4, say)."""


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    sha256: str


class _UpstreamReader(io.RawIOBase):
    """A read-only file over an upstream ContentStream, counting and hashing as it goes.

    Storage backends take file objects; this hands them the upstream's chunks one at a
    time, so nothing larger than a chunk is ever held in memory. A read is filled whole
    (short only at the end): S3's uploader (boto3's upload_fileobj) reads a non-seekable
    file once per multipart part, and takes a short first read for the whole file.
    """

    def __init__(self, stream: sora.ContentStream) -> None:
        self._chunks = iter(stream)
        self._pending = memoryview(b"")
        self.size = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        filled = 0
        while filled < len(buffer):
            if not self._pending and not self._next_chunk():
                break
            count = min(len(buffer) - filled, len(self._pending))
            buffer[filled : filled + count] = self._pending[:count]
            self._pending = self._pending[count:]
            filled += count
        return filled

    def _next_chunk(self) -> bool:
        """Take the upstream's next non-empty chunk; False at the end of the body."""
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self.size += len(chunk)
            self.digest.update(chunk)
            self._pending = memoryview(chunk)
        return True


def copy_asset(video: Video, variant: str) -> StoredFile:
    """Stream one asset from the upstream into storage; raises sora errors.

    An image variant whose first bytes are not an image raises NotAnImage and
    stores nothing.
    """
    stream = sora.open_content(video.host_id(), model=video.model, variant=variant)
    content_type = stream.content_type
    if variant != "video":
        try:
            content_type = sora.image_type(stream.peek(), stream.content_type) or ""
        except BaseException:
            stream.close()
            raise
        if not content_type:
            stream.close()
            raise NotAnImage(f"the host's {variant} is not an image")
    extension = mimetypes.guess_extension(content_type) or ".bin"
    # A fresh name per attempt: a half-written file from a failed try never clashes.
    name = f"archive/{video.pk}/{uuid.uuid4().hex[:12]}-{variant}{extension}"
    reader = _UpstreamReader(stream)
    try:
        # A RawIOBase is a binary file; typeshed's IO[bytes] names only its own classes.
        saved = default_storage.save(name, File(cast(IO[bytes], reader), name=name))
    except BaseException:
        stream.close()
        _delete_quietly(name)
        raise
    expected = stream.content_length
    if expected is not None and reader.size != expected:
        _delete_quietly(saved)
        raise IncompleteDownload(
            f"The {variant} download stopped at {reader.size} of {expected} bytes."
        )
    return StoredFile(saved, reader.size, reader.digest.hexdigest())


def archive_video(video: Video) -> Video:
    """Copy the MP4 and the host's real images, and record them; all or nothing.

    Raises sora.TransientError (try again later) or sora.GoneError (the MP4 no
    longer exists upstream). Returns the video, archived.
    """
    stored: dict[str, StoredFile] = {}
    try:
        stored["archived_video"] = copy_asset(video, "video")
        if video.host_profile.variants:
            for variant, field in IMAGE_ASSETS:
                if image := _copy_image(video, variant):
                    stored[field] = image
    except BaseException:
        for copy in stored.values():
            _delete_quietly(copy.name)
        raise
    mp4 = stored["archived_video"]
    try:
        made = artwork.derive(
            video.pk,
            mp4.name,
            need_poster="archived_thumbnail" not in stored,
            need_spritesheet="archived_spritesheet" not in stored,
            host_spritesheet=getattr(stored.get("archived_spritesheet"), "name", ""),
        )
    except BaseException:
        for copy in stored.values():
            _delete_quietly(copy.name)
        raise
    changes = {
        **{field: copy.name for field, copy in stored.items()},
        **made.changes,
        "archive_size": mp4.size,
        "archive_sha256": mp4.sha256,
        "archived_at": timezone.now(),
        "next_poll_at": None,
    }
    updated = Video.objects.awaiting_archive().filter(pk=video.pk).update(**changes)
    if not updated:
        # Deleted, or archived by someone else, while we copied: keep nothing.
        for copy in stored.values():
            _delete_quietly(copy.name)
        artwork.discard(made.files)
        video.refresh_from_db()
        return video
    for name, value in changes.items():
        setattr(video, name, value)
    logger.info(
        "video %s: archived %d bytes, sha256 %s", video.pk, mp4.size, mp4.sha256
    )
    return video


def refresh_media(video: Video) -> artwork.Artwork:
    """Read an archived video again: its facts, and the pictures it lacks.

    For videos archived before the product read its files (or to re-check one). A
    poster or spritesheet that is missing, or not an image (an MP4 kept under an
    image's name), is made anew and the old file removed. Returns what was done.
    """
    replaced = [
        getattr(video, field).name
        for field in ("archived_thumbnail", "archived_spritesheet")
        if getattr(video, field) and not is_image_name(getattr(video, field).name)
    ]
    need_poster = (
        not video.archived_thumbnail or video.archived_thumbnail.name in replaced
    )
    need_sheet = (
        not video.archived_spritesheet or video.archived_spritesheet.name in replaced
    )
    made = artwork.derive(
        video.pk,
        storage_urls.stored_name(video.archived_video),
        need_poster=need_poster,
        need_spritesheet=need_sheet,
        host_spritesheet=""
        if need_sheet
        else storage_urls.stored_name(video.archived_spritesheet),
    )
    updated = Video.objects.filter(pk=video.pk, archived_at__isnull=False).update(
        **made.changes
    )
    if not updated:
        artwork.discard(made.files)
        return artwork.Artwork()
    for name, value in made.changes.items():
        setattr(video, name, value)
    if made.files:
        artwork.discard(replaced)
    return made


def is_image_name(name: str) -> bool:
    """Whether a stored file's name says image (an MP4 kept as a thumbnail does not)."""
    return (mimetypes.guess_type(name)[0] or "").startswith("image/")


def _copy_image(video: Video, variant: str) -> StoredFile | None:
    """A real image of the host's, or None where it has none (or sent no image)."""
    try:
        return copy_asset(video, variant)
    except (NotAnImage, sora.GoneError, sora.RefusedError) as reason:
        logger.info("video %s: no %s kept: %s", video.pk, variant, reason)
        return None


def verify_archive(video: Video) -> bool:
    """Re-read the archived MP4 and compare its size and SHA-256 with what we recorded."""
    size, digest = hash_file(video.archived_video)
    return size == video.archive_size and digest.hexdigest() == video.archive_sha256


def hash_file(field: FieldFile) -> tuple[int, "hashlib._Hash"]:
    """Size and SHA-256 of a stored file, read a chunk at a time (object storage too)."""
    digest, size = hashlib.sha256(), 0
    name = storage_urls.stored_name(field)
    with storage_urls.open_for_reading(field.storage, name) as handle:
        while chunk := handle.read(HASH_CHUNK_SIZE):
            size += len(chunk)
            digest.update(chunk)
    return size, digest


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # OSError, or the object store's own errors
        logger.exception("could not delete %s", name)
