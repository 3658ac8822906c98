"""`manage.py poll_videos`: the worker that moves videos forward after they are created."""

import logging
import signal
import threading
import time

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, close_old_connections

from videos import poller
from videos.management.base import CommandWithExamples
from videos.worker_threads import WorkerThreads

logger = logging.getLogger("videos.poller")


class Command(CommandWithExamples):
    help = (
        "Advance videos: submit pending ones to the host, poll queued and running ones\n"
        "with per-video backoff (5 s doubling to 20 s), archive completed ones.\n"
        "Safe to run as several processes on PostgreSQL (claims use SELECT ... FOR\n"
        "UPDATE SKIP LOCKED); on SQLite run one. SIGTERM/SIGINT finish the videos in\n"
        "hand and exit 0.\n\n"
        "Examples:\n"
        "  python manage.py poll_videos                 # run until SIGTERM/Ctrl-C\n"
        "  python manage.py poll_videos --once          # one pass, for cron and tests\n"
        "  python manage.py poll_videos --concurrency 8 --batch-size 200"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run one pass over due videos and exit."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            help="Videos claimed per pass (default 100).",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=4,
            help="Threads making upstream calls in this process (default 4).",
        )
        parser.add_argument(
            "--sleep",
            type=float,
            default=1.0,
            help="Seconds to wait when nothing is due (default 1).",
        )

    def handle(self, *args, **options) -> None:
        batch_size, concurrency = options["batch_size"], options["concurrency"]
        if batch_size < 1 or concurrency < 1 or options["sleep"] < 0:
            raise CommandError(
                "--batch-size and --concurrency must be at least 1, --sleep not negative."
            )
        self._stop = threading.Event()
        self._once = options["once"]
        self._install_signal_handlers()
        threads = WorkerThreads(concurrency, poller.advance_video, self._stop.is_set)
        logger.info(
            "poller started: %d threads, batches of %d; SIGTERM or Ctrl-C stops it "
            "after the videos in hand",
            concurrency,
            batch_size,
        )
        try:
            while not self._stop.is_set():
                claimed = self._run_pass(threads, batch_size)
                if options["once"]:
                    break
                if claimed < batch_size:
                    # Wake for the next video due, so a dense schedule is kept to
                    # the second; at most --sleep, to notice new ones.
                    self._stop.wait(self._idle_wait(options["sleep"]))
        finally:
            threads.close()

    def _idle_wait(self, longest: float) -> float:
        try:
            return min(poller.seconds_until_next_due(), longest)
        except DatabaseError:
            return longest

    def _run_pass(self, threads: WorkerThreads, batch_size: int) -> int:
        started = time.monotonic()
        close_old_connections()
        try:
            claimed = poller.claim_due_videos(limit=batch_size)
        except DatabaseError as error:
            if self._once:
                raise CommandError(
                    f"Cannot reach the database; check DATABASE_URL. ({error})"
                ) from error
            # A long-running worker outlives a database restart: wait and try again.
            logger.error("could not claim videos (will retry): %s", error)
            self._stop.wait(5)
            return 0
        if not claimed:
            return 0
        steps, skipped = threads.run(claimed)
        poller.release_claims(skipped)
        done = [step for step in steps if step is not None]
        logger.info(
            "pass: %d claimed, %d advanced, %d changed status, %d errors, "
            "%d released, %.2fs",
            len(claimed),
            len(done),
            sum(step.changed for step in done),
            len(steps) - len(done),
            len(skipped),
            time.monotonic() - started,
        )
        return len(claimed)

    def _install_signal_handlers(self) -> None:
        def stop(signum, frame) -> None:
            logger.info(
                "received %s; finishing the videos in hand", signal.Signals(signum).name
            )
            self._stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
