"""Benchmark: archived bytes through nginx's X-Accel-Redirect vs nginx's plain static file.

Debian's nginx runs the shipped docs/nginx/sora.conf (through the tests' own runner,
videos/tests/nginx_server.py) in front of gunicorn (2 workers × 8 threads, DEBUG off,
PostgreSQL, MEDIA_ACCEL_REDIRECT_PREFIX set). One user owns one archived ~50 MB video.
Two ways to fetch the same file over the same TLS server:

- `/videos/<uuid>/content/`: Django checks the session and ownership, answers with
  X-Accel-Redirect, nginx sends the file (the product's path);
- `/plain-copy/<name>`: an extra location aliasing MEDIA_ROOT, nginx alone (the ceiling).

Each is measured as N sequential full downloads and as 8 concurrent ones (total bytes
over wall time). Target: offloaded ≥ 0.95 × plain in both.

Run alone: `.venv/bin/python bench/bench_nginx.py [--repeat N] [--megabytes M]`.
"""

import argparse
import http.client
import ssl
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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
            measured = {
                label: {
                    "sequential": fetch.sequential(path, headers, repeat),
                    "concurrent": fetch.concurrent(path, headers, CONCURRENT),
                }
                for label, (path, headers) in targets.items()
            }
    report(result, measured, repeat, megabytes)
    return result


class Fetcher:
    """Full downloads over TLS, each checked for its length; MB/s."""

    def __init__(self, port: int, certificate: Path, size: int) -> None:
        self.port = port
        self.size = size
        self.tls = ssl.create_default_context(cafile=str(certificate))

    def one(self, path: str, headers: dict[str, str]) -> None:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.tls, timeout=120
        )
        buffer = memoryview(bytearray(MIB))
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            total = 0
            while count := response.readinto(buffer):
                total += count
        finally:
            connection.close()
        if response.status != 200 or total != self.size:
            raise RuntimeError(f"{path}: status {response.status}, {total} bytes")

    def sequential(self, path: str, headers: dict[str, str], repeat: int) -> float:
        speeds = []
        for _ in range(repeat):
            started = time.perf_counter()
            self.one(path, headers)
            speeds.append(self.size / (time.perf_counter() - started) / 1e6)
        return statistics.median(speeds)

    def concurrent(self, path: str, headers: dict[str, str], count: int) -> float:
        started = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda _: self.one(path, headers), range(count)))
        return count * self.size / (time.perf_counter() - started) / 1e6


def report(result: BenchResult, measured: dict, repeat: int, megabytes: int) -> None:
    for mode, how in (
        ("sequential", f"median of {repeat} full downloads"),
        ("concurrent", f"{CONCURRENT} at once, total bytes / wall time"),
    ):
        offloaded = measured["offloaded"][mode]
        plain = measured["plain"][mode]
        result.add(
            f"{mode}: plain static file, {megabytes} MiB",
            round(plain),
            "MB/s",
            note=how,
        )
        result.add(
            f"{mode}: X-Accel-Redirect via the content view, {megabytes} MiB",
            round(offloaded),
            "MB/s",
            note=how,
        )
        ratio = offloaded / plain
        result.add(
            f"{mode}: offloaded / plain throughput",
            round(ratio, 3),
            target=f"≥ {RATIO_TARGET}",
            passed=ratio >= RATIO_TARGET,
        )
    result.details["measured_mb_per_second"] = measured
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
