"""HTTP details a careful site gets right: oversized bodies refused unread, HEAD on
pages, no caching of personal pages, and TLS settings that can be turned off for a
plain-http trial of the production settings."""

import socket
import time

import pytest

from sora_site.tests.helpers import PRODUCTION_ENV, run_manage
from videos.models import Video
from videos.tests.processes import gunicorn, process_env

pytestmark = pytest.mark.django_db

HUNDRED_MB = 100 * 1024 * 1024


def test_an_oversized_body_is_refused_from_its_length(user_client):
    response = user_client.generic(
        "POST",
        "/videos/new/",
        b"prompt=x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(HUNDRED_MB),
    )
    assert response.status_code == 413
    assert "100.0 MB" in response.text and "11.0 MB" in response.text
    assert response["Connection"] == "close"
    assert not Video.objects.exists()


def test_a_body_without_a_length_is_refused(user_client):
    response = user_client.generic(
        "POST",
        "/videos/new/",
        b"",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411


def test_a_nonsense_length_is_a_400(user_client):
    response = user_client.generic("POST", "/videos/new/", b"", CONTENT_LENGTH="-1x")
    assert response.status_code == 400


def test_a_body_within_the_limit_reaches_the_form(user_client):
    response = user_client.post("/videos/new/", {"prompt": ""})
    assert response.status_code == 200
    assert "the prompt cannot be empty" in response.text


@pytest.mark.django_db(transaction=True)
def test_gunicorn_answers_413_before_the_body_is_sent():
    """The server answers while the client has sent only the headers: nothing of the
    100 MB is read (or waited for)."""
    with gunicorn(process_env(), workers=1, threads=2) as (base, _process):
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(
                b"POST /videos/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=x\r\n"
                + f"Content-Length: {HUNDRED_MB}\r\n\r\n".encode()
            )
            answer = sock.recv(4096).decode("latin-1")
            elapsed = time.monotonic() - started
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert elapsed < 5


@pytest.mark.parametrize(
    "path", ["/", "/health", "/accounts/login/", "/accounts/signup/"]
)
def test_anonymous_pages_answer_head(client, path):
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def test_logged_in_pages_answer_head(user_client, user, make_video):
    video = make_video(user)
    for path in (
        "/videos/",
        "/videos/new/",
        "/accounts/profile/",
        f"/videos/{video.pk}/",
    ):
        response = user_client.head(path)
        assert response.status_code == 200, path
        assert response.content == b"", path


def test_personal_pages_are_not_stored_by_any_cache(user_client, user, make_video):
    video = make_video(user)
    for path in (
        "/videos/",
        "/videos/new/",
        "/accounts/profile/",
        f"/videos/{video.pk}/",
    ):
        cache_control = user_client.get(path)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, path


def test_responses_with_their_own_policy_keep_it(user_client, user, completed_video):
    video = completed_video(user)
    response = user_client.get(f"/videos/{video.pk}/content/")
    assert response["Cache-Control"] == "private, max-age=600"
    assert "max-age=0" in user_client.get("/health")["Cache-Control"]


def test_the_public_landing_page_is_not_marked_private(client):
    assert "no-store" not in client.get("/").get("Cache-Control", "")


SHOW_TLS = (
    "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, "
    "s.ACCOUNT_DEFAULT_HTTP_PROTOCOL)"
)


def test_production_defaults_to_https_behind_a_forwarding_proxy():
    result = run_manage("shell", "--no-imports", "-c", SHOW_TLS, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "https",
    ]


def test_a_plain_http_trial_of_production_is_three_settings():
    trial = {
        **PRODUCTION_ENV,
        "SECURE_SSL_REDIRECT": "off",
        "SESSION_COOKIE_SECURE": "off",
        "CSRF_COOKIE_SECURE": "off",
        "SECURE_PROXY_SSL_HEADER": "",
    }
    result = run_manage("shell", "--no-imports", "-c", SHOW_TLS, env=trial)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "None", "http"]


def test_another_proxy_header_can_be_named():
    env = {**PRODUCTION_ENV, "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Scheme"}
    result = run_manage("shell", "--no-imports", "-c", SHOW_TLS, env=env)
    assert "('HTTP_X_FORWARDED_SCHEME', 'https')" in result.stdout
