"""Two machines' worth of Sora Studio: nothing may live on one node's disk or memory.

Two gunicorn instances on different ports and two pollers, each with a media folder
of its own (left empty: the archive must be in object storage), one PostgreSQL, one
Redis and one S3 server (moto). A video is created on one web node, advanced and
archived by whichever poller claims it, and played with Range through the other web
node; the rate limit counts across both.
"""

import http.client
import json
import re
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from videos.models import Video
from videos.tests.helpers import wait_until
from videos.tests.processes import gunicorn, manage, process_env

pytest_plugins = ["videos.tests.s3_fixtures"]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FORM = {"model": "sora-2", "size": "720x1280", "seconds": "4"}


def logged_in_cookie(user, settings) -> str:
    """A session in the shared database, as either node's login would make it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def send(base: str, method: str, path: str, cookie: str, *, form=None, headers=None):
    """One request on a fresh connection; returns status, headers and body."""
    url = urlsplit(base)
    assert url.hostname, f"no host in {base}"
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    sent = {"Cookie": cookie, **(headers or {})}
    body = None
    if form is not None:
        body = urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.headers, data


def csrf(base: str, cookie: str) -> tuple[str, str]:
    """A CSRF token and the cookie carrying its secret, from the create form."""
    status, headers, body = send(base, "GET", "/videos/new/", cookie)
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    secret = re.search(r"csrftoken=([^;]+)", " ".join(headers.get_all("Set-Cookie")))
    assert token and secret, "the create form sets a CSRF token and its cookie"
    return token.group(1).decode(), f"{cookie}; csrftoken={secret.group(1)}"


def test_create_on_one_node_archive_anywhere_play_through_the_other(
    user, emulator, s3, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "the multi-node journey shares one PostgreSQL; SQLite is one machine"
        )
    emulator.configure(render_seconds=1.5)
    storage = {
        "STORAGE_BACKEND": "storages.backends.s3.S3Storage",
        "STORAGE_OPTIONS": json.dumps(s3.storage_options()),
        "STORAGE_PRESIGNED_SECONDS": "300",
        "RATE_LIMIT_SITE": "8/15m",
        "POLL_INTERVAL_MIN": "0.5",
        "POLL_INTERVAL_MAX": "1",
        "CACHE_KEY_PREFIX": "multi-node",
    }

    def node(name: str) -> dict[str, str]:
        own_disk = tmp_path / name
        own_disk.mkdir()
        return process_env(emulator, MEDIA_ROOT=str(own_disk), **storage)

    cookie = logged_in_cookie(user, settings)
    with ExitStack() as stack:
        web_a, _ = stack.enter_context(gunicorn(node("web-a"), workers=1, threads=2))
        web_b, _ = stack.enter_context(gunicorn(node("web-b"), workers=1, threads=2))
        pollers = [
            manage("poll_videos", "--sleep", "0.2", env=node(f"poller-{n}"))
            for n in (1, 2)
        ]
        stack.callback(stop, pollers)

        token, with_csrf = csrf(web_a, cookie)
        status, headers, _ = send(
            web_a,
            "POST",
            "/videos/new/",
            with_csrf,
            form={**FORM, "prompt": "Two lighthouses", "csrfmiddlewaretoken": token},
        )
        assert status == 302, headers
        video = Video.objects.get(user=user)
        assert headers["Location"] == f"/videos/{video.pk}/"

        archived = wait_until(
            lambda: Video.objects.filter(
                pk=video.pk, archived_at__isnull=False
            ).first(),
            timeout=60,
        )
        assert archived.status == Video.Status.COMPLETED
        assert s3.keys(f"archive/{video.pk}/")
        assert not any((tmp_path).rglob("*.mp4")), "an archive landed on a node's disk"

        # Played through the other node: a short-lived URL into the bucket, where
        # Range works.
        status, headers, _ = send(web_b, "GET", f"/videos/{video.pk}/content/", cookie)
        assert status == 302
        ranged = urllib.request.Request(
            headers["Location"], headers={"Range": "bytes=0-99"}
        )
        with urllib.request.urlopen(ranged, timeout=30) as answer:
            assert answer.status == 206
            assert answer.read() == s3.read(archived.archived_video.name)[:100]

        # One rate limit across both nodes (counted in Redis): 8 page views in all.
        pages = [web_a, web_b] * 3 + [web_a]
        seen = [send(base, "GET", "/videos/", cookie)[0] for base in pages]
        assert seen.count(429) >= 1 and seen[-1] == 429, seen


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
