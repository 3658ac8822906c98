"""Run the shipped docs/nginx/sora.conf with Debian's nginx, as a child process of ours.

The server block is the file people deploy; only its example values (ports, folders,
certificate, gunicorn's address) are swapped for the test's own, each of which must be
found exactly once, so the file cannot drift away from what is tested. Standard library
only: the benchmarks use it too.
"""

import getpass
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NGINX = Path("/usr/sbin/nginx")
SHIPPED_CONF = Path(__file__).resolve().parents[2] / "docs" / "nginx" / "sora.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")


@dataclass(frozen=True)
class Nginx:
    https_port: int
    http_port: int
    certificate: Path
    error_log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (clients verify against it)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_block(replacements: dict[str, str]) -> str:
    text = SHIPPED_CONF.read_text()
    for example, value in replacements.items():
        found = text.count(example)
        if found != 1:
            raise AssertionError(f"{SHIPPED_CONF} has {example!r} {found} times, not 1")
        text = text.replace(example, value)
    return text


def main_conf(folder: Path, server: str) -> str:
    """What /etc/nginx/nginx.conf gives the shipped block, with paths in `folder`."""
    temp = {
        name: folder / name
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    }
    for path in temp.values():
        path.mkdir(exist_ok=True)
    return f"""
user {getpass.getuser()};
worker_processes 2;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{server}
}}
"""


@contextmanager
def nginx(
    folder: Path,
    *,
    gunicorn_port: int,
    static_root: Path,
    media_root: Path,
    extra_locations: str = "",
) -> Iterator[Nginx]:
    """nginx with the shipped server block in front of gunicorn; stopped on exit.

    `extra_locations` goes into the https server (the benchmark's plain static copy).
    """
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = make_certificate(folder)
    https_port, http_port = free_port(), free_port()
    server = server_block(
        {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{gunicorn_port};",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            "/etc/ssl/sora/fullchain.pem": str(cert),
            "/etc/ssl/sora/privkey.pem": str(key),
            "/srv/sora/staticfiles/": f"{static_root}/",
            "/srv/sora/media/": f"{media_root}/",
            "    location / {": f"{extra_locations}    location / {{",
        }
    )
    conf = folder / "nginx.conf"
    conf.write_text(main_conf(folder, server))
    error_log = folder / "error.log"
    process = subprocess.Popen(
        [str(NGINX), "-c", str(conf), "-p", str(folder), "-e", str(error_log)]
        + ["-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(https_port, process, error_log)
        yield Nginx(https_port, http_port, cert, error_log)
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen, error_log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = error_log.read_text() if error_log.exists() else ""
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx is not listening on {port} after 15 s")
