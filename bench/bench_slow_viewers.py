"""Benchmark: the list page's latency while slow viewers download an archived video.

A viewer on a slow phone connection holds whatever moves its bytes for the whole
download. With the bytes going through gunicorn that is one of its threads, so a few
dozen slow viewers leave none for pages. This measures it: the list page's p50/p99
under `wrk -t2 -c16` (bench_pages' load, the same rotating sessions) first idle,
then while VIEWERS clients download an archived video each at RATE bytes/second for
at most SECONDS, for each way of delivering the bytes, all in the same run.

gunicorn runs with the product's config as shipped (4 workers × 4 threads, the
defaults of sora_site/gunicorn.py), DEBUG off, PostgreSQL, Redis. The archived file is
written by `tasks.py seed-streaming` into MEDIA_ROOT, as the poller's archive step
leaves it, and is large enough that no viewer finishes before the time is up.

How the bytes reach the viewers is a `Delivery` (`--delivery`, default all three):

- "gunicorn": the content view's FileResponse, gunicorn sends the bytes;
- "nginx": Debian's nginx runs the shipped docs/nginx/sora.conf (through the tests'
  runner, videos/tests/nginx_server.py) in front of gunicorn, which runs with
  MEDIA_ACCEL_REDIRECT_PREFIX and TRUSTED_PROXY_HOPS=1: the view answers with
  X-Accel-Redirect and nginx sends the file, over TLS;
- "presigned": gunicorn with S3 object storage (moto's server on the loopback, the
  archived file put into its bucket by `tasks.py store-archive`): the view answers
  302 to a presigned URL and the viewer reads the bytes from the storage.

Each variant starts its own gunicorn (its settings differ) and measures the page
through its own front door: gunicorn's port for "gunicorn" and "presigned", nginx's
TLS port for "nginx", since that is where people's page requests go in that setup.
So each variant has its own idle baseline, taken through the same front door just
before its viewers start, and its p99 is compared with that one.

Run alone: `.venv/bin/python bench/bench_slow_viewers.py [--viewers 64] [--rate 256K]`.
"""

import argparse
import contextlib
import http.client
import os
import shutil
import socket
import ssl
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bench_pages
import http_client
import paths
import processes
import results_table
from results_table import BenchResult
from workspace import Site, Workspace

if str(paths.PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(paths.PROJECT_DIR))
from videos.tests.nginx_server import NGINX, nginx

VIEWER_EMAIL = "viewer@bench.example"
VIEWERS = 64
RATE = 256 * 1024
"""Bytes per second each viewer reads: a slow mobile connection."""
SECONDS = 20
VIEWER_RECEIVE_BUFFER = 64 * 1024
VIEWER_PIECE = 16 * 1024
PATTERN_HEAD = bytes(range(256))
"""The archived file's first bytes (seed-streaming's pattern): every viewer checks them."""
GUNICORN_WORKERS, GUNICORN_THREADS = 4, 4
"""The product's defaults (sora_site/gunicorn.py)."""
WARMUP_SECONDS = 3
VIEWERS_HEAD_START = 3
"""Seconds between the viewers' start and the page load: all connected and reading."""
P99_FACTOR_TARGET = 2.0
"""The issue's target for an offloaded variant: p99 within 2× of the idle p99."""
BUCKET = "sora-bench-archive"


# --- the viewers ----------------------------------------------------------------------


@dataclass
class Viewers:
    """`count` threads each reading one download at a bounded rate, until a deadline.

    A viewer follows one redirect (the presigned URL), without the session cookie,
    as a browser going to another origin would.
    """

    url: str
    headers: dict[str, str]
    count: int
    rate: int
    seconds: float
    tls: ssl.SSLContext | None = None
    received: list[int] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    """Each viewer's statuses, e.g. `200` or `302 → 200`."""
    errors: list[str] = field(default_factory=list)
    first_byte_seconds: list[float] = field(default_factory=list)
    """From each viewer's start to its body's first bytes (after any redirect)."""
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Viewers":
        self.deadline = time.monotonic() + self.seconds
        for _ in range(self.count):
            thread = threading.Thread(target=self._view, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=self.seconds + 60)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            waits = sorted(self.first_byte_seconds)
            return {
                "first_byte_seconds": {
                    "median": round(statistics.median(waits), 2) if waits else None,
                    "max": round(waits[-1], 2) if waits else None,
                },
                "viewers": len(self.received),
                "without_bytes": self.received.count(0),
                "statuses": dict(Counter(self.chains)),
                "mean_kib_per_second": round(
                    sum(self.received)
                    / max(len(self.received), 1)
                    / self.seconds
                    / 1024,
                    1,
                ),
                "error_count": len(self.errors),
                "errors": self.errors[:5],
            }

    def _view(self) -> None:
        began = time.monotonic()
        chain: list[int] = []
        total = 0
        connections: list[http.client.HTTPConnection] = []
        try:
            response = self._get(self.url, self.headers, chain, connections)
            if response.status in (302, 303, 307):
                location = response.getheader("Location", "")
                response.read()
                connections.pop().close()
                response = self._get(location, {}, chain, connections)
            if response.status != 200:
                self._error(f"{chain}: {response.read(300)!r}")
            else:
                total = self._read_slowly(response, began)
        except OSError as error:
            self._error(f"{type(error).__name__}: {error}")
        finally:
            for conn in connections:
                conn.close()
        with self._lock:
            self.received.append(total)
            self.chains.append(" → ".join(str(status) for status in chain) or "none")

    def _get(
        self,
        url: str,
        headers: dict[str, str],
        chain: list[int],
        connections: list[http.client.HTTPConnection],
    ) -> http.client.HTTPResponse:
        parts = urlsplit(url)
        conn = http_client.open_connection(parts, timeout=60, tls=self.tls)
        connections.append(conn)
        if parts.port is None:  # every URL here names its port (loopback servers)
            raise ValueError(f"no port in the viewer's URL {url!r}")
        sock = _small_window_socket(http_client.hostname_of(parts), parts.port)
        if parts.scheme == "https":
            tls = self.tls or ssl.create_default_context()
            sock = tls.wrap_socket(sock, server_hostname=parts.hostname)
        conn.sock = sock
        conn.request("GET", http_client.path_of(parts), headers=headers)
        response = conn.getresponse()
        chain.append(response.status)
        return response

    def _read_slowly(self, response: http.client.HTTPResponse, began: float) -> int:
        """Read in VIEWER_PIECE pieces, sleeping to stay at `rate`, until the deadline.

        The pace counts from the first bytes: a viewer kept waiting does not catch up
        in a burst afterwards (a slow link cannot), so waiting shows in its KiB/s.
        """
        total = 0
        paced_from = 0.0
        while time.monotonic() < self.deadline:
            piece = response.read(VIEWER_PIECE)
            if not piece:
                break
            if not total:
                paced_from = time.monotonic()
                with self._lock:
                    self.first_byte_seconds.append(paced_from - began)
                if not piece.startswith(PATTERN_HEAD):
                    self._error(f"wrong bytes: {piece[:16]!r}")
                    break
            total += len(piece)
            ahead = paced_from + total / self.rate - time.monotonic()
            if ahead > 0:
                time.sleep(min(ahead, max(self.deadline - time.monotonic(), 0)))
        return total

    def _error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)


def _small_window_socket(host: str, port: int) -> socket.socket:
    """A client socket with a 64 KiB receive buffer, set before connecting.

    On the loopback the kernel would otherwise grow the window to megabytes, the
    server's sendfile would hand a slow viewer's whole download to the socket buffers
    at once, and its thread would be free again: a real slow link keeps it busy.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, VIEWER_RECEIVE_BUFFER)
    sock.settimeout(60)
    sock.connect((host, port))
    return sock


# --- the deliveries -----------------------------------------------------------------


@dataclass
class FrontDoor:
    """Where one variant's page load and viewers go, and the gunicorn behind it."""

    url: str
    label: str
    site: Site
    tls: ssl.SSLContext | None = None
    """For an https front door: trusts nginx's self-signed test certificate."""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """One way archived bytes reach viewers: what it starts, what viewers get."""

    label: str
    start: Callable[[Workspace, contextlib.ExitStack, str], FrontDoor]
    """(workspace, the variant's stack, archived video id) → its front door.

    Everything it starts is stopped when the stack closes, before the next variant.
    """
    viewer_statuses: str
    """What every viewer must get: `200`, or `302 → 200` through a redirect."""
    offloaded: bool
    """Whether the 2× target applies (through gunicorn the row is the baseline)."""


def _start_site(
    ws: Workspace, stack: contextlib.ExitStack, name: str, **env: str
) -> Site:
    site = ws.start_gunicorn(
        workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS, name=name, **env
    )
    stack.callback(processes.stop_process, site.process)
    return site


def _through_gunicorn(
    ws: Workspace, stack: contextlib.ExitStack, video_id: str
) -> FrontDoor:
    site = _start_site(ws, stack, "gunicorn")
    return FrontDoor(site.url, "gunicorn directly (http)", site)


def _through_nginx(
    ws: Workspace, stack: contextlib.ExitStack, video_id: str
) -> FrontDoor:
    """gunicorn set up as docs/nginx/sora.conf says, behind that very server block."""
    if not NGINX.exists():
        raise RuntimeError(f"{NGINX} is missing: apt-get install nginx")
    site = _start_site(
        ws,
        stack,
        "gunicorn-behind-nginx",
        MEDIA_ACCEL_REDIRECT_PREFIX="/_protected_media/",
        TRUSTED_PROXY_HOPS="1",
    )
    static_root = ws.tmp / "static"
    static_root.mkdir(exist_ok=True)
    server = stack.enter_context(
        nginx(
            ws.tmp / "nginx",
            gunicorn_port=site.port,
            static_root=static_root,
            media_root=ws.tmp / "media",
        )
    )
    tls = ssl.create_default_context(cafile=str(server.certificate))
    url = f"https://127.0.0.1:{server.https_port}"
    return FrontDoor(url, "nginx (TLS, docs/nginx/sora.conf)", site, tls)


def _through_presigned_url(
    ws: Workspace, stack: contextlib.ExitStack, video_id: str
) -> FrontDoor:
    """gunicorn with S3 storage on moto; the archived file is put into its bucket."""
    storage = ws.start_object_storage()
    stack.callback(processes.stop_process, storage.process)
    env = storage.settings_env(BUCKET)
    stored = ws.task("store-archive", env=env, video_id=video_id)
    site = _start_site(ws, stack, "gunicorn-object-storage", **env)
    return FrontDoor(
        site.url,
        "gunicorn directly (http)",
        site,
        details={"stored": stored, "storage": "moto_server on the loopback"},
    )


DELIVERIES = {
    "gunicorn": Delivery(
        "bytes through gunicorn (FileResponse)", _through_gunicorn, "200", False
    ),
    "nginx": Delivery(
        "bytes from nginx (X-Accel-Redirect)", _through_nginx, "200", True
    ),
    "presigned": Delivery(
        "bytes from object storage (302 to a presigned URL)",
        _through_presigned_url,
        "302 → 200",
        True,
    ),
}


# --- the run --------------------------------------------------------------------------


@dataclass
class Plan:
    """What every variant does the same way."""

    tool: str
    sessions: list[str]
    cookie_file: Path
    viewers: int
    rate: int
    seconds: int
    load_seconds: int


def run(
    *,
    deliveries: list[str],
    viewers: int = VIEWERS,
    rate: int = RATE,
    seconds: int = SECONDS,
    users: int = bench_pages.USERS,
) -> BenchResult:
    result = BenchResult("slow_viewers")
    result.details["background_cpu_percent"] = processes.wait_for_quiet_machine()
    archive_bytes = int(rate * (seconds + 10))
    measured: dict[str, dict] = {}
    with Workspace("slow_viewers") as ws:
        ws.create_database()
        seeded = ws.task(
            "seed-pages",
            email=bench_pages.EMAIL,
            password=bench_pages.PASSWORD,
            users=users,
        )
        video = ws.task(
            "seed-streaming",
            email=VIEWER_EMAIL,
            password=bench_pages.PASSWORD,
            openai_video_id="video_bench_slow_viewers",
            archived_bytes=archive_bytes,
        )
        cookie_file = ws.tmp / "sessions.txt"
        bench_pages.write_cookie_file(cookie_file, seeded["sessions"])
        plan = Plan(
            tool="wrk" if shutil.which("wrk") else "python",
            sessions=seeded["sessions"],
            cookie_file=cookie_file,
            viewers=viewers,
            rate=rate,
            seconds=seconds,
            load_seconds=max(seconds - 6, 5),
        )
        viewer_session = ""
        for name in deliveries:
            with contextlib.ExitStack() as stack:
                door = DELIVERIES[name].start(ws, stack, video["archived_video_id"])
                if not viewer_session:
                    viewer_session = http_client.login(
                        door.site.url, VIEWER_EMAIL, bench_pages.PASSWORD
                    )
                measured[name] = measure_variant(
                    ws, plan, door, video["archived_video_id"], viewer_session
                )
    report(result, measured, plan)
    return result


def measure_variant(
    ws: Workspace, plan: Plan, door: FrontDoor, video_id: str, viewer_session: str
) -> dict[str, Any]:
    """Idle page load, then the same load with the viewers reading, through `door`."""
    list_url = door.url + "/videos/"
    content_url = f"{door.url}/videos/{video_id}/content/"
    viewer_headers = {"Cookie": f"sessionid={viewer_session}"}
    bench_pages.check_list_page(list_url, plan.sessions[0], door.tls)
    warm_up = warm_content(content_url, viewer_headers, door.tls, plan.viewers)
    bench_pages.load(plan.tool, list_url, plan.cookie_file, WARMUP_SECONDS, ws.tmp)
    idle = timed_load(ws, plan, list_url)
    crowd = Viewers(
        content_url,
        viewer_headers,
        plan.viewers,
        plan.rate,
        plan.seconds,
        door.tls,
    ).start()
    time.sleep(VIEWERS_HEAD_START)
    loaded = timed_load(ws, plan, list_url)
    crowd.join()
    return {
        "front_door": door.label,
        "content_warm_up": warm_up,
        "idle": idle,
        "with_viewers": loaded,
        "viewers": crowd.summary(),
        **door.details,
    }


def warm_content(
    url: str, headers: dict[str, str], tls: ssl.SSLContext | None, count: int
) -> dict[str, Any]:
    """`count` requests at once for the first 256 bytes, before anything is measured.

    Every gunicorn thread then has served the content view once, as in a server that
    has been up a while: with S3 storage the first signed URL in each thread costs
    it a boto3 session and client (django-storages keeps one per thread), ~0.3 s of
    CPU, which would otherwise land in the measured window. The slowest answer is
    reported: what a viewer of a freshly started server waits.
    """

    def one(_: int) -> tuple[int, float]:
        started = time.perf_counter()
        reply = http_client.http_request(
            url, headers={**headers, "Range": "bytes=0-255"}, tls=tls, timeout=60
        )
        return reply.status, time.perf_counter() - started

    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(one, range(count)))
    statuses = sorted({status for status, _ in answers})
    if not set(statuses) <= {206, 302}:
        raise RuntimeError(f"content warm-up: statuses {statuses}")
    return {
        "requests": count,
        "statuses": statuses,
        "slowest_ms": round(1000 * max(seconds for _, seconds in answers), 1),
    }


def timed_load(ws: Workspace, plan: Plan, url: str) -> dict[str, Any]:
    """bench_pages' load, with the machine's CPU meanwhile: ours and others' (% of all)."""
    cpu = processes.CpuSplit().start()
    got = bench_pages.load(plan.tool, url, plan.cookie_file, plan.load_seconds, ws.tmp)
    got["cpu_percent"] = cpu.stop()
    got["seconds"] = plan.load_seconds
    got.pop("raw", None)
    return got


# --- the report -----------------------------------------------------------------------


def page_failed(load: dict[str, Any]) -> bool:
    """Whether page requests failed: non-2xx/3xx answers, wrk's timeouts (> 2 s), or
    no answer at all (wrk counts no timeout for a request never answered)."""
    return bool(load["non_2xx_3xx"] or load["timeouts"] or not load["requests"])


def load_text(load: dict[str, Any]) -> str:
    if not load["requests"]:
        return f"0 req/s: no page answered in {load['seconds']} s"
    return (
        f"{load['requests_per_second']:.0f} req/s; {load['p50_ms']:.1f} /"
        f" {load['p99_ms']:.1f} ms; {load['timeouts']} timeouts"
    )


def load_note(load: dict[str, Any]) -> str:
    cpu = load["cpu_percent"]
    ours = ", ".join(
        f"{role} {share:.0f}" for role, share in cpu["ours_by_role"].items() if share
    )
    cpu_text = (
        f"CPU % of all {os.cpu_count()} cores: {cpu['machine']:.0f} busy, of it"
        f" others' processes {cpu['others']:.0f}, ours {ours}"
    )
    parts = [cpu_text]
    if load["non_2xx_3xx"]:
        parts.append(f"{load['non_2xx_3xx']} non-2xx/3xx")
    if load.get("socket_errors"):
        parts.append(f"wrk socket errors: {load['socket_errors']}")
    return "; ".join(parts)


def report(result: BenchResult, measured: dict[str, dict], plan: Plan) -> None:
    how = (
        f"{plan.tool} -t{bench_pages.LOAD_THREADS} -c{bench_pages.CONNECTIONS}"
        f" -d{plan.load_seconds}s, {len(plan.sessions)} rotating sessions; gunicorn"
        f" {GUNICORN_WORKERS} workers × {GUNICORN_THREADS} threads; other CPU load"
        f" before the run {result.details['background_cpu_percent']}%"
    )
    for name, got in measured.items():
        delivery = DELIVERIES[name]
        idle, loaded, viewers = got["idle"], got["with_viewers"], got["viewers"]
        warm_up = got["content_warm_up"]
        idle_note = (
            f"{load_note(idle)}; before it, {warm_up['requests']} content requests"
            f" at once (warm-up, statuses {warm_up['statuses']}): slowest"
            f" {warm_up['slowest_ms']:.0f} ms"
        )
        result.add(
            f"/videos/ idle, through {got['front_door']}: req/s; p50 / p99; timeouts",
            load_text(idle),
            note=f"{how}; {idle_note}" if not result.rows else idle_note,
        )
        viewers_ok = (
            viewers["statuses"] == {delivery.viewer_statuses: plan.viewers}
            and not viewers["error_count"]
            and not viewers["without_bytes"]
        )
        result.add(
            f"/videos/ with {plan.viewers} slow viewers, {delivery.label}:"
            " req/s; p50 / p99; timeouts",
            load_text(loaded),
            note=f"{load_note(loaded)}; viewers at ≤ {plan.rate // 1024} KiB/s for"
            f" {plan.seconds} s got {viewers['mean_kib_per_second']} KiB/s each,"
            f" statuses {viewers['statuses']}, first bytes after"
            f" {viewers['first_byte_seconds']['median']} s (median),"
            f" {viewers['first_byte_seconds']['max']} s (max)"
            + (
                f", {viewers['without_bytes']} got no bytes in time"
                if viewers["without_bytes"]
                else ""
            )
            + (
                f", {viewers['error_count']} errors: {viewers['errors'][:2]}"
                if viewers["error_count"]
                else ""
            ),
        )
        factor = (
            loaded["p99_ms"] / idle["p99_ms"]
            if idle["requests"] and loaded["requests"]
            else None
        )
        failed = page_failed(idle) or page_failed(loaded) or not viewers_ok
        result.add(
            f"p99 with slow viewers / idle p99 ({name})",
            round(factor, 2) if factor is not None else None,
            "×",
            target=f"≤ {P99_FACTOR_TARGET:.0f}× (offloaded), no page errors",
            # A target for offloaded bytes; through gunicorn the row is the baseline,
            # failed only by errors (timed-out page requests among them).
            passed=(not failed and factor is not None and factor <= P99_FACTOR_TARGET)
            if delivery.offloaded
            else (False if failed else None),
        )
    result.details["variants"] = measured
    result.details["setup"] = {
        "viewers": plan.viewers,
        "rate_bytes_per_second": plan.rate,
        "viewer_seconds": plan.seconds,
        "viewer_receive_buffer": VIEWER_RECEIVE_BUFFER,
        "load_seconds": plan.load_seconds,
        "tool": plan.tool,
    }


def parse_rate(text: str) -> int:
    """`256K`, `1M` or a plain number of bytes per second."""
    units = {"K": 1024, "M": 1024 * 1024}
    suffix = text[-1:].upper()
    return int(float(text[:-1]) * units[suffix]) if suffix in units else int(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--viewers", type=int, default=VIEWERS)
    parser.add_argument(
        "--rate", type=parse_rate, default=RATE, help="Per viewer (default 256K)."
    )
    parser.add_argument(
        "--seconds", type=int, default=SECONDS, help="Viewers' time (default 20)."
    )
    parser.add_argument(
        "--delivery",
        default=",".join(DELIVERIES),
        help=f"Comma-separated subset of: {', '.join(DELIVERIES)} (default all).",
    )
    parser.add_argument("--users", type=int, default=bench_pages.USERS)
    parser.add_argument("--json", help="Write the result here (used by run_all).")
    args = parser.parse_args()
    names = args.delivery.split(",")
    unknown = set(names) - set(DELIVERIES)
    if unknown:
        parser.error(f"unknown delivery: {', '.join(sorted(unknown))}")
    return results_table.run_benchmark(
        "slow_viewers",
        lambda: run(
            deliveries=names,
            viewers=args.viewers,
            rate=args.rate,
            seconds=args.seconds,
            users=args.users,
        ),
        args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
