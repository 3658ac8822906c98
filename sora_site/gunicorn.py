"""gunicorn settings (`gunicorn -c python:sora_site.gunicorn sora_site.wsgi`).

Threads, not sync workers: a video stream relayed from the host (or, without nginx or
object storage, an archived one) holds its thread for as long as the viewer watches,
and a sync worker would kill it at `timeout`.

Four processes of four threads by default, sized for two cores: the same sixteen
threads as two processes of eight, but pages cost less. On two cores two processes of
eight threads spent 5.0 ms of CPU per list page and answered at p99 125 ms under 16
connections; four of four spent 3.5–3.8 ms at p99 86–97 ms (bench/README.md, "Pages"):
threads of one process take turns on its interpreter lock, and every turn costs. Raise
`WEB_CONCURRENCY` with cores; raise `GUNICORN_THREADS` only for concurrent viewers
where bytes still pass through gunicorn.
"""

import gc
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# gunicorn 27 opens a control socket under $HOME by default; several instances
# (tests, benchmarks, pollers next to web) would collide on it.
control_socket_disable = True


def post_worker_init(worker: object) -> None:
    """Leave the loaded application out of every garbage collection from now on.

    After Django has loaded, a worker holds hundreds of thousands of objects that live
    as long as it does, and each full collection walked all of them: a pause of 80–100
    ms that stopped every thread of the worker, which was the list page's p99. Frozen
    (`gc.freeze()`), a collection walks only what requests made since: in one process,
    the slowest of 3,000 list pages went from 80–100 ms to 11 ms, and the mean CPU per
    page down by about a seventh (bench/README.md, "Pages").
    """
    gc.freeze()
