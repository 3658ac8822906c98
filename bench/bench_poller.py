"""Benchmark: one poller pass over 1,000 running videos, with one and two workers.

PostgreSQL; the emulator with a render time of an hour, so every video stays `queued`
and each poll is one `GET /v1/videos/{id}` that changes nothing but the schedule. The
1,000 videos are created at the emulator first (raw HTTP, JSON body), then inserted as
`queued` rows with those ids, all due now (`bench/tasks.py seed-poller`).

Passes, each over all 1,000 (made due again in between with one UPDATE):

1. one `poll_videos --once --batch-size 1000` (default concurrency, 4 threads);
2. two `poll_videos --once --batch-size 500` started together: each claims at most
   half, so together they take all 1,000 and each does one pass. (With 1000 each,
   the first to claim would lease them all and the second find nothing: no speed-up
   to measure.) The time to get through all 1,000 is from the earlier pass start to
   the later pass end; the speed-up compares it with pass 1;
3. one `poll_videos --once --batch-size 1000 --concurrency 8`.

Then, for the rows that explain the targets: a pass with `synchronous_commit=off` for
the poller's connection (PGOPTIONS), and a sweep of `--concurrency` 4/16/32 over 500
videos with every retrieve held 100 ms by the emulator (its `hang` fault), a stand-in
for a real upstream's latency, plus two workers under the same latency.

Times come from the command's own "pass: … N.NNs" log line (claim to last update,
without Python's and Django's start-up), whose timestamp also places the pass in
time; process wall times (start-up included) are reported beside them. Upstream calls
are the emulator's per-route and per-video counters, before and after each pass.
CPU: the pollers' user+system time (RUSAGE_CHILDREN, start-up included), the
emulator's (psutil), and the whole machine's busy time.

If a target is missed (or with --profile), one more pass runs under cProfile with
`--concurrency 1` (all the work in the main thread), and the time of the main
functions goes into the results' details.

Run alone: `.venv/bin/python bench/bench_poller.py [--videos 1000] [--profile]`.
"""

import argparse
import calendar
import pstats
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

import paths
import processes
import psutil
import results_table
import workspace
from results_table import BenchResult
from workspace import Workspace

EMAIL = "poller@bench.example"
PASS_TARGET_SECONDS = 10.0
SPEEDUP_TARGET = 1.8
DEFAULT_CONCURRENCY = "default (4)"

_PASS_LINE = re.compile(
    r"^(?P<when>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*pass: (?P<claimed>\d+) claimed"
    r".*?(?P<seconds>[\d.]+)s\s*$",
    re.MULTILINE,
)


UPSTREAM_LATENCY = 0.1
"""Seconds each retrieve is held (the emulator's `hang` fault) in the latency sweep."""
SWEEP_CONCURRENCY = (4, 16, 32)
SWEEP_VIDEOS = 500
"""Videos per sweep pass (half the set: a 100 ms pass at concurrency 4 takes ~14 s)."""


def run(
    *, videos: int = 1000, profile: bool = False, sweep: bool = True
) -> BenchResult:
    result = BenchResult("poller")
    result.details["background_cpu_percent"] = processes.wait_for_quiet_machine()
    everything = ["--batch-size", str(videos)]
    half = ["--batch-size", str(-(-videos // 2))]
    plans: list[tuple[str, list[list[str]], dict]] = [
        ("one", [everything], {}),
        ("two", [half, half], {}),
        ("one_c8", [[*everything, "--concurrency", "8"]], {}),
        ("one_async_commit", [everything], {"PGOPTIONS": "-c synchronous_commit=off"}),
    ]
    if sweep:
        some = min(SWEEP_VIDEOS, videos)
        plans += [
            (
                f"latency_c{n}",
                [["--batch-size", str(some), "--concurrency", str(n)]],
                {"latency": some},
            )
            for n in SWEEP_CONCURRENCY
        ]
        halves = ["--batch-size", str(-(-some // 2))]
        plans.append(("latency_two_c4", [halves, halves], {"latency": some}))
    passes: dict[str, dict] = {}
    with Workspace("poller") as ws:
        ws.create_database()
        emulator = ws.start_emulator(render_seconds=3600)
        ids = workspace.emulator_create_videos(emulator, videos)
        ids_file = ws.tmp / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        ws.task("seed-poller", email=EMAIL, ids_file=str(ids_file))
        for number, (name, workers, env) in enumerate(plans):
            if number:
                make_all_due(ws)
            env = dict(env)
            if held := env.pop("latency", 0):
                emulator.control.inject_fault(
                    "/v1/videos/*",
                    "hang",
                    method="GET",
                    seconds=UPSTREAM_LATENCY,
                    count=held,
                )
            passes[name] = measure_pass(ws, emulator, workers, ids, env)
        missed = report(result, passes, videos)
        if profile or missed:
            make_all_due(ws)
            result.details["profile"] = profile_pass(ws, videos)
    result.details["passes"] = passes
    return result


def measure_pass(
    ws: Workspace,
    emulator: workspace.Emulator,
    workers: list[list[str]],
    ids: list[str],
    env: dict[str, str],
) -> dict:
    """Start the workers together, wait for all; times, upstream calls, CPU."""
    control = emulator.control
    before = control.stats()
    emulator_process = psutil.Process(emulator.process.pid)
    emulator_cpu = sum(emulator_process.cpu_times()[:2])
    children_cpu = processes.children_cpu_seconds()
    busy = processes.system_cpu_busy()
    logs = [ws.tmp / f"poll-{time.monotonic_ns()}-{n}.log" for n in range(len(workers))]
    started_at = time.time()
    started = time.perf_counter()
    pollers = []
    for log, extra in zip(logs, workers, strict=True):
        with log.open("wb") as out:
            pollers.append(
                subprocess.Popen(
                    [paths.PYTHON, "manage.py", "poll_videos", "--once", *extra],
                    cwd=paths.PROJECT_DIR,
                    env=ws.env(**env),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    walls = []
    try:
        for process in pollers:
            process.wait(timeout=600)
            walls.append(time.perf_counter() - started)
    finally:
        for process in pollers:
            processes.stop_process(process)
    elapsed = time.perf_counter() - started
    busy = processes.system_cpu_busy() - busy
    poller_cpu = processes.children_cpu_seconds() - children_cpu
    emulator_cpu = sum(emulator_process.cpu_times()[:2]) - emulator_cpu
    after = control.stats()

    worker_passes = []
    for log, process in zip(logs, pollers, strict=True):
        text = log.read_text(errors="replace")
        if process.returncode != 0:
            raise RuntimeError(
                f"poll_videos exited {process.returncode}:\n{text[-3000:]}"
            )
        worker_passes.append(_parse_pass(text))

    retrieves = Counter(
        {
            video_id: count - before["retrieves"].get(video_id, 0)
            for video_id, count in after["retrieves"].items()
        }
    )
    per_video = [retrieves.get(video_id, 0) for video_id in ids]
    claimed = sum(p["claimed"] for p in worker_passes)
    requests = {
        route: after["requests"][route] - before["requests"].get(route, 0)
        for route in after["requests"]
    }
    ends = [p["end"] for p in worker_passes]
    starts = [p["end"] - p["seconds"] for p in worker_passes]
    return {
        "workers": [" ".join(["poll_videos", "--once", *extra]) for extra in workers],
        "environment": env,
        "claimed": [p["claimed"] for p in worker_passes],
        "pass_seconds": [p["seconds"] for p in worker_passes],
        "span_seconds": round(max(ends) - min(starts), 3),
        "pass_started_after_launch": [round(s - started_at, 3) for s in starts],
        "process_wall_seconds": [round(w, 3) for w in walls],
        "wall_seconds": round(elapsed, 3),
        "upstream_requests": {k: v for k, v in requests.items() if v},
        "upstream_requests_total": sum(requests.values()),
        "retrieves_per_video_min": min(per_video),
        "retrieves_per_video_max": max(per_video),
        "videos_retrieved_once": per_video.count(1),
        "exactly_once": per_video.count(1) == claimed == sum(requests.values()),
        "videos": claimed,
        "poller_cpu_seconds": round(poller_cpu, 2),
        "emulator_cpu_seconds": round(emulator_cpu, 2),
        "machine_busy_cpu_seconds": round(busy, 2),
        "machine_cpu_utilisation": round(
            busy / (elapsed * (psutil.cpu_count() or 1)), 3
        ),
        "state_after": poller_state(ws),
    }


VIDEO_TABLE = "videos_video"
RUNNING = ("pending", "queued", "in_progress")


def make_all_due(ws: Workspace) -> None:
    """Every running video due again now, as if its backoff had run out."""
    ws.database.sql(
        f"UPDATE {VIDEO_TABLE} SET next_poll_at = now() - interval '1 second'"
        " WHERE status = ANY(%s)",
        (list(RUNNING),),
    )


def poller_state(ws: Workspace) -> dict:
    """Statuses, poll attempts, and how many are due again already."""
    rows = ws.database.sql(
        f"SELECT status, poll_attempts, next_poll_at <= now(), count(*)"
        f" FROM {VIDEO_TABLE} GROUP BY 1, 2, 3"
    )
    return {
        "statuses": dict(_sum(rows, 0)),
        "poll_attempts": {str(k): v for k, v in _sum(rows, 1).items()},
        "due_again_already": sum(r[3] for r in rows if r[2]),
    }


def _sum(rows: list[tuple], column: int) -> Counter:
    total: Counter = Counter()
    for row in rows:
        total[row[column]] += row[3]
    return total


def _parse_pass(text: str) -> dict:
    match = _PASS_LINE.search(text)
    if match is None:
        raise RuntimeError(f"no 'pass:' line in the poller's output:\n{text[-2000:]}")
    when = datetime.strptime(match["when"], "%Y-%m-%d %H:%M:%S,%f")
    # Django sets TZ to TIME_ZONE (UTC here), so the log's local time is UTC.
    end = calendar.timegm(when.timetuple()) + when.microsecond / 1e6
    return {
        "claimed": int(match["claimed"]),
        "seconds": float(match["seconds"]),
        "end": end,
    }


def report(result: BenchResult, passes: dict, videos: int) -> bool:
    """Rows for the table; True if a target (judged on the first three) was missed."""
    one, two, c8 = passes["one"], passes["two"], passes["one_c8"]
    main = {"one": one, "two": two, "one_c8": c8}
    single = one["pass_seconds"][0]
    span = two["span_seconds"]
    speedup = single / span
    wall_speedup = one["wall_seconds"] / two["wall_seconds"]
    result.add(
        f"one worker, one pass over {videos:,} videos",
        single,
        "s",
        target=f"≤ {PASS_TARGET_SECONDS:g} s",
        passed=single <= PASS_TARGET_SECONDS,
        note=f"--batch-size {videos}, concurrency {DEFAULT_CONCURRENCY};"
        f" process {one['wall_seconds']:.2f} s with start-up",
    )
    result.add(
        f"two workers, all {videos:,} videos",
        span,
        "s",
        note=f"--batch-size {videos // 2} each, claimed {two['claimed']};"
        f" passes {two['pass_seconds']} s; processes {two['wall_seconds']:.2f} s",
    )
    result.add(
        "speed-up with two workers",
        round(speedup, 2),
        "×",
        target=f"≥ {SPEEDUP_TARGET}×",
        passed=speedup >= SPEEDUP_TARGET,
        note=f"{wall_speedup:.2f}× on process wall time",
    )
    result.add(
        f"one worker --concurrency 8, one pass over {videos:,}",
        c8["pass_seconds"][0],
        "s",
        note=f"process {c8['wall_seconds']:.2f} s",
    )
    exact = all(p["exactly_once"] and p["videos"] == videos for p in main.values())
    calls = [p["upstream_requests_total"] / p["videos"] for p in main.values()]
    result.add(
        "upstream calls per video per pass",
        f"{min(calls):g}"
        if min(calls) == max(calls)
        else f"{min(calls):g}–{max(calls):g}",
        target="exactly 1",
        passed=exact,
        note="every video retrieved exactly once in each of the 3 passes"
        if exact
        else "see details",
    )
    for name, label in (
        ("one", "one worker"),
        ("two", "two workers"),
        ("one_c8", "c8"),
    ):
        p = passes[name]
        result.add(
            f"CPU during the pass, {label}",
            f"pollers {p['poller_cpu_seconds']} s, emulator {p['emulator_cpu_seconds']} s",
            note=f"machine {100 * p['machine_cpu_utilisation']:.0f}% busy of"
            f" {psutil.cpu_count()} cores",
        )
    report_more(result, passes)
    return single > PASS_TARGET_SECONDS or speedup < SPEEDUP_TARGET or not exact


def report_more(result: BenchResult, passes: dict) -> None:
    """Rows that explain the targets: commit cost, and scaling under upstream latency."""
    async_commit = passes["one_async_commit"]
    result.add(
        "one worker, synchronous_commit=off",
        async_commit["pass_seconds"][0],
        "s",
        note="PGOPTIONS for the poller only: no wait for the WAL flush per UPDATE",
    )
    for n in SWEEP_CONCURRENCY:
        swept = passes.get(f"latency_c{n}")
        if swept:
            result.add(
                f"{UPSTREAM_LATENCY * 1000:.0f} ms upstream latency:"
                f" one worker --concurrency {n}",
                swept["pass_seconds"][0],
                "s",
                note=f"{swept['videos']} videos, "
                f"{swept['videos'] / swept['pass_seconds'][0]:.0f} videos/s",
            )
    two, one = passes.get("latency_two_c4"), passes.get("latency_c4")
    if two and one:
        result.add(
            f"{UPSTREAM_LATENCY * 1000:.0f} ms upstream latency: two workers",
            two["span_seconds"],
            "s",
            note=f"{two['videos']} videos, default concurrency each; speed-up"
            f" {one['pass_seconds'][0] / two['span_seconds']:.2f}× over one worker",
        )
    if not all(p["exactly_once"] for p in passes.values()):
        result.add(
            "upstream calls per video, extra passes",
            "≠ 1",
            target="exactly 1",
            passed=False,
        )


def profile_pass(ws: Workspace, videos: int) -> dict:
    """One pass under cProfile, inline (--concurrency 1); where the time goes."""
    output = ws.tmp / "poller.prof"
    args = [paths.PYTHON, "-m", "cProfile", "-o", str(output), "manage.py"]
    args += ["poll_videos", "--once", "--batch-size", str(videos), "--concurrency", "1"]
    completed = subprocess.run(
        args,
        cwd=paths.PROJECT_DIR,
        env=ws.env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        return {"error": completed.stdout[-2000:] + completed.stderr[-2000:]}
    stats = pstats.Stats(str(output))
    pass_match = _PASS_LINE.search(completed.stdout + completed.stderr)
    wanted = (
        ("claim_due_videos", "poller.py"),
        ("advance_video", "poller.py"),
        ("fetch_video", "sora.py"),
        ("record_upstream_state", "services.py"),
        ("close_old_connections", "db/__init__.py"),
        ("is_usable", "postgresql/base.py"),
        ("update", "db/models/query.py"),
        ("_parse", "openai/_response.py"),
        ("execute", "psycopg/cursor.py"),
        ("request", "openai/_base_client.py"),
        ("send", "httpx2/_client.py"),
    )
    # Stats sets `total_tt` and `stats` in its constructor; typeshed declares neither.
    total: float = stats.total_tt  # type: ignore[attr-defined]  # real, untyped
    # (file, line, function): (primitive calls, calls, self time, cumulative, callers)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, dict]]
    table = stats.stats  # type: ignore[attr-defined]  # likewise
    functions = {}
    for (filename, _, name), (_, calls, _, cumulative, _) in table.items():
        for want_name, want_file in wanted:
            if name == want_name and filename.endswith(want_file):
                functions[f"{want_file}:{name}"] = {
                    "calls": calls,
                    "cumulative_seconds": round(cumulative, 3),
                    "share": round(cumulative / total, 3),
                }
    top = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:15]
    return {
        "how": "python -m cProfile manage.py poll_videos --once --concurrency 1",
        "pass_seconds_under_profiler": float(pass_match["seconds"])
        if pass_match
        else None,
        "profiled_seconds": round(total, 3),
        "functions": functions,
        "top_self_time": [
            {
                "function": f"{_short(filename)}:{line}({name})",
                "calls": value[1],
                "self_seconds": round(value[2], 3),
            }
            for (filename, line, name), value in top
        ],
    }


def _short(filename: str) -> str:
    return filename.split("site-packages/")[-1].replace(
        str(paths.PROJECT_DIR) + "/", ""
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--videos", type=int, default=1000, help="Default 1000.")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Always add a cProfile pass (it runs anyway when a target is missed).",
    )
    parser.add_argument(
        "--no-sweep",
        action="store_true",
        help="Skip the 100 ms upstream latency sweep over --concurrency.",
    )
    parser.add_argument("--json", help="Write the result here (used by run_all).")
    args = parser.parse_args()
    return results_table.run_benchmark(
        "poller",
        lambda: run(videos=args.videos, profile=args.profile, sweep=not args.no_sweep),
        args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
