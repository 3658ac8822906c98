"""`/videos/<uuid>/content/`: the MP4 (or its images) for the player and downloads.

Serves our archived copy when there is one, with Range, ETag and Last-Modified so
browsers can seek and cache. Until then it relays the upstream's bytes as they come: a
`StreamingHttpResponse` over `sora.open_content`, 1 MiB at a time, never the whole file
in memory, `Range` forwarded where the host honours it (elsewhere what the host really
sent is relayed, a 200, and seeking waits for the archive), and the upstream
connection closed when the viewer goes away (the response closes the stream).

Images are served only if they are images: a host without thumbnails is a 404 here,
never its MP4 under an image's name.
"""

import mimetypes
import uuid
from collections.abc import Iterator
from typing import IO

from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.http import require_http_methods

from videos import archive, offload, sora, storage_urls
from videos.models import Video
from videos.ranges import RangeNotSatisfiable, parse_range, single_range

ARCHIVED_FIELDS = {
    "video": "archived_video",
    "thumbnail": "archived_thumbnail",
    "spritesheet": "archived_spritesheet",
}
FILE_CHUNK_SIZE = 1024 * 1024

RELAYED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges")
IMAGE_CACHE = "private, max-age=3600"
REFERENCE_VARIANT = "reference"
"""The image the user uploaded with the prompt: ours alone, never the host's."""
VIDEO_CACHE = "private, max-age=600"


def viewable_video(request: HttpRequest, pk: uuid.UUID) -> Video:
    """Owners see their own visible videos; staff may see any (moderation)."""
    if request.user.is_staff:
        return get_object_or_404(Video, pk=pk)
    return get_object_or_404(Video, pk=pk, user=request.user, hidden=False)


@require_http_methods(["GET", "HEAD"])
def video_content(request: HttpRequest, pk: uuid.UUID) -> HttpResponseBase:
    video = viewable_video(request, pk)
    variant = request.GET.get("variant", "video")
    if variant == REFERENCE_VARIANT:
        return serve_reference(video)
    if variant not in sora.CONTENT_VARIANTS:
        raise Http404("Unknown variant.")
    if video.status == Video.Status.EXPIRED:
        return content_gone(request, video)
    if not video.is_completed:
        return content_error(
            request,
            status=404,
            title="Not ready yet",
            message="This video is still being made; it can be played once it is done.",
        )
    if variant == "video" and video.archive_problem:
        return content_error(
            request,
            status=404,
            title="This video's file does not play",
            message="The copy we kept of this video turned out not to be a playable "
            "video. An administrator has been told.",
        )
    archived: FieldFile | None = getattr(video, ARCHIVED_FIELDS[variant])
    if (
        archived
        and variant != "video"
        and not archive.is_image_name(storage_urls.stored_name(archived))
    ):
        archived = None  # kept before images were checked: never serve it as one
    response: HttpResponseBase
    if archived:
        # Object storage serves the bytes itself, through a short-lived signed URL.
        download = variant == "video" and request.GET.get("download")
        response = storage_urls.redirect_to_storage(
            archived, download_name=video.download_filename if download else ""
        ) or serve_archived(request, video, archived, variant)
    else:
        response = proxy_upstream(request, video, variant)
    if response.status_code in (200, 206):
        response["Cache-Control"] = VIDEO_CACHE if variant == "video" else IMAGE_CACHE
        if variant == "video" and request.GET.get("download"):
            response["Content-Disposition"] = content_disposition_header(
                as_attachment=True, filename=video.download_filename
            )
    return response


def serve_reference(video: Video) -> HttpResponseBase:
    """The uploaded reference image (checked to be one when it was uploaded)."""
    stored = video.input_reference
    if not stored.name or not archive.is_image_name(stored.name):
        raise Http404("This video was made without a reference image.")
    if offloaded := offload.accel_redirect(stored):
        offloaded["Cache-Control"] = IMAGE_CACHE
        return offloaded
    if signed := storage_urls.redirect_to_storage(stored):
        return signed
    try:
        handle = storage_urls.open_for_reading(stored.storage, stored.name)
    except FileNotFoundError:
        raise Http404("The reference image is no longer kept.") from None
    response = FileResponse(handle, content_type=mimetypes.guess_type(stored.name)[0])
    response["Cache-Control"] = IMAGE_CACHE
    return response


def serve_archived(
    request: HttpRequest, video: Video, archived: FieldFile, variant: str
) -> HttpResponseBase:
    """Our own copy, with conditional GET and single-range requests (or nginx's)."""
    if offloaded := offload.accel_redirect(archived):
        return offloaded
    size = archived.size
    file_name = storage_urls.stored_name(archived)
    assert video.archived_at is not None, "archived files are saved with archived_at"
    etag = f'"{video.archive_sha256[:20] or video.pk.hex}-{variant}-{size}"'
    validators = {
        "ETag": etag,
        "Last-Modified": http_date(video.archived_at.timestamp()),
        "Accept-Ranges": "bytes",
    }
    response: HttpResponseBase
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
        for name, value in validators.items():
            response[name] = value
        return response
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range and if_range not in (etag, validators["Last-Modified"]):
        range_header = None  # the client's copy is stale: send it all
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    content_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    if request.method == "HEAD":
        response = HttpResponse(status=206 if byte_range else 200)
    elif byte_range is None:
        # FileResponse lets the server use wsgi.file_wrapper (sendfile where it can).
        response = FileResponse(
            storage_urls.open_for_reading(archived.storage, file_name)
        )
    else:
        handle = storage_urls.open_for_reading(archived.storage, file_name)
        handle.seek(byte_range.start)
        response = StreamingHttpResponse(
            _read_exactly(handle, byte_range.length), status=206
        )
    response["Content-Type"] = content_type
    response["Content-Length"] = str(byte_range.length if byte_range else size)
    if byte_range:
        response["Content-Range"] = byte_range.content_range(size)
    for name, value in validators.items():
        response[name] = value
    return response


def _read_exactly(handle: IO[bytes], length: int) -> Iterator[bytes]:
    try:
        while length > 0:
            chunk = handle.read(min(FILE_CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def proxy_upstream(
    request: HttpRequest, video: Video, variant: str
) -> HttpResponseBase:
    """Relay the upstream's asset: status, the headers a player needs, then the bytes."""
    profile = video.host_profile
    if variant != "video" and not profile.variants:
        raise Http404(f"{sora.host_name()} makes no {variant} for this video.")
    assert video.openai_video_id, "a completed video has its host's id"
    try:
        stream = sora.open_content(
            video.openai_video_id,
            model=video.model,
            variant=variant,
            range_header=single_range(request.headers.get("Range"))
            if variant == "video"
            else None,
        )
    except sora.GoneError:
        return content_gone(request, video)
    except sora.RefusedError as error:
        if error.status_code == 416:
            return range_not_satisfiable(video, error)
        return upstream_unavailable(request)
    except sora.TransientError:
        return upstream_unavailable(request)
    image_type = None
    if variant != "video":
        image_type = _verified_image_type(stream)
        if image_type is None:
            raise Http404(f"{sora.host_name()} sent no image for this {variant}.")
    response: HttpResponseBase
    if request.method == "HEAD":
        stream.close()
        response = HttpResponse(status=stream.status_code)
    else:
        response = StreamingHttpResponse(stream, status=stream.status_code)
    for name in RELAYED_HEADERS:
        if value := stream.headers.get(name.lower()):
            response[name] = value
    if image_type:
        response["Content-Type"] = image_type
    if not profile.range:
        response["Accept-Ranges"] = "none"  # seeking waits for our archived copy
    return response


def range_not_satisfiable(video: Video, error: sora.RefusedError) -> HttpResponse:
    """The host's 416, with a Content-Range saying how long the file is (RFC 9110).

    The host's own header when it sent one, else our archived copy's size when we
    know it; a player reads it to ask again for a range that exists.
    """
    response = HttpResponse(status=416)
    host_answer = getattr(error.__cause__, "response", None)  # the SDK's error
    content_range = (
        host_answer.headers.get("content-range") if host_answer is not None else None
    )
    if content_range:
        response["Content-Range"] = content_range
    elif video.archive_size is not None:
        response["Content-Range"] = f"bytes */{video.archive_size}"
    return response


def _verified_image_type(stream: sora.ContentStream) -> str | None:
    """The image type the body's first bytes prove; closes the stream if none."""
    try:
        found = sora.image_type(stream.peek(), stream.content_type)
    except sora.SoraError:
        found = None
    if found is None:
        stream.close()
    return found


def content_gone(request: HttpRequest, video: Video) -> HttpResponse:
    return content_error(
        request,
        status=410,
        title="This video has expired",
        message=f"This video has expired at {sora.host_name()}, and no copy of it "
        f"was kept here. {sora.host_name()} keeps generated videos only for a "
        "limited time.",
    )


def upstream_unavailable(request: HttpRequest) -> HttpResponse:
    return content_error(
        request,
        status=502,
        title=f"{sora.host_name()} is not answering",
        message=f"The video could not be fetched from {sora.host_name()} right now. "
        "Please try again in a minute.",
    )


def content_error(
    request: HttpRequest, *, status: int, title: str, message: str
) -> HttpResponse:
    return render(
        request,
        "videos/content_error.html",
        {"title": title, "message": message},
        status=status,
    )
