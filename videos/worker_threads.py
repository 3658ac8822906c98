"""A small, long-lived thread pool for the poller: each thread owns one DB connection.

`concurrent.futures` would do the threading, but it offers no hook to close a thread's
database connection when the thread ends; here every thread closes its own on exit,
and recycles it between items as Django's CONN_MAX_AGE/health checks say.
"""

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

_STOP = object()


class WorkerThreads:
    """Run `work(item)` over batches of items on `size` threads (inline when 1)."""

    def __init__(
        self, size: int, work: Callable[[Any], Any], should_stop: Callable[[], bool]
    ) -> None:
        self._work = work
        self._should_stop = should_stop
        self._inbox: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._results: list[Any] = []
        self._skipped: list[Any] = []
        # One worker needs no thread: run in the caller's, with its connection.
        self._inline = size == 1
        self._threads = [
            threading.Thread(target=self._serve, name=f"poller-{n}", daemon=True)
            for n in range(0 if self._inline else size)
        ]
        for thread in self._threads:
            thread.start()

    def run(self, items: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        """Process a batch; returns (results, items skipped because of a stop)."""
        self._results, self._skipped = [], []
        for item in items:
            if self._inline:
                self._handle(item)
            else:
                self._inbox.put(item)
        self._inbox.join()
        return self._results, self._skipped

    def close(self) -> None:
        for _ in self._threads:
            self._inbox.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=60)

    def _serve(self) -> None:
        try:
            while True:
                item = self._inbox.get()
                try:
                    if item is _STOP:
                        return
                    self._handle(item)
                finally:
                    self._inbox.task_done()
        finally:
            connection.close()

    def _handle(self, item: Any) -> None:
        if self._should_stop():
            with self._lock:
                self._skipped.append(item)
            return
        close_old_connections()
        try:
            result = self._work(item)
        except Exception:
            # One bad video must not stop the others; its lease brings it back later.
            logger.exception("unexpected error while working on %s", item)
            result = None
        finally:
            close_old_connections()
        with self._lock:
            self._results.append(result)
