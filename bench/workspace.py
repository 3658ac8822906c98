"""One benchmark's little production: its database, emulator, gunicorn, object storage.

Every benchmark builds its own: a PostgreSQL database (created, migrated, dropped),
the Sora emulator, gunicorn and pollers as real child processes with a
production-like environment (DEBUG off, Redis cache). A `Workspace` owns all of it
and tears it down in reverse order on the way out, whether the benchmark finished,
failed or was interrupted (SIGINT, or SIGTERM from run_all).
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import psutil
from databases import REDIS_URL, Database
from http_client import http_get, http_request
from paths import BENCH_DIR, PROJECT_DIR, PYTHON
from processes import free_port, stop_process, wait_for_port

API_KEY = "sk-bench-emulator"
"""The key the product sends the emulator (which accepts any)."""
S3_ACCESS_KEY = S3_SECRET_KEY = "bench"
S3_REGION = "us-east-1"


@dataclass
class Emulator:
    root_url: str
    process: subprocess.Popen

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    @property
    def control(self) -> Any:
        """The product's own `EmulatorClient` (stdlib only) for the control endpoints."""
        if str(PROJECT_DIR) not in sys.path:
            sys.path.insert(0, str(PROJECT_DIR))
        from videos.emulator.control import EmulatorClient

        return EmulatorClient(self.root_url, timeout=60)


@dataclass
class Site:
    """A running gunicorn: its URL, its master process and its settings."""

    url: str
    process: subprocess.Popen
    workers: int
    threads: int
    app: str

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        if port is None:  # start_gunicorn always binds one
            raise ValueError(f"no port in the site's URL {self.url!r}")
        return port

    def worker_processes(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()


@dataclass
class ObjectStorage:
    """moto's S3 server on the loopback, standing in for a bucket elsewhere."""

    endpoint: str
    process: subprocess.Popen

    def settings_env(self, bucket: str, *, presigned_seconds: int = 300) -> dict:
        """The environment that points the product's default storage at `bucket`."""
        options = {
            "bucket_name": bucket,
            "endpoint_url": self.endpoint,
            "access_key": S3_ACCESS_KEY,
            "secret_key": S3_SECRET_KEY,
            "region_name": S3_REGION,
            "addressing_style": "path",
            "default_acl": "private",
        }
        return {
            "STORAGE_BACKEND": "storages.backends.s3.S3Storage",
            "STORAGE_OPTIONS": json.dumps(options),
            "STORAGE_PRESIGNED_SECONDS": str(presigned_seconds),
        }


class Workspace(contextlib.ExitStack[bool]):
    """Everything one benchmark starts, torn down in reverse order when it exits."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self.logs: list[Path] = []
        self._database: Database | None = None
        self.emulator: Emulator | None = None

    def __enter__(self) -> Self:
        super().__enter__()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"sora-bench-{self.label}-"))
        self.callback(shutil.rmtree, self.tmp, ignore_errors=True)
        self.cache_prefix = f"bench-{self.label}-{os.getpid()}-{int(time.time())}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is not None and not issubclass(
            exc_type, SystemExit | KeyboardInterrupt
        ):
            self.print_log_tails()
        return super().__exit__(exc_type, exc, tb)

    @property
    def database(self) -> Database:
        """The database `create_database` made; RuntimeError before it ran."""
        if self._database is None:
            raise RuntimeError(f"{self.label}: no database yet (call create_database)")
        return self._database

    def print_log_tails(self, lines: int = 25) -> None:
        for log in self.logs:
            with contextlib.suppress(OSError):
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                if tail:
                    print(f"--- last lines of {log.name} ---", file=sys.stderr)
                    print("\n".join(tail), file=sys.stderr)

    # -- the pieces --

    def create_database(self) -> Database:
        """A fresh, migrated PostgreSQL database, dropped when the workspace closes."""
        database = Database(self.label)
        database.create()
        self.callback(database.drop)
        self._database = database
        self.manage("migrate", "--noinput", "--verbosity", "0")
        return database

    def env(self, **extra: str) -> dict[str, str]:
        """A production-like environment for the product's processes."""
        env = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="sora_site.settings",
            PYTHONPATH=str(PROJECT_DIR),
            PYTHONUNBUFFERED="1",
            DEBUG="off",
            SECRET_KEY="bench-only-secret-key-" + "x" * 40,
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            SECURE_SSL_REDIRECT="off",
            SECURE_HSTS_SECONDS="0",
            REDIS_URL=REDIS_URL,
            CACHE_KEY_PREFIX=self.cache_prefix,
            STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
            MEDIA_ROOT=str(self.tmp / "media"),
            OPENAI_API_KEY=API_KEY,
            OPENAI_MODERATION_MODEL="",
            LOG_LEVEL="INFO",
        )
        if self._database is not None:
            env["DATABASE_URL"] = self._database.url
        if self.emulator is not None:
            env["OPENAI_BASE_URL"] = self.emulator.base_url
        env.update(extra)
        return env

    def spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        """Start a child with its output in a log file; stopped when the workspace closes."""
        log = self.tmp / f"{name}.log"
        self.logs.append(log)
        with log.open("ab") as out:
            process = subprocess.Popen(
                args,
                cwd=PROJECT_DIR,
                env=self.env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.callback(stop_process, process)
        return process

    def manage(self, *args: str, timeout: float = 300, **env: str) -> str:
        """Run a manage.py command to completion; its output, or RuntimeError."""
        completed = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=PROJECT_DIR,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}"
            )
        return completed.stdout + completed.stderr

    def task(
        self, name: str, *, env: dict[str, str] | None = None, **params: Any
    ) -> Any:
        """Run one of bench/tasks.py's Django jobs in a child; its JSON answer.

        `env` adds to the environment (e.g. another storage backend for this job).
        """
        completed = subprocess.run(
            [PYTHON, str(BENCH_DIR / "tasks.py"), name, json.dumps(params)],
            cwd=PROJECT_DIR,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"bench task {name} failed:\n{completed.stdout}{completed.stderr}"
            )
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def start_emulator(self, **options: Any) -> Emulator:
        """`manage.py sora_emulator` on a free port; options become its flags."""
        port = free_port()
        args = [PYTHON, "manage.py", "sora_emulator", "--host", "127.0.0.1"]
        args += ["--port", str(port), "--verbosity", "0"]
        for key, value in options.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        process = self.spawn("emulator", args)
        wait_for_port(port, process)
        self.emulator = Emulator(f"http://127.0.0.1:{port}", process)
        return self.emulator

    def start_gunicorn(
        self,
        *,
        workers: int,
        threads: int,
        app: str = "sora_site.wsgi",
        name: str = "gunicorn",
        **env: str,
    ) -> Site:
        """gunicorn with the product's own config file; waits until /health is 200."""
        port = free_port()
        args = [PYTHON, "-m", "gunicorn", "-c", "python:sora_site.gunicorn"]
        args += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        args += ["--threads", str(threads), app]
        process = self.spawn(name, args, **env)
        wait_for_port(port, process)
        site = Site(f"http://127.0.0.1:{port}", process, workers, threads, app)
        deadline = time.monotonic() + 60
        while http_get(site.url + "/health").status != 200:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not become healthy")
            time.sleep(0.2)
        while len(site.worker_processes()) < workers:
            time.sleep(0.1)
        return site

    def start_object_storage(self) -> ObjectStorage:
        """moto's S3 server (the venv's `moto_server`, as the tests run it) on a free port.

        Buckets are created by whoever uses it (`tasks.py store-archive` does).
        """
        port = free_port()
        moto = Path(PYTHON).parent / "moto_server"
        if not moto.exists():
            raise RuntimeError(
                f"{moto} is missing (moto[server] is in requirements-dev)"
            )
        process = self.spawn("moto", [str(moto), "-H", "127.0.0.1", "-p", str(port)])
        wait_for_port(port, process)
        return ObjectStorage(f"http://127.0.0.1:{port}", process)


def emulator_create_videos(
    emulator: Emulator, count: int, *, prompt: str = "bench video"
) -> list[str]:
    """Create `count` videos at the emulator; their ids.

    Raw HTTP with the JSON body the emulator also accepts: this is setup, not the SDK
    under test.
    """
    parts = urlsplit(emulator.root_url)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    ids = []
    for n in range(count):
        body = json.dumps({"prompt": f"{prompt} {n}", "model": "sora-2"})
        reply = http_request(
            f"http://{parts.netloc}/v1/videos",
            method="POST",
            body=body.encode(),
            headers=headers,
        )
        if reply.status != 200:
            raise RuntimeError(f"emulator create failed: {reply.body[:300]!r}")
        ids.append(json.loads(reply.body)["id"])
    return ids
