"""Benchmark: relaying a 1 GiB video through `/videos/<uuid>/content/`.

The emulator serves a generated 1 GiB body (`--content-bytes 1G`); gunicorn (gthread,
2 workers × 8 threads, the product's own config file, DEBUG off, PostgreSQL) serves the
site; one user owns one completed, unarchived video pointing at an emulator video
(VIDEO_ARCHIVE=off, so the view proxies). After a real login it:

1. checks that `Range: bytes=100-199` through the site answers 206 with those bytes;
2. downloads the whole body straight from the emulator (the ceiling: same client, same
   upstream, no proxy);
3. downloads it through the site while sampling both gunicorn workers every 50 ms
   (RSS) and reading their CPU times before and after;
4. downloads the same 1 GiB as our archived copy (a second video whose file is in
   MEDIA_ROOT: FileResponse, which gunicorn sends with sendfile) for comparison;
5. repeats 3. with other relay set-ups through `bench/wsgi_relay_variant.py`, without
   editing the application: a 64 KiB relay chunk, and (experiments, for the proposals
   in the README) no re-chunking, and no re-chunking with 1 MiB socket reads.

The client reads into one reused 1 MiB buffer with http.client, so its own cost is the
kernel copy; it shares the 2 cores with the emulator and gunicorn.

Run alone: `.venv/bin/python bench/bench_streaming.py [--repeat N] [--quick]`.
"""

import argparse
import statistics
import sys

import http_client
import processes
import psutil
import results_table
import workspace
from results_table import BenchResult
from workspace import Workspace

EMAIL = "streamer@bench.example"
PASSWORD = "bench-streaming-password-4711"
CONTENT_BYTES = 1024**3
GIB = 1024**3
RATIO_TARGET = 0.5
RSS_TARGET_MB = 16.0

VARIANTS = {
    # name: (environment for bench.wsgi_relay_variant, what it is)
    "64k": ({"BENCH_RELAY_CHUNK_BYTES": "65536"}, "64 KiB relay chunk"),
    "no-rechunk": (
        {"BENCH_RELAY_CHUNK_BYTES": "0"},
        "experiment: iter_bytes() without a chunk size (64 KiB socket reads as they come)",
    ),
    "no-rechunk-1m-reads": (
        {"BENCH_RELAY_CHUNK_BYTES": "0", "BENCH_UPSTREAM_READ_BYTES": "1048576"},
        "experiment: no re-chunking, httpcore reading 1 MiB per socket read",
    ),
}


def run(
    *, repeat: int = 3, variant_repeat: int = 2, experiments: bool = True
) -> BenchResult:
    result = BenchResult("streaming")
    result.details["background_cpu_percent"] = processes.wait_for_quiet_machine()
    with Workspace("streaming") as ws:
        ws.create_database()
        emulator = ws.start_emulator(render_seconds=1, content_bytes="1G")
        upstream_id = workspace.emulator_create_videos(emulator, 1)[0]
        emulator.control.complete(upstream_id)
        seeded = ws.task(
            "seed-streaming",
            email=EMAIL,
            password=PASSWORD,
            openai_video_id=upstream_id,
            archived_bytes=CONTENT_BYTES,
        )
        site = ws.start_gunicorn(workers=2, threads=8, VIDEO_ARCHIVE="off")
        session = http_client.login(site.url, EMAIL, PASSWORD)
        cookie = {"Cookie": f"sessionid={session}"}
        path = f"/videos/{seeded['video_id']}/content/"

        check_range(site.url + path, cookie, result)
        warm_up(site.url + path, cookie)

        direct_url = f"{emulator.base_url}/videos/{upstream_id}/content"
        auth = {"Authorization": f"Bearer {workspace.API_KEY}"}
        directs = [download_checked(direct_url, auth) for _ in range(repeat)]
        runs = {
            "1m": [
                proxied_download(site, emulator, site.url + path, cookie)
                for _ in range(repeat)
            ]
        }
        # Our archived copy of the same bytes: FileResponse, no upstream involved.
        archived_url = f"{site.url}/videos/{seeded['archived_video_id']}/content/"
        warm_up(archived_url, cookie)
        runs["archived"] = [
            proxied_download(site, emulator, archived_url, cookie)
            for _ in range(repeat)
        ]
        processes.stop_process(site.process)

        names = list(VARIANTS) if experiments else ["64k"]
        for name in names:
            env, _ = VARIANTS[name]
            variant_site = ws.start_gunicorn(
                workers=2,
                threads=8,
                app="bench.wsgi_relay_variant",
                name=f"gunicorn-{name}",
                VIDEO_ARCHIVE="off",
                **env,
            )
            warm_up(variant_site.url + path, cookie)
            runs[name] = [
                proxied_download(
                    variant_site, emulator, variant_site.url + path, cookie
                )
                for _ in range(variant_repeat)
            ]
            processes.stop_process(variant_site.process)

    report(result, directs, runs)
    result.details["gunicorn"] = {
        "config": "sora_site/gunicorn.py (gthread)",
        "workers": 2,
        "threads": 8,
        "debug": False,
    }
    return result


def check_range(url: str, cookie: dict[str, str], result: BenchResult) -> None:
    reply = http_client.http_request(url, headers={**cookie, "Range": "bytes=100-199"})
    expected = bytes(range(100, 200))  # the generated body: byte i is i % 256
    ok = (
        reply.status == 206
        and reply.body == expected
        and reply.headers.get("content-range") == f"bytes 100-199/{CONTENT_BYTES}"
    )
    result.details["range_check"] = {
        "status": reply.status,
        "bytes": len(reply.body),
        "content_range": reply.headers.get("content-range"),
        "body_matches": reply.body == expected,
    }
    result.add(
        "Range: bytes=100-199 through the site",
        f"{reply.status}, {len(reply.body)} bytes",
        target="206, 100 bytes",
        passed=ok,
    )


def warm_up(url: str, cookie: dict[str, str]) -> None:
    """Small requests on fresh connections, so both workers have loaded the SDK."""
    for _ in range(12):
        http_client.http_request(url, headers={**cookie, "Range": "bytes=0-1023"})


def download_checked(url: str, headers: dict[str, str]) -> http_client.Download:
    got = http_client.download(url, headers)
    if got.status != 200 or got.bytes != CONTENT_BYTES:
        raise RuntimeError(f"download of {url}: status {got.status}, {got.bytes} bytes")
    if got.head != bytes(range(256)):
        raise RuntimeError(f"download of {url}: the body is not the generated pattern")
    return got


def proxied_download(
    site: workspace.Site, emulator: workspace.Emulator, url: str, cookie: dict[str, str]
) -> dict:
    """One full download through the site, with the workers' CPU and RSS."""
    workers = processes.ProcessSampler(site.worker_processes(), interval=0.05).start()
    upstream = processes.ProcessSampler(
        [psutil.Process(emulator.process.pid)], interval=1.0
    ).start()
    try:
        got = download_checked(url, cookie)
    finally:
        workers.stop()
        upstream.stop()
    user, system = workers.cpu_user_system()
    gib = got.bytes / GIB
    return {
        "etag": got.headers.get("etag", ""),
        "seconds": round(got.seconds, 3),
        "mb_per_second": round(got.mb_per_second, 1),
        "client_cpu_seconds": round(got.client_cpu_seconds, 3),
        "worker_cpu_seconds_per_gib": round((user + system) / gib, 3),
        "worker_user_seconds_per_gib": round(user / gib, 3),
        "worker_system_seconds_per_gib": round(system / gib, 3),
        "peak_rss_growth_mb": round(max(workers.peak_growth().values()) / 1e6, 2),
        "peak_rss_growth_by_worker_mb": {
            str(pid): round(growth / 1e6, 2)
            for pid, growth in workers.peak_growth().items()
        },
        "baseline_rss_mb": {
            str(pid): round(rss / 1e6, 1) for pid, rss in workers.baseline_rss.items()
        },
        "rss_samples": workers.samples,
        "emulator_cpu_seconds": round(upstream.cpu_seconds(), 3),
    }


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def report(
    result: BenchResult,
    directs: list[http_client.Download],
    runs: dict[str, list[dict]],
) -> None:
    direct = statistics.median(d.mb_per_second for d in directs)
    direct_how = f"median of {len(directs)}" if len(directs) > 1 else "1 run"
    main = runs["1m"]
    proxied = _median(main, "mb_per_second")
    ratio = proxied / direct
    rss_growth = max(run["peak_rss_growth_mb"] for run in main)
    how = f"median of {len(main)}" if len(main) > 1 else "1 run"
    result.add(
        "direct from the emulator, 1 GiB", round(direct), "MB/s", note=direct_how
    )
    result.add(
        "proxied through /videos/<uuid>/content/, 1 GiB",
        round(proxied),
        "MB/s",
        note=f"1 MiB relay chunk as shipped, {how}",
    )
    result.add(
        "proxied / direct throughput",
        round(ratio, 3),
        target=f"≥ {RATIO_TARGET}",
        passed=ratio >= RATIO_TARGET,
    )
    result.add(
        "gunicorn worker CPU per GiB relayed",
        _median(main, "worker_cpu_seconds_per_gib"),
        "CPU s/GiB",
        note=f"user {_median(main, 'worker_user_seconds_per_gib'):.2f}"
        f" + system {_median(main, 'worker_system_seconds_per_gib'):.2f}",
    )
    result.add(
        "gunicorn worker peak RSS growth during the download",
        rss_growth,
        "MB",
        target=f"≤ {RSS_TARGET_MB:g} MB",
        passed=rss_growth <= RSS_TARGET_MB,
        note=f"worst of {len(main)} run(s), sampled every 50 ms",
    )
    archived = runs.get("archived")
    if archived:
        mbps = _median(archived, "mb_per_second")
        served = (
            "FileResponse" if archived[0]["etag"] else "proxied: no archive serving"
        )
        result.add(
            "archived copy through the site, 1 GiB",
            round(mbps),
            "MB/s",
            note=f"{served}; ratio {mbps / direct:.2f};"
            f" {_median(archived, 'worker_cpu_seconds_per_gib'):.2f} CPU s/GiB;"
            f" RSS +{max(run['peak_rss_growth_mb'] for run in archived):.1f} MB",
        )
    for name, (_, label) in VARIANTS.items():
        if name not in runs:
            continue
        variant = runs[name]
        mbps = _median(variant, "mb_per_second")
        result.add(
            f"proxied, {label}",
            round(mbps),
            "MB/s",
            note=f"ratio {mbps / direct:.2f};"
            f" {_median(variant, 'worker_cpu_seconds_per_gib'):.2f} CPU s/GiB;"
            f" RSS +{max(run['peak_rss_growth_mb'] for run in variant):.1f} MB",
        )
    result.details["direct"] = [
        {
            "seconds": round(d.seconds, 3),
            "mb_per_second": round(d.mb_per_second, 1),
            "client_cpu_seconds": round(d.client_cpu_seconds, 3),
        }
        for d in directs
    ]
    result.details["proxied"] = runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Direct and proxied downloads (default 3).",
    )
    parser.add_argument(
        "--variant-repeat",
        type=int,
        default=2,
        help="Downloads per relay variant (default 2).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="Only the 64 KiB variant, not the experiments.",
    )
    parser.add_argument("--json", help="Write the result here (used by run_all).")
    args = parser.parse_args()
    return results_table.run_benchmark(
        "streaming",
        lambda: run(
            repeat=args.repeat,
            variant_repeat=args.variant_repeat,
            experiments=not args.quick,
        ),
        args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
