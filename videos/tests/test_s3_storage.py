"""Archived videos in S3-compatible object storage (django-storages), against a real S3
API server on the loopback (moto, videos/tests/s3_fixtures.py).

The archive streams from the host into the bucket as a multipart upload; reading it
back (the checksum, PyAV's probe, streaming through Django) fetches ranges, never the
whole object; the content view signs a short-lived URL for the player once it has
checked who is asking.
"""

import hashlib
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Self

import psutil
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from videos import archive, poller, services
from videos.emulator.assets import Asset
from videos.models import Video
from videos.storage_urls import open_for_reading
from videos.tests.processes import PROJECT_DIR, process_env

pytest_plugins = ["videos.tests.s3_fixtures"]
pytestmark = pytest.mark.django_db

GIB = 1024 * 1024 * 1024
FLAT_MEMORY_BYTES = 64 * 1024 * 1024


@pytest.fixture(autouse=True)
def archiving(settings, tmp_path):
    settings.VIDEO_ARCHIVE = True
    settings.MEDIA_ROOT = tmp_path  # nothing may land here: the bucket holds it all
    return tmp_path


def finish(user, emulator, prompt: str = "A glacier calving into the sea") -> Video:
    """Create a video and run the poller until it is completed (and archived)."""
    video = services.create_video(
        user=user, prompt=prompt, model="sora-2", size="1280x720", seconds=4
    )
    emulator.complete(video.openai_video_id)
    for _ in range(3):
        Video.objects.filter(pk=video.pk, next_poll_at__isnull=False).update(
            next_poll_at=timezone.now()
        )
        for claimed in poller.claim_due_videos(limit=10):
            poller.advance_video(claimed)
    video.refresh_from_db()
    return video


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET a URL over real HTTP: status, headers (lower-cased names), body."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, _lower(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers), error.read()


def _lower(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


class PeakMemory:
    """The largest growth of this process's resident memory while it runs."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.baseline = self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


def warm_up_the_storage() -> None:
    """Save, read and delete a small object, so that what a measurement sees is the
    upload's memory, not the first-use cost of boto3's client and thread pool."""
    name = default_storage.save("warm-up.bin", ContentFile(b"x" * 1024))
    with open_for_reading(default_storage, name) as handle:
        assert handle.read() == b"x" * 1024
    default_storage.delete(name)


def test_the_archive_lands_in_the_bucket(user, emulator, s3, sample_bytes, archiving):
    video = finish(user, emulator)
    assert video.is_archived
    assert video.archive_size == len(sample_bytes)
    assert video.archive_sha256 == hashlib.sha256(sample_bytes).hexdigest()
    keys = s3.keys(f"archive/{video.pk}/")
    assert video.archived_video.name in keys
    assert video.archived_thumbnail.name in keys
    assert video.archived_spritesheet.name in keys
    assert s3.read(video.archived_video.name) == sample_bytes
    # PyAV probed the object through ranged reads: the real facts are on the row.
    assert video.archive_problem == ""
    assert (video.width, video.height) == (1280, 720)
    assert video.duration == pytest.approx(4, abs=0.2)
    assert archive.verify_archive(video)
    assert not any(archiving.iterdir())  # nothing went to the local disk


def test_posters_are_made_from_the_object_when_the_host_has_none(
    user, emulator, s3, settings
):
    settings.SORA_HOST_PRESET = "litellm"  # answers a thumbnail with the MP4
    settings.SORA_MODELS = {"sora-2": {"variants": True}}
    emulator.reset(profile="litellm", render_seconds=1.0)
    video = finish(user, emulator)
    assert video.archived_thumbnail.name.endswith("-poster.webp")
    assert video.archived_spritesheet.name.endswith("-spritesheet.webp")
    assert s3.read(video.archived_thumbnail.name)[8:12] == b"WEBP"
    assert video.sprite_count and video.archive_problem == ""


def test_the_player_is_redirected_to_a_signed_url_that_serves_ranges(
    user, client_for, emulator, s3, sample_bytes
):
    video = finish(user, emulator)
    response = client_for(user).get(f"/videos/{video.pk}/content/")
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert location.startswith(f"{s3.server.endpoint}/{s3.name}/archive/{video.pk}/")
    assert "X-Amz-Signature=" in location

    status, headers, data = fetch(location, Range="bytes=100-199")
    assert status == 206
    assert data == sample_bytes[100:200]
    assert headers["content-range"] == f"bytes 100-199/{len(sample_bytes)}"
    assert headers["content-type"] == "video/mp4"

    status, _, data = fetch(location)
    assert status == 200 and data == sample_bytes

    # Short-lived: the signature says when it expires (moto does not check it).
    assert "X-Amz-Expires=300" in location


def test_a_download_link_signs_an_attachment(user, client_for, emulator, s3):
    video = finish(user, emulator, prompt="Otters holding hands")
    response = client_for(user).get(f"/videos/{video.pk}/content/?download=1")
    assert response.status_code == 302
    status, headers, _ = fetch(response["Location"], Range="bytes=0-0")
    assert status == 206
    assert headers["content-disposition"].startswith("attachment;")
    assert video.download_filename in headers["content-disposition"]

    thumbnail = client_for(user).get(f"/videos/{video.pk}/content/?variant=thumbnail")
    assert thumbnail.status_code == 302
    status, headers, data = fetch(thumbnail["Location"])
    assert status == 200 and headers["content-type"] == "image/webp"
    assert data[8:12] == b"WEBP"
    assert "content-disposition" not in headers


def test_no_url_is_signed_for_others_or_hidden_videos(
    user, other_user, client_for, emulator, s3
):
    video = finish(user, emulator)
    url = f"/videos/{video.pk}/content/"
    stranger = client_for(other_user).get(url)
    assert stranger.status_code == 404 and "Location" not in stranger
    Video.objects.filter(pk=video.pk).update(hidden=True)
    hidden = client_for(user).get(url)
    assert hidden.status_code == 404 and "Location" not in hidden
    anonymous = client_for(user).__class__().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_with_signing_off_the_bytes_stream_through_django_with_ranges(
    user, client_for, emulator, s3, sample_bytes, settings
):
    video = finish(user, emulator)
    settings.STORAGE_PRESIGNED_SECONDS = 0
    client = client_for(user)
    url = f"/videos/{video.pk}/content/"
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Content-Length"] == str(len(sample_bytes))
    assert body(whole) == sample_bytes
    part = client.get(url, HTTP_RANGE="bytes=1000-2999")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 1000-2999/{len(sample_bytes)}"
    assert body(part) == sample_bytes[1000:3000]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert body(tail) == sample_bytes[-10:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(sample_bytes)}-").status_code == 416


def test_deleting_a_video_removes_its_objects(user, emulator, s3):
    video = finish(user, emulator)
    kept = finish(user, emulator, prompt="Another one")
    assert len(s3.keys(f"archive/{video.pk}/")) == 3
    services.delete_video(video=video)
    assert s3.keys(f"archive/{video.pk}/") == []
    assert len(s3.keys(f"archive/{kept.pk}/")) == 3


@pytest.mark.timeout(900)
def test_a_1_gib_video_streams_into_the_bucket_with_flat_memory(
    user, emulator, s3, capsys
):
    emulator.configure(content_bytes=GIB)
    warm_up_the_storage()  # the S3 client and its threads: made once per process
    started = time.monotonic()
    with PeakMemory() as upload:
        video = finish(user, emulator, prompt="A very long take")
    archived_in = time.monotonic() - started
    assert video.is_archived
    assert s3.size(video.archived_video.name) == GIB
    assert video.archive_size == GIB
    # Not a playable video (a generated body): flagged, not a failure.
    assert video.archive_problem.startswith("The archived file is not a playable")

    started = time.monotonic()
    with PeakMemory() as reread:
        assert archive.verify_archive(video)  # reads the object back, in ranges
    verified_in = time.monotonic() - started
    expected = hashlib.sha256()
    for chunk in Asset.generated(GIB).chunks(0, GIB):
        expected.update(chunk)
    assert video.archive_sha256 == expected.hexdigest()

    with capsys.disabled():
        print(
            f"\n1 GiB archive into S3: {archived_in:.1f} s, peak RSS growth "
            f"{upload.growth / 2**20:.1f} MiB; read back and hashed in "
            f"{verified_in:.1f} s, peak RSS growth {reread.growth / 2**20:.1f} MiB"
        )
    assert upload.growth < FLAT_MEMORY_BYTES
    assert reread.growth < FLAT_MEMORY_BYTES


def test_the_csp_lets_the_player_load_from_the_bucket(s3):
    """The settings, loaded as production loads them, name the bucket's origin."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "print(Client().get('/accounts/login/')['Content-Security-Policy'])\n"
    )

    def policy(**env: str) -> dict[str, list[str]]:
        run = subprocess.run(
            [sys.executable, "-c", script],
            env=process_env(DJANGO_SETTINGS_MODULE="sora_site.settings", **env),
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        directives = run.stdout.strip().splitlines()[-1].split(";")
        return {d.split()[0]: d.split()[1:] for d in map(str.strip, directives) if d}

    options = json.dumps(s3.storage_options())
    backend = "storages.backends.s3.S3Storage"
    signed = policy(STORAGE_BACKEND=backend, STORAGE_OPTIONS=options)
    assert s3.server.endpoint in signed["media-src"]
    assert s3.server.endpoint in signed["img-src"]
    assert signed["script-src"][0] == "'self'"
    assert s3.server.endpoint not in signed["default-src"]

    streamed = policy(
        STORAGE_BACKEND=backend,
        STORAGE_OPTIONS=options,
        STORAGE_PRESIGNED_SECONDS="0",
    )
    assert streamed["media-src"] == ["'self'"]
    assert policy()["media-src"] == ["'self'"]  # files on disk: self only
    cdn = policy(
        STORAGE_BACKEND=backend,
        STORAGE_OPTIONS=options,
        STORAGE_PUBLIC_ORIGIN="https://videos.example.com",
    )
    assert cdn["media-src"] == ["'self'", "https://videos.example.com"]


def test_aws_buckets_get_aws_origins():
    from sora_site.object_storage import public_origins

    backend = "storages.backends.s3.S3Storage"
    options = {"bucket_name": "sora-videos", "region_name": "eu-west-1"}
    assert public_origins(backend, options, "") == [
        "https://sora-videos.s3.amazonaws.com",
        "https://sora-videos.s3.eu-west-1.amazonaws.com",
    ]
    custom = {**options, "custom_domain": "media.example.com"}
    assert public_origins(backend, custom, "") == ["https://media.example.com"]
    assert public_origins("django.core.files.storage.FileSystemStorage", {}, "") == []
