"""Child processes and CPU: free ports, waiting for and stopping children, sampling.

What the benchmarks start are real processes (gunicorn, the emulator, pollers,
nginx, moto); this is how they are waited for, stopped, and measured from outside
(RSS and CPU time with psutil, so measuring takes none of the measured process's
time), and how a benchmark waits for the shared 2 cores to be quiet first.
"""

import contextlib
import os
import resource
import socket
import subprocess
import threading
import time
from typing import Any, Self

import psutil


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, *, timeout: float = 60) -> None:
    """Until something accepts on the port; RuntimeError if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{_command_head(process)} exited with {process.returncode}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f}s")


def _command_head(process: subprocess.Popen) -> str:
    """The first three words of a child's command line, to name it in an error."""
    command = process.args
    if isinstance(command, list | tuple):
        return repr(command[:3])
    return repr(command)


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


def _own_tree() -> dict[int, psutil.Process]:
    """This process and every descendant alive now, by pid."""
    me = psutil.Process()
    return {process.pid: process for process in [me, *me.children(recursive=True)]}


def _cpu_of(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return times.user + times.system
    return 0.0


def role_of(process: psutil.Process) -> str:
    """What one of our processes is, by its command line: where its CPU is booked."""
    if process.pid == os.getpid():
        return "this process"
    with contextlib.suppress(psutil.Error):
        command = " ".join(process.cmdline())
        for role in (
            "gunicorn",
            "moto_server",
            "nginx",
            "sora_emulator",
            "poll_videos",
        ):
            if role in command:
                return role
        return process.name()
    return "gone"


class CpuSplit:
    """The machine's busy CPU over a stretch of time: ours, and everyone else's.

    Ours = this process, its descendants alive at `start()` (gunicorn workers, nginx,
    moto) and the children it waited for meanwhile (wrk). Whatever else the machine
    did in that time was others' work on the same cores (a test suite next door),
    which the numbers measured then must be read with.
    """

    def start(self) -> Self:
        self._started = time.monotonic()
        self._busy = system_cpu_busy()
        self._waited = children_cpu_seconds()
        self._tree = _own_tree()
        self._tree_cpu = {pid: _cpu_of(p) for pid, p in self._tree.items()}
        return self

    def stop(self) -> dict[str, Any]:
        """Percent of all cores: `machine` busy, of it `ours` and `others`.

        `ours_by_role`: our share by `role_of` (`waited children` is e.g. wrk).
        """
        elapsed = time.monotonic() - self._started
        capacity = elapsed * (os.cpu_count() or 1) / 100
        busy = system_cpu_busy() - self._busy
        by_role = {"waited children": children_cpu_seconds() - self._waited}
        for pid, process in self._tree.items():
            if process.is_running():
                used = max(_cpu_of(process) - self._tree_cpu[pid], 0.0)
                role = role_of(process)
                by_role[role] = by_role.get(role, 0.0) + used
        ours = sum(by_role.values())
        return {
            "machine": round(busy / capacity, 1),
            "ours": round(min(ours, busy) / capacity, 1),
            "others": round(max(busy - ours, 0.0) / capacity, 1),
            "ours_by_role": {
                role: round(used / capacity, 1)
                for role, used in sorted(by_role.items(), key=lambda item: -item[1])
            },
        }
