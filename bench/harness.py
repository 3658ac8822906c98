"""Shared plumbing for the benchmarks: databases, child processes, HTTP and results.

Every benchmark builds its own little production: a PostgreSQL database of its own
(created, migrated and dropped here), the Sora emulator and gunicorn or the poller as
real child processes with a production-like environment (DEBUG off, Redis cache). A
`Workspace` owns all of it and tears it down in reverse order on the way out, whether
the benchmark finished, failed or was interrupted (SIGINT, or SIGTERM from run_all).

Standard library plus psutil and psycopg (both in requirements); no Django here: the
benchmark process only drives and measures, and Django runs in the children.
"""

import contextlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote_plus, urlsplit

import psutil
import psycopg

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_PYTHON = PROJECT_DIR / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
).rstrip("/")
"""Server the benchmarks create their databases on (trust auth, a superuser)."""
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
"""The shared cache DEBUG-off settings insist on; keys get a per-run prefix."""
DATABASE_PREFIX = "sora_bench_"
API_KEY = "sk-bench-emulator"
MIB = 1024 * 1024


# --- results -------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    metric: str
    value: float | int | str | None
    unit: str = ""
    target: str = ""
    passed: bool | None = None
    """None: informational, no target."""
    note: str = ""

    @property
    def shown_value(self) -> str:
        if self.value is None:
            return "n/a"
        if isinstance(self.value, float):
            digits = 3 if abs(self.value) < 1 else 2 if abs(self.value) < 10 else 1
            text = f"{self.value:,.{digits}f}"
        elif isinstance(self.value, int):
            text = f"{self.value:,}"
        else:
            text = str(self.value)
        return f"{text} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "**FAIL**", None: "info"}[self.passed]


@dataclass
class BenchResult:
    """What one benchmark module hands back: its rows and the raw numbers behind them."""

    name: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def add(self, metric: str, value: Any, unit: str = "", **kwargs: Any) -> Row:
        row = Row(self.name, metric, value, unit, **kwargs)
        self.rows.append(row)
        return row

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": [asdict(row) for row in self.rows],
            "details": self.details,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "BenchResult":
        return cls(
            name=data["name"],
            rows=[Row(**row) for row in data["rows"]],
            details=data.get("details", {}),
            error=data.get("error", ""),
        )


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | metric | measured | target | result |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        metric = f"{row.metric} ({row.note})" if row.note else row.metric
        lines.append(
            f"| {row.benchmark} | {metric} | {row.shown_value} | {row.target or '—'}"
            f" | {row.verdict} |"
        )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """The facts a reader needs to compare two results files."""
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", connect_timeout=5) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        postgres = "unreachable"
    python = subprocess.run(
        [PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(PROJECT_DIR), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": python,
        "postgresql": postgres,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": commit or "unknown",
    }


def machine_line(info: dict[str, Any]) -> str:
    load = ", ".join(str(x) for x in info["load_average"])
    return (
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM;"
        f" Python {info['python']}; PostgreSQL {info['postgresql']};"
        f" {info['date']}; load average at start {load}; commit {info['commit']}"
    )


def finish(result: BenchResult, json_path: str | None) -> int:
    """End a benchmark run alone or under run_all: print, save, exit status."""
    data = result.to_json()
    if json_path:
        Path(json_path).write_text(json.dumps(data, indent=2))
    else:
        RESULTS_DIR.mkdir(exist_ok=True)
        data["machine"] = machine_info()
        (RESULTS_DIR / f"{result.name}.json").write_text(json.dumps(data, indent=2))
        print(machine_line(data["machine"]))
    print(markdown_table(result.rows))
    if result.error:
        print(f"\n{result.name} failed: {result.error}", file=sys.stderr)
        return 1
    return 0


def _stop_once(signum: int, frame: Any) -> None:
    """The first SIGTERM/SIGINT ends the benchmark; later ones must not cut its clean-up."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def run_benchmark(
    name: str, measure: Callable[[], BenchResult], json_path: str | None
) -> int:
    """A benchmark module's main: check services, measure, report; exit status.

    SIGTERM (run_all's timeout) becomes SystemExit, so the workspace's `finally`
    still stops the children and drops the database; a second signal is ignored.
    """

    signal.signal(signal.SIGTERM, _stop_once)
    signal.signal(signal.SIGINT, _stop_once)
    try:
        check_services()
        drop_stale_databases()
        result = measure()
    except Exception as error:  # noqa: BLE001 - any failure is reported, then exit 1
        traceback.print_exc()
        result = BenchResult(name, error=f"{type(error).__name__}: {error}")
    return finish(result, json_path)


# --- databases -------------------------------------------------------------------------


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(
        f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=5
    )


def drop_stale_databases() -> list[str]:
    """Drop bench databases left by runs that were killed (their pid is gone)."""
    dropped = []
    with _admin_connection() as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (DATABASE_PREFIX + "%",),
            )
        ]
        for name in names:
            match = re.search(r"_(\d+)$", name)
            if match and not psutil.pid_exists(int(match.group(1))):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                dropped.append(name)
    return dropped


class Database:
    """A PostgreSQL database of this run, named after the benchmark and our pid."""

    def __init__(self, label: str) -> None:
        self.name = f"{DATABASE_PREFIX}{label}_{os.getpid()}"
        self.url = f"{POSTGRES_URL}/{self.name}"

    def create(self) -> None:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        """Run one statement (autocommit); its rows, if it returns any.

        For quick bookkeeping between measurements, without a Django start-up.
        """
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


def check_services() -> None:
    """Fail early, with a hint, when PostgreSQL or Redis is not there."""
    try:
        _admin_connection().close()
    except psycopg.Error as error:
        raise RuntimeError(
            f"PostgreSQL at {POSTGRES_URL} is not answering ({error}); start it or set"
            " BENCH_POSTGRES_URL."
        ) from None
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), 3) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(64).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as error:
        raise RuntimeError(
            f"Redis at {REDIS_URL} is not answering ({error}); DEBUG-off settings need"
            " it (start redis-server, or set BENCH_REDIS_URL)."
        ) from None


# --- processes -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f}s")


def stop_process(process: subprocess.Popen, *, grace: float = 15) -> None:
    """SIGTERM, then SIGKILL for it and whatever children it still has."""
    if process.poll() is not None:
        return
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        children = []
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()


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

    def worker_processes(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()


class Workspace(contextlib.ExitStack):
    """Everything one benchmark starts, torn down in reverse order when it exits."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self.logs: list[Path] = []
        self.database: Database | None = None
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
        self.database = database
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
        if self.database is not None:
            env["DATABASE_URL"] = self.database.url
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

    def task(self, name: str, **params: Any) -> Any:
        """Run one of bench/tasks.py's Django jobs in a child; its JSON answer."""
        completed = subprocess.run(
            [PYTHON, str(BENCH_DIR / "tasks.py"), name, json.dumps(params)],
            cwd=PROJECT_DIR,
            env=self.env(),
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


# --- HTTP --------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    set_cookies: dict[str, str]


def http_request(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Reply:
    """One request on a fresh connection; redirects are not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=body, headers=headers or {})
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
    head: bytes
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
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path, headers=headers)
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


# --- sampling ------------------------------------------------------------------------


class ProcessSampler:
    """Samples the RSS of some processes every `interval` seconds, in a thread.

    RSS growth and CPU time are measured from the moment `start()` ran.
    """

    def __init__(self, processes: list[psutil.Process], interval: float = 0.05) -> None:
        self.processes = processes
        self.interval = interval
        self.baseline_rss: dict[int, int] = {}
        self.peak_rss: dict[int, int] = {}
        self.samples = 0
        self._cpu_start: dict[int, tuple[float, float]] = {}
        self._cpu_end: dict[int, tuple[float, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _cpu(process: psutil.Process) -> tuple[float, float]:
        times = process.cpu_times()
        return times.user, times.system

    def start(self) -> Self:
        for process in self.processes:
            rss = process.memory_info().rss
            self.baseline_rss[process.pid] = rss
            self.peak_rss[process.pid] = rss
            self._cpu_start[process.pid] = self._cpu(process)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for process in self.processes:
            with contextlib.suppress(psutil.Error):
                self._cpu_end[process.pid] = self._cpu(process)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for process in self.processes:
                with contextlib.suppress(psutil.Error):
                    rss = process.memory_info().rss
                    self.peak_rss[process.pid] = max(self.peak_rss[process.pid], rss)
            self.samples += 1

    def cpu_user_system(self) -> tuple[float, float]:
        """User and system CPU seconds of all the processes between start and stop."""
        user = system = 0.0
        for pid, (user_start, system_start) in self._cpu_start.items():
            user_end, system_end = self._cpu_end.get(pid, (user_start, system_start))
            user += user_end - user_start
            system += system_end - system_start
        return user, system

    def cpu_seconds(self) -> float:
        return sum(self.cpu_user_system())

    def peak_growth(self) -> dict[int, int]:
        return {
            pid: self.peak_rss[pid] - self.baseline_rss[pid] for pid in self.peak_rss
        }


def system_cpu_busy() -> float:
    """Seconds of CPU time the whole machine has spent busy (all cores) so far."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def children_cpu_seconds() -> float:
    """User + system CPU of this process's children that have been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def wait_for_quiet_machine(*, busy_below: float = 25.0) -> float:
    """Wait until the machine is mostly idle; the last 1 s sample of its busy %.

    Others' work (a test suite, a build) on the same 2 cores skews every number here,
    so each benchmark waits up to BENCH_QUIET_WAIT seconds (default 30) for a second
    with less than `busy_below` % CPU in use, and records what it saw.
    """
    deadline = time.monotonic() + float(os.environ.get("BENCH_QUIET_WAIT", "30"))
    while True:
        busy = psutil.cpu_percent(interval=1.0)
        if busy < busy_below or time.monotonic() > deadline:
            return busy
