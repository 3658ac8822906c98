"""The benchmarks' HTTP client: one request, logging in, a timed full download.

http.client, not a library with a cookie jar: DEBUG-off cookies are `Secure`, and the
benchmarks talk plain HTTP to gunicorn, so cookies are read and sent back by hand.
https URLs (nginx's TLS port) take an `ssl.SSLContext` that trusts the test's
self-signed certificate.
"""

import builtins
import http.client
import re
import resource
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, quote_plus, urlsplit

MIB = 1024 * 1024


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    set_cookies: dict[str, str]


def open_connection(
    parts: SplitResult, *, timeout: float, tls: ssl.SSLContext | None = None
) -> http.client.HTTPConnection:
    """An HTTP or HTTPS connection (by the URL's scheme), not yet connected."""
    host = hostname_of(parts)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            host,
            parts.port,
            timeout=timeout,
            context=tls or ssl.create_default_context(),
        )
    return http.client.HTTPConnection(host, parts.port, timeout=timeout)


def hostname_of(parts: SplitResult) -> str:
    """The URL's host; ValueError for a URL without one, rather than connecting nowhere."""
    if not parts.hostname:
        raise ValueError(f"no host in the URL {parts.geturl()!r}")
    return parts.hostname


def path_of(parts: SplitResult) -> str:
    """The request target: path and query."""
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def http_request(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
    tls: ssl.SSLContext | None = None,
) -> Reply:
    """One request on a fresh connection; redirects are not followed."""
    parts = urlsplit(url)
    conn = open_connection(parts, timeout=timeout, tls=tls)
    try:
        conn.request(method, path_of(parts), body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        cookies = {}
        # DEBUG-off cookies are `Secure`: a cookie jar would not send them back over
        # plain HTTP, so read and send them by hand.
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
        return Reply(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            data,
            cookies,
        )
    finally:
        conn.close()


def http_get(url: str, **kwargs: Any) -> Reply:
    """As http_request, with status 0 instead of an exception when nothing answers."""
    try:
        return http_request(url, **kwargs)
    except OSError:
        return Reply(0, {}, b"", {})


def login(site_url: str, email: str, password: str) -> str:
    """Log in through allauth's real form (GET for CSRF, then POST); the session id."""
    page = http_request(site_url + "/accounts/login/")
    csrf_cookie = page.set_cookies.get("csrftoken")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or not csrf_cookie or not match:
        raise RuntimeError(f"login page: status {page.status}, no CSRF token found")
    form = (
        f"csrfmiddlewaretoken={match.group(1).decode()}"
        f"&login={quote_plus(email)}&password={quote_plus(password)}"
    )
    answer = http_request(
        site_url + "/accounts/login/",
        method="POST",
        body=form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
        },
    )
    session = answer.set_cookies.get("sessionid")
    if answer.status != 302 or not session:
        raise RuntimeError(
            f"login failed: status {answer.status}, body {answer.body[:300]!r}"
        )
    return session


@dataclass
class Download:
    status: int
    bytes: int
    seconds: float
    client_cpu_seconds: float
    # `builtins.`: in this class body the plain name is the `bytes` field above.
    head: builtins.bytes
    headers: dict[str, str]

    @property
    def mb_per_second(self) -> float:
        return self.bytes / self.seconds / 1e6


def download(url: str, headers: dict[str, str], *, chunk: int = MIB) -> Download:
    """GET a body into one reused buffer (no per-chunk allocation); time and CPU."""
    parts = urlsplit(url)
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    cpu_start = resource.getrusage(resource.RUSAGE_THREAD)
    started = time.perf_counter()
    conn = open_connection(parts, timeout=120)
    try:
        conn.request("GET", path_of(parts), headers=headers)
        response = conn.getresponse()
        total = 0
        head = b""
        while True:
            count = response.readinto(view)
            if not count:
                break
            if total < 256:
                head += bytes(view[: min(count, 256 - total)])
            total += count
        elapsed = time.perf_counter() - started
        got_headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    cpu_end = resource.getrusage(resource.RUSAGE_THREAD)
    cpu = (cpu_end.ru_utime - cpu_start.ru_utime) + (
        cpu_end.ru_stime - cpu_start.ru_stime
    )
    return Download(response.status, total, elapsed, cpu, head, got_headers)
