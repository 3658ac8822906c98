"""Run the product's own processes (poller, gunicorn) against the test database."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[2]


def child_database_url() -> str:
    """DATABASE_URL of the database this test session created."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def process_env(emulator=None, **extra: str) -> dict[str, str]:
    """A production-like environment for a child process of ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "TMPDIR")
    }
    env.update(
        DEBUG="off",
        # The tests' own key: sessions and password hashes made here stay valid there.
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="off",
        SECURE_HSTS_SECONDS="0",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        DATABASE_URL=child_database_url(),
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        PYTHONUNBUFFERED="1",
        # The test's own (temporary) media folder, shared with the child.
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    if emulator is not None:
        env.update(OPENAI_BASE_URL=emulator.base_url, OPENAI_API_KEY="sk-test-emulator")
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        env=env,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def wait_for_output(process: subprocess.Popen, text: str) -> list[str]:
    """Read the process's output until a line contains `text` (a readiness signal,
    where a sleep would only guess); the lines read so far. Fails if it exits first."""
    assert process.stdout is not None, "start the process with stdout=PIPE"
    lines: list[str] = []
    while True:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"exited before saying {text!r}:\n" + "".join(lines))
        lines.append(line)
        if text in line:
            return lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, threads: int = 4):
    """Real gunicorn (gthread) serving the project; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:sora_site.gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "/dev/null",
            "sora_site.wsgi",
        ],
        env=env,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None:
                    assert process.stdout is not None  # started with stdout=PIPE
                    raise RuntimeError(process.stdout.read()) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
