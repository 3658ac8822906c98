"""gunicorn settings (`gunicorn -c python:sora_site.gunicorn sora_site.wsgi`).

Threads, not sync workers: a video stream holds its thread for as long as the viewer
watches, and a sync worker would kill it at `timeout`. Size `threads` for concurrent
viewers per worker.
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# gunicorn 27 opens a control socket under $HOME by default; several instances
# (tests, benchmarks, pollers next to web) would collide on it.
control_socket_disable = True
