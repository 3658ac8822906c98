"""Benchmark: what the archive step costs per video to read our MP4 and make its pictures.

`videos/media.py` reads the archived MP4 itself (`probe`) and makes the poster and the
scrub spritesheet from it (`make_poster`, `make_spritesheet`). This measures the three
together, per video, on test clips `media.encode_clip` writes into a temporary
directory (FFmpeg's moving test pattern and a tone, H.264/AAC, keyframes every 2 s):
1920×1080 at 5, 20 and 60 s, and 720×1280 (portrait) at 8 s.

Each measurement runs in a fresh child process (this script with `--child CLIP`), so
that memory growth is not hidden by what an earlier run left allocated. The child
imports `videos.media` (PyAV, Pillow) and opens nothing, then waits; this process
starts sampling the child's RSS every 10 ms (`processes.ProcessSampler`, from outside,
so the sampling takes none of the child's time) and tells it to go. The child times
`probe`, `make_poster` and `make_spritesheet` one after the other (perf_counter) and
reports its own `ru_maxrss` too, which catches a peak shorter than 10 ms. Peak RSS
growth = the highest RSS seen during the three calls minus the RSS just before them.
The time is the median of `--repeat` children (3), the memory the worst of them.
Beside it: the child's CPU time, and the CPU other processes used meanwhile (the
machine's busy time minus the child's, so our sampler counts as "other").

Each child then runs the three calls a second time on the same clip, as a poller that
archives one video after another would: "second video in the same process" (time, RSS
growth over the RSS the first left behind) is reported beside, without a target.

Experiment (skip with --no-experiment): the 20 s 1080p clip decoded with frame
threads (`thread_type = "AUTO"`) and 1, 9 or 16 threads, as `media` once did (FFmpeg's
automatic choice is cores + 1; 9 is what an 8-core host gets). Each decoder thread
holds its own frames, and every tile's seek restarts the decoder, so `media` now uses
one thread: this shows why. The child wraps `media._video_stream`; nothing in the
application is edited.

Targets (the issue): 20 s 1080p clip, poster and spritesheet in ≤ 2 s on this machine
(judged here on probe + poster + spritesheet, the archive step's whole cost);
≤ 64 MB (10^6 bytes, as the streaming benchmark counts) of RSS growth whatever the
clip's length, so for every clip, the 60 s one included.

Needs neither PostgreSQL nor Redis (and does not check for them).

Run alone: `.venv/bin/python bench/bench_media.py [--repeat 3] [--no-experiment]`.
"""

import argparse
import contextlib
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import paths
import processes
import psutil
import results_table
from processes import ProcessSampler
from results_table import BenchResult
from workspace import Workspace

TIME_TARGET_SECONDS = 2.0
TIME_TARGET_CLIP = "1080p-20s"
RSS_TARGET_MB = 64.0
SAMPLE_INTERVAL = 0.01
CHILD_TIMEOUT = 120
"""Seconds a child may take to start or to answer one run."""

CLIPS = {
    # key: (label, width, height, seconds)
    "1080p-5s": ("1920×1080, 5 s", 1920, 1080, 5),
    "1080p-20s": ("1920×1080, 20 s", 1920, 1080, 20),
    "1080p-60s": ("1920×1080, 60 s", 1920, 1080, 60),
    "portrait-8s": ("720×1280, 8 s", 720, 1280, 8),
}
EXPERIMENT_CLIP = "1080p-20s"
EXPERIMENT_THREADS = (1, 9, 16)


def run(*, repeat: int = 3, experiments: bool = True) -> BenchResult:
    result = BenchResult("media")
    with Workspace("media") as ws:
        clips = encode_clips(ws.tmp)
        result.details["clips"] = {
            key: {k: v for k, v in clip.items() if k != "path"}
            for key, clip in clips.items()
        }
        # After encoding (our own load), before measuring.
        result.details["background_cpu_percent"] = processes.wait_for_quiet_machine()
        measured = {
            key: [measure_in_child(ws, clip["path"]) for _ in range(repeat)]
            for key, clip in clips.items()
        }
        threads: dict[int, list[dict]] = {}
        if experiments:
            path = clips[EXPERIMENT_CLIP]["path"]
            for count in EXPERIMENT_THREADS:
                threads[count] = [
                    measure_in_child(ws, path, threads=count) for _ in range(repeat)
                ]
    report(result, clips, measured, threads)
    result.details["runs"] = measured
    result.details["thread_experiment"] = {str(k): v for k, v in threads.items()}
    return result


def encode_clips(directory: Path) -> dict[str, dict]:
    """The test clips, written by the product's own `encode_clip`, in a child process."""
    code = (
        "import json, sys, time; from pathlib import Path; from videos import media\n"
        "for key, (path, width, height, seconds) in json.loads(sys.argv[1]).items():\n"
        "    started = time.perf_counter()\n"
        "    media.encode_clip(Path(path), width=width, height=height, seconds=seconds)\n"
        "    print(json.dumps({key: round(time.perf_counter() - started, 2)}))\n"
    )
    wanted = {
        key: (str(directory / f"{key}.mp4"), width, height, seconds)
        for key, (_, width, height, seconds) in CLIPS.items()
    }
    completed = subprocess.run(
        [paths.PYTHON, "-c", code, json.dumps(wanted)],
        cwd=paths.PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"encode_clip failed:\n{completed.stderr[-3000:]}")
    encode_seconds: dict[str, float] = {}
    for line in completed.stdout.splitlines():
        encode_seconds.update(json.loads(line))
    clips = {}
    for key, (label, width, height, seconds) in CLIPS.items():
        path = Path(wanted[key][0])
        clips[key] = {
            "label": label,
            "width": width,
            "height": height,
            "seconds": seconds,
            "path": str(path),
            "bytes": path.stat().st_size,
            "encode_seconds": encode_seconds.get(key),
        }
    return clips


# --- the parent's side of one measurement ----------------------------------------------


def measure_in_child(ws: Workspace, path: str, *, threads: int = 0) -> dict:
    """A fresh child: one run (cold) and a second in the same process (warm)."""
    args = [paths.PYTHON, str(Path(__file__).resolve()), "--child", path]
    if threads:
        args += ["--threads", str(threads)]
    log = ws.tmp / f"child-{time.monotonic_ns()}.log"
    with log.open("wb") as errors:
        child = subprocess.Popen(
            args,
            cwd=paths.PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        requests, answers = child.stdin, child.stdout
        if requests is None or answers is None:  # both are PIPEs above
            raise RuntimeError("the media child has no stdin or stdout pipe")
        ready = _answer(child, answers, log)
        process = psutil.Process(child.pid)
        runs = {}
        for name in ("cold", "warm"):
            sampler = ProcessSampler([process], interval=SAMPLE_INTERVAL).start()
            busy = processes.system_cpu_busy()
            requests.write("go\n")
            requests.flush()
            answer = _answer(child, answers, log)
            busy = processes.system_cpu_busy() - busy
            sampler.stop()
            baseline = sampler.baseline_rss[child.pid]
            peak = sampler.peak_rss[child.pid]
            if answer["maxrss_after"] > answer["maxrss_before"]:
                # The high-water mark rose during the run: a peak the sampler may
                # have missed between two samples.
                peak = max(peak, answer["maxrss_after"])
            answer.update(
                baseline_rss_mb=round(baseline / 1e6, 2),
                peak_rss_mb=round(peak / 1e6, 2),
                peak_rss_growth_mb=round((peak - baseline) / 1e6, 2),
                sampled_peak_growth_mb=round(
                    (sampler.peak_rss[child.pid] - baseline) / 1e6, 2
                ),
                samples=sampler.samples,
                others_cpu_seconds=round(max(busy - answer["cpu_seconds"], 0.0), 3),
            )
            runs[name] = answer
        requests.close()
        child.wait(timeout=CHILD_TIMEOUT)
    finally:
        processes.stop_process(child, grace=5)
    return {"threads": threads or "auto", "ready": ready, **runs}


def _answer(child: subprocess.Popen, answers: IO[str], log: Path) -> dict:
    """The child's next JSON line on `answers` (its stdout); RuntimeError if it exited."""
    line = answers.readline()
    if not line:
        child.wait(timeout=CHILD_TIMEOUT)
        raise RuntimeError(
            f"media child exited with {child.returncode}:\n"
            + log.read_text(errors="replace")[-3000:]
        )
    return json.loads(line)


# --- the child ---------------------------------------------------------------------------


def child_main(path: str, threads: int, stdin: IO[str], stdout: IO[str]) -> int:
    """Import media, report ready, then one run of the three calls per "go" line."""
    sys.path.insert(0, str(paths.PROJECT_DIR))
    from videos import media

    if threads:
        video_stream = media._video_stream

        def with_thread_count(container: Any) -> Any:
            stream = video_stream(container)
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = threads
            return stream

        media._video_stream = with_thread_count

    gc.collect()
    this = psutil.Process()
    _say(stdout, {"rss_mb": round(this.memory_info().rss / 1e6, 2), **_rss_split()})
    while stdin.readline():
        _say(stdout, _one_run(media, path, this))
    return 0


def _one_run(media: Any, path: str, this: psutil.Process) -> dict:
    before = resource.getrusage(resource.RUSAGE_SELF)
    split_before = _rss_split()
    started = time.perf_counter()
    facts = media.probe(path)
    probed = time.perf_counter()
    poster = media.make_poster(path)
    postered = time.perf_counter()
    sheet = media.make_spritesheet(path)
    ended = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    split_after = _rss_split()
    return {
        "probe_seconds": round(probed - started, 4),
        "poster_seconds": round(postered - probed, 4),
        "spritesheet_seconds": round(ended - postered, 4),
        "total_seconds": round(ended - started, 4),
        "cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 3
        ),
        # Linux: kilobytes.
        "maxrss_before": before.ru_maxrss * 1024,
        "maxrss_after": after.ru_maxrss * 1024,
        "rss_after_mb": round(this.memory_info().rss / 1e6, 2),
        "rss_anon_growth_mb": split_after["rss_anon_mb"] - split_before["rss_anon_mb"],
        "rss_file_growth_mb": split_after["rss_file_mb"] - split_before["rss_file_mb"],
        "duration": facts.duration,
        "size": f"{facts.width}x{facts.height}",
        "poster_bytes": len(poster),
        "tiles": sheet.count,
        "grid": f"{sheet.columns}x{sheet.rows}",
        "tile_size": f"{sheet.tile_width}x{sheet.tile_height}",
        "spritesheet_bytes": len(sheet.image),
    }


def _rss_split() -> dict[str, float]:
    """Anonymous (heap, frames) and file-backed (shared-library code) resident MB."""
    split = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile"):
                split[f"{key[3:].lower()}_mb"] = int(value.split()[0]) * 1024 / 1e6
    return {
        "rss_anon_mb": round(split.get("anon_mb", 0.0), 2),
        "rss_file_mb": round(split.get("file_mb", 0.0), 2),
    }


def _say(stdout: IO[str], data: dict) -> None:
    stdout.write(json.dumps(data) + "\n")
    stdout.flush()


# --- the table ---------------------------------------------------------------------------


def _median(runs: list[dict], key: str, phase: str = "cold") -> float:
    return statistics.median(run[phase][key] for run in runs)


def _processes(runs: list[dict]) -> str:
    return f"{len(runs)} fresh process{'es' if len(runs) > 1 else ''}"


def _others(runs: list[dict]) -> str:
    """How busy the rest of the machine was during the timed runs, in cores."""
    cores = statistics.median(
        run["cold"]["others_cpu_seconds"] / run["cold"]["total_seconds"] for run in runs
    )
    return f"other processes used {cores:.1f} of {psutil.cpu_count()} cores meanwhile"


def report(
    result: BenchResult,
    clips: dict[str, dict],
    measured: dict[str, list[dict]],
    threads: dict[int, list[dict]],
) -> None:
    for key, runs in measured.items():
        clip = clips[key]
        label = clip["label"]
        total = _median(runs, "total_seconds")
        probe = _median(runs, "probe_seconds")
        poster = _median(runs, "poster_seconds")
        sheet = _median(runs, "spritesheet_seconds")
        cold = runs[0]["cold"]
        timed = key == TIME_TARGET_CLIP
        result.add(
            f"{label}: probe + poster + spritesheet",
            total,
            "s",
            target=f"≤ {TIME_TARGET_SECONDS:g} s" if timed else "",
            passed=total <= TIME_TARGET_SECONDS if timed else None,
            note=f"median of {_processes(runs)}: probe {probe:.2f} s,"
            f" poster {poster:.2f} s, spritesheet {sheet:.2f} s"
            f" ({cold['tiles']} tiles, {cold['grid']} of {cold['tile_size']});"
            f" poster + spritesheet {poster + sheet:.2f} s;"
            f" CPU {_median(runs, 'cpu_seconds'):.2f} s;"
            f" {clip['bytes'] / 1e6:.0f} MB file; {_others(runs)}",
        )
        growth = max(run["cold"]["peak_rss_growth_mb"] for run in runs)
        warm_growth = max(run["warm"]["peak_rss_growth_mb"] for run in runs)
        result.add(
            f"{label}: peak RSS growth",
            growth,
            "MB",
            target=f"≤ {RSS_TARGET_MB:g} MB",
            passed=growth <= RSS_TARGET_MB,
            note=f"worst of {_processes(runs)}, sampled every {SAMPLE_INTERVAL * 1000:.0f} ms"
            f" and ru_maxrss; of it shared-library code"
            f" {max(run['cold']['rss_file_growth_mb'] for run in runs):.0f} MB;"
            f" second video in the same process"
            f" {_median(runs, 'total_seconds', 'warm'):.2f} s, +{warm_growth:.1f} MB",
        )
    for count, runs in threads.items():
        growth = max(run["cold"]["peak_rss_growth_mb"] for run in runs)
        result.add(
            f"experiment: {clips[EXPERIMENT_CLIP]['label']},"
            f" {count} decoder thread{'s' if count > 1 else ''}: peak RSS growth",
            growth,
            "MB",
            note=f"probe + poster + spritesheet {_median(runs, 'total_seconds'):.2f} s,"
            f" CPU {_median(runs, 'cpu_seconds'):.2f} s;"
            f" FFmpeg's automatic choice is cores + 1"
            f" ({min((psutil.cpu_count() or 1) + 1, 16)} here)",
        )


# --- entry points ------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="Fresh processes per clip (default 3)."
    )
    parser.add_argument(
        "--no-experiment",
        action="store_true",
        help="Skip the decoder thread-count experiment.",
    )
    parser.add_argument("--json", help="Write the result here (used by run_all).")
    parser.add_argument("--child", metavar="CLIP", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(args.child, args.threads, sys.stdin, sys.stdout)

    # No PostgreSQL or Redis needed here: no check for them.
    return results_table.run_benchmark(
        "media",
        lambda: run(repeat=args.repeat, experiments=not args.no_experiment),
        args.json,
        services=False,
    )


if __name__ == "__main__":
    sys.exit(main())
