"""Hand an archived file to nginx: `X-Accel-Redirect` instead of the bytes.

With `MEDIA_ACCEL_REDIRECT_PREFIX` set (e.g. `/_protected_media/`), the content view
still decides who may see what (login, ownership, status, hidden), then answers with an
empty response naming the file; nginx serves it from an `internal` location aliasing
MEDIA_ROOT (docs/nginx/sora.conf), with sendfile, Range, ETag and If-None-Match, so a
slow viewer holds an nginx connection rather than a gunicorn thread.

Only files in the file-system storage can be found by nginx; any other backend keeps
being streamed (or redirected) by the caller.
"""

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import HttpResponse

from videos.storage_urls import stored_name


def accel_redirect(stored: FieldFile) -> HttpResponse | None:
    """An `X-Accel-Redirect` response for this file, or None to serve it ourselves.

    Django's validators (ETag, Last-Modified) are left out on purpose: nginx sends its
    own, from the file it serves, and answers Range and If-None-Match with them. The
    caller adds Cache-Control and Content-Disposition, which nginx passes on.
    """
    prefix = settings.MEDIA_ACCEL_REDIRECT_PREFIX
    if not prefix or not isinstance(stored.storage, FileSystemStorage):
        return None
    name = stored_name(stored)
    response = HttpResponse()
    # nginx decodes the header's URI, so names are sent percent-encoded.
    response["X-Accel-Redirect"] = prefix + quote(name)
    response["Content-Type"] = (
        mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    return response
