"""Benchmark: archived bytes through nginx's X-Accel-Redirect vs nginx's plain static file.

Debian's nginx runs the shipped docs/nginx/sora.conf (through the tests' own runner,
videos/tests/nginx_server.py) in front of gunicorn (2 workers × 8 threads, DEBUG off,
PostgreSQL, MEDIA_ACCEL_REDIRECT_PREFIX set). One user owns one archived ~50 MB video.
Two ways to fetch the same file over the same TLS server:

- `/videos/<uuid>/content/`: Django checks the session and ownership, answers with
  X-Accel-Redirect, nginx sends the file (the product's path);
- `/plain-copy/<name>`: an extra location aliasing MEDIA_ROOT, nginx alone (the ceiling).

Each is measured as N sequential full downloads and as 8 concurrent ones, timed in two
phases: until the response headers (for the offloaded path that is Django's check and
nginx's internal redirect, a fixed cost per request) and the bytes after them. Target:
the offloaded bytes ≥ 0.95 × the plain file's, in both; the whole download's ratio and
the time to the headers are reported beside it, so the check's cost is in plain view
(it weighs more the smaller the file).

Run alone: `.venv/bin/python bench/bench_nginx.py [--repeat N] [--megabytes M]`.
"""

import argparse
import http.client
import ssl
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import http_client
import paths
import processes
import results_table
from http_client import MIB
from results_table import BenchResult
from workspace import Workspace

if str(paths.PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(paths.PROJECT_DIR))
from videos.tests.nginx_server import NGINX, nginx

EMAIL = "nginx@bench.example"
PASSWORD = "bench-nginx-password-4711"
CONCURRENT = 8
CONCURRENT_ROUNDS = 3
RATIO_TARGET = 0.95


def run(*, repeat: int = 5, megabytes: int = 50) -> BenchResult:
    result = BenchResult("nginx")
    if not NGINX.exists():
        raise RuntimeError(f"{NGINX} is missing: apt-get install nginx")
    result.details["background_cpu_percent"] = processes.wait_for_quiet_machine()
    size = megabytes * MIB
    with Workspace("nginx") as ws:
        ws.create_database()
        seeded = ws.task(
            "seed-streaming",
            email=EMAIL,
            password=PASSWORD,
            openai_video_id="video_bench_unused",
            archived_bytes=size,
        )
        site = ws.start_gunicorn(
            workers=2,
            threads=8,
            MEDIA_ACCEL_REDIRECT_PREFIX="/_protected_media/",
            TRUSTED_PROXY_HOPS="1",
        )
        session = http_client.login(site.url, EMAIL, PASSWORD)
        cookie = {"Cookie": f"sessionid={session}"}
        media = ws.tmp / "media"
        name = f"archive/{seeded['archived_video_id']}/video.mp4"
        plain = f"    location /plain-copy/ {{ alias {media}/; sendfile on; }}\n"
        static_root = ws.tmp / "static"
        static_root.mkdir()
        with nginx(
            ws.tmp / "nginx",
            gunicorn_port=int(site.url.rsplit(":", 1)[1]),
            static_root=static_root,
            media_root=media,
            extra_locations=plain,
        ) as server:
            fetch = Fetcher(server.https_port, server.certificate, size)
            targets = {
                "offloaded": (
                    f"/videos/{seeded['archived_video_id']}/content/",
                    cookie,
                ),
                "plain": (f"/plain-copy/{name}", {}),
            }
            for path, headers in targets.values():
                fetch.one(path, headers)  # warm the page cache and the workers
            # Interleaved, so a change in the machine's load falls on both alike.
            sequential = fetch.interleaved(targets, repeat)
            rounds: dict[str, list[dict]] = {label: [] for label in targets}
            for _ in range(CONCURRENT_ROUNDS):
                for label, (path, headers) in targets.items():
                    rounds[label].append(fetch.concurrent(path, headers, CONCURRENT))
            measured = {
                label: {
                    "sequential": sequential[label],
                    "concurrent": median_round(rounds[label]),
                }
                for label in targets
            }
    report(result, measured, repeat, megabytes)
    return result


@dataclass(frozen=True)
class Timing:
    """One download: when its headers came, when its last byte came (perf_counter)."""

    started: float
    headers: float
    finished: float


class Fetcher:
    """Full downloads over TLS, each checked for its length, timed in two phases.

    Until the headers: for the offloaded path, Django's authorization (session, user,
    the video's row) and nginx's internal redirect; for the plain file, nginx alone.
    After the headers: the bytes, which nginx sends the same way for both.
    """

    def __init__(self, port: int, certificate: Path, size: int) -> None:
        self.port = port
        self.size = size
        self.tls = ssl.create_default_context(cafile=str(certificate))

    def one(self, path: str, headers: dict[str, str]) -> Timing:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.tls, timeout=120
        )
        buffer = memoryview(bytearray(MIB))
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            got_headers = time.perf_counter()
            total = 0
            while count := response.readinto(buffer):
                total += count
            finished = time.perf_counter()
        finally:
            connection.close()
        if response.status != 200 or total != self.size:
            raise RuntimeError(f"{path}: status {response.status}, {total} bytes")
        return Timing(started, got_headers, finished)

    def interleaved(
        self, targets: dict[str, tuple[str, dict[str, str]]], repeat: int
    ) -> dict[str, dict]:
        """`repeat` downloads of each target, taking turns; each target's medians."""
        timings: dict[str, list[Timing]] = {label: [] for label in targets}
        for _ in range(repeat):
            for label, (path, headers) in targets.items():
                timings[label].append(self.one(path, headers))
        return {label: self.summary(runs) for label, runs in timings.items()}

    def summary(self, timings: list[Timing]) -> dict:
        return {
            "whole_mb_s": statistics.median(
                self.size / (t.finished - t.started) / 1e6 for t in timings
            ),
            "bytes_mb_s": statistics.median(
                self.size / (t.finished - t.headers) / 1e6 for t in timings
            ),
            "headers_ms": statistics.median(
                (t.headers - t.started) * 1000 for t in timings
            ),
        }

    def concurrent(self, path: str, headers: dict[str, str], count: int) -> dict:
        with ThreadPoolExecutor(count) as pool:
            timings = list(pool.map(lambda _: self.one(path, headers), range(count)))
        first = min(t.started for t in timings)
        last = max(t.finished for t in timings)
        # The bytes phase of downloads running side by side: each one's transfer,
        # however late its headers came (Django answers the eight one after another).
        transfer = statistics.mean(t.finished - t.headers for t in timings)
        return {
            "whole_mb_s": count * self.size / (last - first) / 1e6,
            "bytes_mb_s": count * self.size / transfer / 1e6,
            "headers_ms": statistics.median(
                (t.headers - t.started) * 1000 for t in timings
            ),
        }


def median_round(rounds: list[dict]) -> dict:
    """The concurrent round whose byte throughput is the median one."""
    return sorted(rounds, key=lambda measured: measured["bytes_mb_s"])[len(rounds) // 2]


def report(result: BenchResult, measured: dict, repeat: int, megabytes: int) -> None:
    for mode, how in (
        ("sequential", f"median of {repeat} full downloads, taking turns"),
        (
            "concurrent",
            (
                f"{CONCURRENT} at once, total bytes / wall time, median of "
                f"{CONCURRENT_ROUNDS} rounds"
            ),
        ),
    ):
        offloaded = measured["offloaded"][mode]
        plain = measured["plain"][mode]
        result.add(
            f"{mode}: plain static file, {megabytes} MiB, whole download",
            round(plain["whole_mb_s"]),
            "MB/s",
            note=how,
        )
        result.add(
            f"{mode}: X-Accel-Redirect via the content view, {megabytes} MiB, "
            "whole download",
            round(offloaded["whole_mb_s"]),
            "MB/s",
            note=how,
        )
        bytes_ratio = offloaded["bytes_mb_s"] / plain["bytes_mb_s"]
        result.add(
            f"{mode}: offloaded / plain, the bytes (after the headers)",
            round(bytes_ratio, 3),
            target=f"≥ {RATIO_TARGET}",
            passed=bytes_ratio >= RATIO_TARGET,
            note=f"{offloaded['bytes_mb_s']:.0f} vs {plain['bytes_mb_s']:.0f} MB/s",
        )
        result.add(
            f"{mode}: offloaded / plain, whole download (with the view's check)",
            round(offloaded["whole_mb_s"] / plain["whole_mb_s"], 3),
            note=f"headers after {offloaded['headers_ms']:.1f} ms (offloaded: "
            f"Django's check and the internal redirect) vs "
            f"{plain['headers_ms']:.1f} ms (plain)",
        )
    result.details["measured"] = measured
    result.details["setup"] = {
        "nginx": "docs/nginx/sora.conf over TLS, Debian's nginx",
        "gunicorn": {"workers": 2, "threads": 8},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5, help="Sequential downloads.")
    parser.add_argument("--megabytes", type=int, default=50, help="File size, MiB.")
    parser.add_argument("--json", help="Write the result here (used by run_all).")
    args = parser.parse_args()
    return results_table.run_benchmark(
        "nginx", lambda: run(repeat=args.repeat, megabytes=args.megabytes), args.json
    )


if __name__ == "__main__":
    sys.exit(main())
