"""The services every benchmark but media needs: PostgreSQL (a database per run) and Redis.

Each benchmark creates its own database, `sora_bench_<label>_<pid>`, and drops it on
the way out; a run killed outright (SIGKILL) leaves one behind, which the next run
drops because its pid is gone. psycopg only: no Django in the benchmark process.
"""

import os
import re
import socket
from urllib.parse import urlsplit

import psutil
import psycopg

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
).rstrip("/")
"""Server the benchmarks create their databases on (trust auth, a superuser)."""
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
"""The shared cache DEBUG-off settings insist on; keys get a per-run prefix."""
DATABASE_PREFIX = "sora_bench_"


def admin_connection() -> psycopg.Connection:
    """An autocommit connection to the server's `postgres` database (CREATE/DROP)."""
    return psycopg.connect(
        f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=5
    )


def drop_stale_databases() -> list[str]:
    """Drop bench databases left by runs that were killed (their pid is gone)."""
    dropped = []
    with admin_connection() as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (DATABASE_PREFIX + "%",),
            )
        ]
        for name in names:
            match = re.search(r"_(\d+)$", name)
            if match and not psutil.pid_exists(int(match.group(1))):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                dropped.append(name)
    return dropped


class Database:
    """A PostgreSQL database of this run, named after the benchmark and our pid."""

    def __init__(self, label: str) -> None:
        self.name = f"{DATABASE_PREFIX}{label}_{os.getpid()}"
        self.url = f"{POSTGRES_URL}/{self.name}"

    def create(self) -> None:
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        """Run one statement (autocommit); its rows, if it returns any.

        For quick bookkeeping between measurements, without a Django start-up.
        """
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


def check_services() -> None:
    """Fail early, with a hint, when PostgreSQL or Redis is not there."""
    try:
        admin_connection().close()
    except psycopg.Error as error:
        raise RuntimeError(
            f"PostgreSQL at {POSTGRES_URL} is not answering ({error}); start it or set"
            " BENCH_POSTGRES_URL."
        ) from None
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), 3) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(64).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as error:
        raise RuntimeError(
            f"Redis at {REDIS_URL} is not answering ({error}); DEBUG-off settings need"
            " it (start redis-server, or set BENCH_REDIS_URL)."
        ) from None
