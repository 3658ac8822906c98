"""The content proxy under real gunicorn (gthread): Range, HEAD, and a viewer who leaves."""

import http.client
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from videos.tests.helpers import wait_until
from videos.tests.processes import gunicorn, process_env

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> str:
    """A logged-in session, made the way django.contrib.auth.login makes one."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def get(base: str, path: str, cookie: str, method: str = "GET", **headers):
    url = urlsplit(base)
    assert url.hostname, f"no host in {base}"
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request(method, path, headers={"Cookie": cookie, **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.fixture
def served(user, completed_video, emulator):
    video = completed_video(user)
    env = process_env(emulator, VIDEO_ARCHIVE="off")
    with gunicorn(env, workers=1, threads=4) as (base, _process):
        yield base, video, session_cookie(user)


def test_range_and_head_through_gunicorn(served, sample_bytes):
    base, video, cookie = served
    path = f"/videos/{video.pk}/content/"
    response, body = get(base, path, cookie, Range="bytes=100-199")
    assert response.status == 206
    assert response.getheader("Content-Range") == f"bytes 100-199/{len(sample_bytes)}"
    assert body == sample_bytes[100:200]
    response, body = get(base, path, cookie, method="HEAD")
    assert response.status == 200
    assert response.getheader("Content-Length") == str(len(sample_bytes))
    assert body == b""
    response, body = get(base, path, cookie)
    assert body == sample_bytes


def test_a_viewer_leaving_mid_stream_closes_the_upstream(served, emulator):
    base, video, cookie = served
    emulator.configure(content_bytes=512 * 1024 * 1024)
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=30) as viewer:
        viewer.sendall(
            f"GET /videos/{video.pk}/content/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Cookie: {cookie}\r\n\r\n".encode()
        )
        received = 0
        while received < 4 * 1024 * 1024:
            received += len(viewer.recv(1024 * 1024))
    # gunicorn notices on its next write, closes the response, and with it the
    # upstream download: the emulator sees its stream cut short.
    wait_until(lambda: emulator.stats()["streams_aborted"] >= 1, timeout=20)
    assert emulator.stats()["streams_completed"] == 0
