"""`make mutants`: mutation testing of the modules that guard money and data, on a copy.

mutmut rewrites the files it mutates, so it never runs in the working tree: the committed
HEAD (or, with MUTANTS_FROM=worktree, the working tree as it is, untracked files too) is
copied into a temporary folder, mutmut runs there under `nice -n 19` with this venv's
Python, and the report at the end gives the score per module and overall, and every
mutant the tests let live (file:line, the mutation). Exits 1 when fewer than MUTANTS_MIN
percent (default 90) of the mutants are killed, 2 when mutmut itself could not run.

The tests run on SQLite in the copy: DATABASE_URL and REDIS_URL are dropped, since
mutmut runs two mutants at once and both would share (and flush) one database.

Settings, from the environment (the Makefile passes them on):
  MUTANTS_FROM     HEAD (default) or worktree.
  MUTANTS_MODULES  Space-separated files to mutate instead of mutmut.cfg's list.
  MUTANTS_JOBS     Mutants tested at once (default 2: this machine's cores, niced).
  MUTANTS_MIN      The kill rate, in percent, below which the run fails (default 90).
  MUTANTS_KEEP     1 keeps the copy (for `mutmut show NAME` / `mutmut browse` in it).
  MUTANTS_RESUME   The folder of a kept or interrupted run: mutmut carries on there
                   (the verdicts it has stand; the copy is not made again) and reports.

See docs/mutation-testing.md for how to read the report.
"""

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from report import print_report

REPOSITORY = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("mutmut.cfg")
MUTMUT = Path(sys.executable).with_name("mutmut")
SOURCE_PATH = "videos"
"""Where the mutated modules live; mutmut copies it whole into its `mutants/` folder."""
DROPPED_ENVIRONMENT = ("DATABASE_URL", "REDIS_URL", "MUTANT_UNDER_TEST")
PROGRESS_EVERY = 60.0
"""Seconds between the progress lines printed while mutmut works."""
_STATUS_LINE = re.compile(r"(\d+/\d+\s+🎉.*)$")


def main() -> int:
    """Copy, run mutmut, report; the exit status is the report's verdict."""
    source = os.environ.get("MUTANTS_FROM", "HEAD")
    jobs = int(os.environ.get("MUTANTS_JOBS", "2"))
    minimum = float(os.environ.get("MUTANTS_MIN", "90"))
    keep = os.environ.get("MUTANTS_KEEP", "") not in ("", "0")
    modules = os.environ.get("MUTANTS_MODULES", "").split()
    resume = os.environ.get("MUTANTS_RESUME", "")

    if resume:
        workdir, keep = Path(resume).resolve(), True
        if not (workdir / "setup.cfg").is_file():
            raise SystemExit(
                f"MUTANTS_RESUME: {workdir} holds no run of `make mutants`"
            )
        print(f"mutants: carrying on in {workdir}, {jobs} at once")
    else:
        workdir = Path(tempfile.mkdtemp(prefix="sora-mutants-"))
    try:
        if not resume:
            copy_repository(source, workdir)
            write_mutmut_config(workdir, modules)
            print(
                f"mutants: {source} copied to {workdir}; mutmut runs there, "
                f"{jobs} at once"
            )
        started = time.monotonic()
        status = run_mutmut(workdir, jobs)
        minutes = (time.monotonic() - started) / 60
        print(f"mutants: mutmut finished in {minutes:.1f} min (exit status {status})")
        if status != 0:
            explain_failure(workdir)
            keep = True
            return 2
        return print_report(workdir, minimum=minimum)
    finally:
        if keep:
            print(f"mutants: the copy is kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def explain_failure(workdir: Path) -> None:
    """Where to look when mutmut stopped before testing mutants.

    Its first runs (every selected test, unmutated) happen in forked processes whose
    pytest output mutmut does not keep: a failing test there shows only as "failed to
    collect stats" or "Failed to run clean test". The same tests, run by hand in the
    copy, show which one fails and why.
    """
    config = configparser.ConfigParser()
    config.read(workdir / "setup.cfg")
    section = config["mutmut"]
    selection = _lines(section.get("pytest_add_cli_args_test_selection", ""))
    options = _lines(section.get("pytest_add_cli_args", ""))
    command = [sys.executable, "-m", "pytest", "-x", *options, *selection]
    print(f"error: mutmut failed; its output is in {workdir / 'mutmut.log'}")
    print("       if a test failed before any mutant was tried, see which one with:")
    print(
        f"       cd {workdir} && env -u DATABASE_URL -u REDIS_URL {shlex.join(command)}"
    )


def _lines(value: str) -> list[str]:
    """A mutmut list setting: one value a line (an argument may hold spaces)."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def copy_repository(source: str, target: Path) -> None:
    """The committed HEAD (git archive), or the working tree's files as they are now."""
    if source == "HEAD":
        archive = subprocess.run(
            ["git", "archive", "--format=tar", "HEAD"],
            cwd=REPOSITORY,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return
    if source != "worktree":
        raise SystemExit(f"MUTANTS_FROM must be HEAD or worktree, not {source!r}")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        origin = REPOSITORY / name
        if origin.is_file():  # a tracked file deleted in the working tree is skipped
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target / name)


def write_mutmut_config(workdir: Path, modules: list[str]) -> None:
    """mutmut.cfg as the copy's setup.cfg, with the paths only the copy can tell."""
    config = configparser.ConfigParser()
    config.read(CONFIG)
    section = config["mutmut"]
    section["source_paths"] = SOURCE_PATH
    others = sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in workdir.iterdir()
        if entry.name not in (SOURCE_PATH, "setup.cfg")
    )
    section["also_copy"] = "\n" + "\n".join(others)
    if modules:
        section["only_mutate"] = "\n" + "\n".join(modules)
    with open(workdir / "setup.cfg", "w") as handle:
        config.write(handle)


def run_mutmut(workdir: Path, jobs: int) -> int:
    """`nice -n 19 mutmut run`, its output in mutmut.log, a progress line a minute."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in DROPPED_ENVIRONMENT
    }
    log_path = workdir / "mutmut.log"
    command = ["nice", "-n", "19", str(MUTMUT), "run", "--max-children", str(jobs)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        finished = threading.Event()
        reporter = threading.Thread(
            target=_print_progress, args=(log_path, finished), daemon=True
        )
        reporter.start()
        try:
            status = process.wait()
        except KeyboardInterrupt:
            process.terminate()
            status = process.wait()
        finished.set()
        reporter.join()
    return status


def _print_progress(log_path: Path, finished: threading.Event) -> None:
    """Every minute, mutmut's latest status line (done/total and the verdicts so far)."""
    started = time.monotonic()
    while not finished.wait(PROGRESS_EVERY):
        text = log_path.read_bytes()[-4000:].decode(errors="replace")
        latest = text.replace("\n", "\r").split("\r")
        lines = [line.strip() for line in latest if line.strip()]
        if not lines:
            continue
        match = _STATUS_LINE.search(lines[-1])
        shown = match.group(1) if match else lines[-1][:120]
        minutes = (time.monotonic() - started) / 60
        print(f"mutants: {minutes:5.1f} min  {shown}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
