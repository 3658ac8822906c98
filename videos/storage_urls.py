"""Archived files in object storage (S3 and compatibles, through django-storages).

Two things the storage's own file object does not do well for videos:

- **Reading.** django-storages' `S3File` downloads the whole object into a temporary
  file (in memory by default) before the first byte is read. Hashing a 1 GiB archive,
  probing it with PyAV or serving a range of it must not do that, so `open_for_reading`
  gives a seekable file that fetches ranges on demand (`RangedObjectReader`), one
  streaming GET per sequential run, a new one only after a seek.
- **Serving.** With `STORAGE_PRESIGNED_SECONDS` > 0 (the default, 300) the content view
  answers a player with a redirect to a short-lived signed URL: the storage then serves
  the bytes, Range and seeking included, and no gunicorn thread is held by a viewer.
  The view checks login, ownership, status and hidden before it signs anything. `0`
  streams through Django instead (through `open_for_reading`).

Any other storage (the filesystem) is left to Django: `open_for_reading` is its
`open()`, and nothing is signed.
"""

import io
import mimetypes
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

READ_BUFFER_SIZE = 1024 * 1024
"""Bytes read from the object per call: the buffer in front of the ranged reader."""
REDIRECT_CACHE = "private, no-store"
"""The signed URL expires: no cache may keep the redirect longer than that."""


def is_object_storage(storage: Storage) -> bool:
    """Whether the storage is django-storages' S3 backend (or a subclass of it)."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is in the lock
        return False
    return isinstance(storage, S3Storage)  # default_storage's proxy passes this on


def stored_name(field: FieldFile) -> str:
    """The name of the file a field holds (a field that is true holds one).

    ValueError for an empty field, as Django's own FieldFile.size and .url raise.
    """
    if not field.name:
        raise ValueError(
            f"The '{field.field.name}' attribute has no file associated with it."
        )
    return field.name


def open_for_reading(storage: Storage, name: str) -> IO[bytes]:
    """A binary file of the stored `name` that never holds more than a buffer of it.

    Raises FileNotFoundError when there is no such file, as `Storage.open` does.
    """
    if not is_object_storage(storage):
        return storage.open(name, "rb")
    # S3File checks the object exists (HEAD) and knows its length; its own read
    # (a full download) is never called.
    # django-storages is untyped: its S3File holds the boto3 Object as `obj`.
    stored: Any = storage.open(name, "rb")
    return io.BufferedReader(
        RangedObjectReader(stored.obj, stored.obj.content_length),
        buffer_size=READ_BUFFER_SIZE,
    )


class RangedObjectReader(io.RawIOBase):
    """A seekable, read-only file over an S3 object, fetched with ranged GETs.

    One GET streams from the current position for as long as reads follow one another;
    a seek elsewhere closes it, and the next read opens one from the new position.
    """

    def __init__(self, s3_object: Any, size: int) -> None:
        self._object = s3_object
        self.size = size
        self._position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        if position != self._position:
            self._close_body()
            self._position = position
        return position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self.size or not len(buffer):
            return 0
        if self._body is None:
            answer = self._object.get(Range=f"bytes={self._position}-")
            self._body = answer["Body"]
        data = self._body.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self._position += count
        return count

    def close(self) -> None:
        self._close_body()
        super().close()

    def _close_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


def redirect_to_storage(
    field: FieldFile, *, download_name: str = ""
) -> HttpResponse | None:
    """A 302 to a short-lived signed URL of the stored file, or None to serve it here.

    None when the storage cannot sign URLs or STORAGE_PRESIGNED_SECONDS is 0. The
    signed URL makes the storage answer with the file's content type, and with an
    attachment disposition named `download_name` when one is given. Call it only after
    the viewer has been checked: the URL opens the file to whoever holds it.
    """
    seconds = settings.STORAGE_PRESIGNED_SECONDS
    if seconds <= 0 or not is_object_storage(field.storage):
        return None
    name = stored_name(field)
    parameters = {
        "ResponseContentType": mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    }
    if download_name:
        parameters["ResponseContentDisposition"] = content_disposition_header(
            as_attachment=True, filename=download_name
        )
    # S3Storage.url (django-storages, untyped) signs with these; Storage.url has neither.
    storage: Any = field.storage
    url = storage.url(name, parameters=parameters, expire=seconds)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = REDIRECT_CACHE
    return response
