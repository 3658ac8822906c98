"""Limits hold across processes: gunicorn with several workers counting in Redis."""

import http.client
import re
import socket
from urllib.parse import urlencode, urlsplit

import pytest
import redis

from accounts.tests.fixtures import PASSWORD
from videos.tests.processes import gunicorn, process_env

REDIS = ("127.0.0.1", 6379)


def redis_is_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def request(base: str, method: str, path: str, *, body=None, cookies=None):
    """One request on a fresh connection, so the kernel may hand it to any worker."""
    url = urlsplit(base)
    assert url.hostname, f"no host in {base}"
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"{base}{path}"
    connection.request(
        method, path, body=urlencode(body) if body else None, headers=headers
    )
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    set_cookies = response.headers.get_all("Set-Cookie") or []
    return response.status, response.headers, text, set_cookies


@pytest.mark.skipif(not redis_is_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_the_sixth_failed_login_is_refused_whichever_worker_serves_it(make_user):
    user = make_user()
    env = process_env(REDIS_URL="redis://127.0.0.1:6379/14", CACHE_KEY_PREFIX="rl-test")
    with gunicorn(env, workers=3, threads=2) as (base, _process):
        status, _, page, set_cookies = request(base, "GET", "/accounts/login/")
        assert status == 200
        csrf_cookie = re.search(r"csrftoken=([^;]+)", " ".join(set_cookies)).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        # Counters from an earlier run in the same window would skew the count.
        redis.Redis(host=REDIS[0], port=REDIS[1], db=14).flushdb()
        statuses = []
        for attempt in range(6):
            status, _headers, text, _ = request(
                base,
                "POST",
                "/accounts/login/",
                body={
                    "login": user.email,
                    "password": PASSWORD if attempt == 5 else "wrong",
                    "csrfmiddlewaretoken": token,
                },
                cookies={"csrftoken": csrf_cookie},
            )
            statuses.append(status)
        # Five wrong passwords, counted in Redis across three workers: the sixth
        # attempt for this account is refused even with the right password.
        assert statuses == [200] * 6
        assert "Too many failed login attempts" in text
