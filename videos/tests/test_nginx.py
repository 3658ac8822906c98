"""Archived files through Debian's nginx (docs/nginx/sora.conf) in front of gunicorn.

Django still decides who may see a file; nginx sends it (X-Accel-Redirect), answering
Range, If-None-Match and 416 itself. The server block under test is the shipped one.
"""

import hashlib
import http.client
import ssl
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage

from videos.models import Video
from videos.tests.helpers import archived_at_emulator
from videos.tests.nginx_server import NGINX, nginx
from videos.tests.processes import gunicorn, process_env
from videos.tests.test_streaming_gunicorn import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)
needs_nginx = pytest.mark.skipif(
    not NGINX.exists(),
    reason=f"{NGINX} is missing: `apt-get install nginx` (CI installs it)",
)
PREFIX = "/_protected_media/"


class Site:
    """HTTPS requests to the nginx under test, verified against its certificate."""

    def __init__(self, server, video: Video) -> None:
        self.server = server
        self.video = video
        self.tls = ssl.create_default_context(cafile=str(server.certificate))

    def get(self, path: str, cookie: str = "", method: str = "GET", **headers: str):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.server.https_port, context=self.tls, timeout=30
        )
        if cookie:
            headers["Cookie"] = cookie
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body


@pytest.fixture
def site(user, emulator, tmp_path):
    video = archived_at_emulator(
        user,
        emulator,
        prompt="A lighthouse on a cliff at dusk",
        model="sora-2",
        size="1280x720",
        seconds=4,
    )
    static_root = tmp_path / "static"
    static_root.mkdir()
    (static_root / "site.0123abcd.css").write_text("body { margin: 0 }\n")
    env = process_env(
        emulator,
        MEDIA_ACCEL_REDIRECT_PREFIX=PREFIX,
        TRUSTED_PROXY_HOPS="1",
        SECURE_SSL_REDIRECT="on",  # production: only nginx's X-Forwarded-Proto says https
    )
    with (
        gunicorn(env, workers=1, threads=4) as (base, _process),
        nginx(
            tmp_path / "nginx",
            gunicorn_port=int(base.rsplit(":", 1)[1]),
            static_root=static_root,
            media_root=Path(settings.MEDIA_ROOT),
        ) as server,
    ):
        yield Site(server, video)


@needs_nginx
def test_nginx_sends_the_archived_file_with_range_and_etag(site, user):
    video = site.video
    stored = (Path(settings.MEDIA_ROOT) / video.archived_video.name).read_bytes()
    size = len(stored)
    cookie = session_cookie(user)
    path = f"/videos/{video.pk}/content/"

    response, body = site.get(path, cookie)
    assert response.status == 200
    assert hashlib.sha256(body).hexdigest() == video.archive_sha256
    assert body == stored
    assert response.getheader("Content-Type") == "video/mp4"
    assert response.getheader("Cache-Control") == "private, max-age=600"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Accel-Redirect") is None
    etag = response.getheader("ETag")
    assert etag

    response, body = site.get(path, cookie, Range="bytes=100-199")
    assert response.status == 206
    assert response.getheader("Content-Range") == f"bytes 100-199/{size}"
    assert body == stored[100:200]

    response, body = site.get(path, cookie, Range=f"bytes={size}-")
    assert response.status == 416
    assert response.getheader("Content-Range") == f"bytes */{size}"

    response, body = site.get(path, cookie, **{"If-None-Match": etag})
    assert response.status == 304 and body == b""

    response, body = site.get(path + "?download=1", cookie)
    assert response.status == 200 and body == stored
    assert response.getheader("Content-Disposition") == (
        f'attachment; filename="{video.download_filename}"'
    )

    response, body = site.get(path + "?variant=thumbnail", cookie)
    assert response.status == 200
    assert response.getheader("Content-Type") == "image/webp"
    assert response.getheader("Cache-Control") == "private, max-age=3600"
    thumbnail = Path(settings.MEDIA_ROOT) / video.archived_thumbnail.name
    assert body == thumbnail.read_bytes()


@needs_nginx
def test_django_still_decides_who_sees_the_file(site, user, other_user):
    video = site.video
    path = f"/videos/{video.pk}/content/"

    response, _ = site.get(path, session_cookie(other_user))
    assert response.status == 404

    response, _ = site.get(path)
    assert response.status == 302
    assert response.getheader("Location").startswith("/accounts/login/?next=")

    # The internal location answers nobody directly, logged in or not.
    response, _ = site.get(PREFIX + video.archived_video.name, session_cookie(user))
    assert response.status == 404

    Video.objects.filter(pk=video.pk).update(hidden=True)
    response, _ = site.get(path, session_cookie(user))
    assert response.status == 404


@needs_nginx
def test_proxy_headers_static_files_and_plain_http(site, user):
    # A client's own X-Forwarded-Proto is overwritten: "http" here would make Django
    # (SECURE_SSL_REDIRECT on) redirect, and so would a missing header.
    response, _ = site.get(
        f"/videos/{site.video.pk}/content/?variant=thumbnail",
        session_cookie(user),
        **{"X-Forwarded-Proto": "http"},
    )
    assert response.status == 200

    response, body = site.get("/static/site.0123abcd.css")
    assert response.status == 200 and body == b"body { margin: 0 }\n"
    assert "max-age=31536000" in response.getheader("Cache-Control")

    plain = http.client.HTTPConnection("127.0.0.1", site.server.http_port, timeout=10)
    plain.request("GET", "/videos/")
    response = plain.getresponse()
    plain.close()
    assert response.status == 301
    assert response.getheader("Location") == "https://127.0.0.1/videos/"


# --- the view alone (no nginx needed) -------------------------------------------------


def test_the_view_names_the_file_for_nginx(user, emulator, client_for, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = PREFIX
    video = archived_at_emulator(
        user, emulator, prompt="A fox", model="sora-2", size="1280x720", seconds=4
    )
    response = client_for(user).get(f"/videos/{video.pk}/content/?download=1")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == PREFIX + video.archived_video.name
    assert response.content == b""
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, max-age=600"
    assert response["Content-Disposition"].startswith("attachment;")


def test_another_storage_backend_keeps_streaming(
    user, emulator, client_for, settings, clip_bytes
):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = PREFIX
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    video = archived_at_emulator(
        user, emulator, prompt="A fox", model="sora-2", size="1280x720", seconds=4
    )
    thumbnail = video.archived_thumbnail
    assert not isinstance(thumbnail.storage, FileSystemStorage)
    # The poster (the MP4 needs files on disk for its checks; the images do not).
    response = client_for(user).get(f"/videos/{video.pk}/content/?variant=thumbnail")
    assert response.status_code == 200
    assert not response.has_header("X-Accel-Redirect")
    assert b"".join(response.streaming_content) == clip_bytes("thumbnail")
