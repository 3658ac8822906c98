"""What a benchmark reports, and a benchmark's main around its measurement.

`BenchResult` holds the rows of the results table and the raw numbers behind them;
`markdown_table` and `machine_line` are what run_all writes to results/latest.md;
`run_benchmark` is each bench_*.py's main: check the services, measure, print the
table, save the JSON, exit status.
"""

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import psycopg
from databases import POSTGRES_URL, check_services, drop_stale_databases
from paths import PROJECT_DIR, PYTHON, RESULTS_DIR


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
            row = conn.execute("SHOW server_version").fetchone()
            postgres = row[0] if row is not None else "unknown"
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
    name: str,
    measure: Callable[[], BenchResult],
    json_path: str | None,
    *,
    services: bool = True,
) -> int:
    """A benchmark module's main: check services, measure, report; exit status.

    SIGTERM (run_all's timeout) becomes SystemExit, so the workspace's `finally`
    still stops the children and drops the database; a second signal is ignored.
    `services=False` (the media benchmark) skips the PostgreSQL/Redis check and the
    clean-up of databases left by killed runs.
    """

    signal.signal(signal.SIGTERM, _stop_once)
    signal.signal(signal.SIGINT, _stop_once)
    try:
        if services:
            check_services()
            drop_stale_databases()
        result = measure()
    except Exception as error:  # noqa: BLE001 - any failure is reported, then exit 1
        traceback.print_exc()
        result = BenchResult(name, error=f"{type(error).__name__}: {error}")
    return finish(result, json_path)
