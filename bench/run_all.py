"""Run every benchmark and write bench/results/latest.md and latest.json.

`make bench` (or `.venv/bin/python bench/run_all.py`). Each benchmark runs as its own
child process (`bench/bench_*.py --json FILE`), which starts and stops everything it
needs and drops its database even when it fails; a benchmark over its time limit gets
SIGTERM (it cleans up), then SIGKILL. A missed target is a result, not an error: the
exit status is 1 only if a benchmark could not run (or with --strict, if a target was
missed too).

Needs PostgreSQL and Redis on 127.0.0.1 (as `make test` does), and wrk for the pages
benchmark (`apt-get install wrk`; without it a slower Python load generator is used).
The media benchmark needs neither: `--only media` runs without them.
"""

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import databases
import paths
import results_table
from results_table import BenchResult, Row

BENCHMARKS = {
    # name: (module, time limit in seconds, extra arguments for --quick)
    "streaming": ("bench_streaming.py", 420, ["--quick", "--repeat", "1"]),
    "pages": ("bench_pages.py", 420, ["--no-experiment"]),
    "poller": ("bench_poller.py", 600, ["--no-sweep"]),
    "media": ("bench_media.py", 300, ["--repeat", "1", "--no-experiment"]),
    "estimates": ("bench_estimates.py", 420, ["--quick"]),
    "nginx": ("bench_nginx.py", 300, ["--repeat", "3"]),
    "slow_viewers": ("bench_slow_viewers.py", 420, ["--seconds", "12"]),
}
NO_SERVICES = {"media"}
"""Benchmarks that need neither PostgreSQL nor Redis."""


def run_one(name: str, *, quick: bool) -> tuple[BenchResult, float]:
    script, limit, quick_args = BENCHMARKS[name]
    with tempfile.TemporaryDirectory(prefix="sora-bench-run-") as tmp:
        json_path = Path(tmp) / f"{name}.json"
        args = [
            paths.PYTHON,
            str(paths.BENCH_DIR / script),
            "--json",
            str(json_path),
        ]
        if quick:
            args += quick_args
        print(f"== {name}: {' '.join(args[1:])}", flush=True)
        started = time.monotonic()
        process = subprocess.Popen(args, cwd=paths.PROJECT_DIR)
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            print(f"{name} is over its {limit}s limit; stopping it", file=sys.stderr)
            stop_benchmark(process)
        except KeyboardInterrupt:
            # Ctrl-C reached the benchmark too: give it time to clean up by itself.
            stop_benchmark(process, grace=60)
            raise
        except BaseException:
            stop_benchmark(process)
            raise
        elapsed = time.monotonic() - started
        try:
            return BenchResult.from_json(json.loads(json_path.read_text())), elapsed
        except (OSError, ValueError, KeyError):
            error = (
                f"exited with {process.returncode} after {elapsed:.0f}s"
                f" (limit {limit}s) without results"
            )
            return BenchResult(name, error=error), elapsed


def stop_benchmark(process: subprocess.Popen, *, grace: float = 0) -> None:
    """SIGTERM (it stops its children and drops its database), then SIGKILL.

    With `grace`, first wait that long for it to finish on its own.
    """
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_results(
    machine: dict, results: list[BenchResult], durations: dict[str, float]
) -> Path:
    paths.RESULTS_DIR.mkdir(exist_ok=True)
    rows: list[Row] = []
    for result in results:
        rows += result.rows
        if result.error:
            rows.append(Row(result.name, "could not run", result.error, passed=False))
    targets = [row for row in rows if row.passed is not None]
    met = sum(1 for row in targets if row.passed)
    missed = [f"{row.benchmark}: {row.metric}" for row in targets if not row.passed]
    busy = ", ".join(
        f"{r.name} {r.details.get('background_cpu_percent', '?')}%" for r in results
    )
    took = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items())
    lines = [
        "# Sora Studio benchmarks",
        "",
        results_table.machine_line(machine),
        "",
        results_table.markdown_table(rows),
        "",
        f"**{met} of {len(targets)} targets met.**"
        + (f" Missed: {'; '.join(missed)}." if missed else ""),
        "",
        (
            f"Other CPU load just before each benchmark (1 s sample): {busy}."
            " Numbers taken on a busy machine are low and noisy; rerun when it is quiet."
        ),
        f"Time taken: {took}.",
        "",
        (
            "How each number is measured, and what the experiments are: bench/README.md."
            " Raw numbers: latest.json."
        ),
        "",
    ]
    markdown = paths.RESULTS_DIR / "latest.md"
    markdown.write_text("\n".join(lines))
    (paths.RESULTS_DIR / "latest.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "durations_seconds": durations,
                "targets_met": met,
                "targets": len(targets),
                "benchmarks": [result.to_json() for result in results],
            },
            indent=2,
        )
    )
    return markdown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--only",
        help=f"Comma-separated subset of: {', '.join(BENCHMARKS)}.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="Fewer repetitions, no experiments (a smoke test, not numbers to keep).",
    )
    parser.add_argument(
        "--strict", action="store_true", help="Exit 1 when a target is missed too."
    )
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    if set(names) - NO_SERVICES:
        try:
            databases.check_services()
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        dropped = databases.drop_stale_databases()
        if dropped:
            print(f"dropped databases left by killed runs: {', '.join(dropped)}")
    machine = results_table.machine_info()
    print(results_table.machine_line(machine), flush=True)

    results, durations = [], {}
    for name in names:
        result, elapsed = run_one(name, quick=args.quick)
        results.append(result)
        durations[name] = round(elapsed, 1)
    markdown = write_results(machine, results, durations)
    print()
    print(markdown.read_text())
    print(f"Written: {markdown} and latest.json")
    errors = [result for result in results if result.error]
    missed = any(row.passed is False for result in results for row in result.rows)
    return 1 if errors or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
