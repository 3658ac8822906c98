"""The product's WSGI app with another relay set-up, for bench_streaming only.

`gunicorn … bench.wsgi_relay_variant` serves exactly `sora_site.wsgi`, except for two
knobs the product's code does not expose, set once per worker from the environment:

* BENCH_RELAY_CHUNK_BYTES: `videos.sora.content.CONTENT_CHUNK_SIZE`, the size the relay
  re-chunks the upstream body to (`iter_bytes(size)`); `ContentStream` reads the module
  constant each time it starts a body. `0` means None: relay each socket read as it
  comes, without re-chunking.
* BENCH_UPSTREAM_READ_BYTES: how many bytes httpcore asks the socket for at a time
  (its `HTTP11Connection.READ_NUM_BYTES`, 64 KiB by default), a private constant of
  the HTTP library, changed here only to measure what the per-read overhead costs.

This changes no file of the application; it is never used outside the benchmark.
"""

import importlib
import os

import videos.sora.content
from sora_site.wsgi import application

if "BENCH_RELAY_CHUNK_BYTES" in os.environ:
    chunk = int(os.environ["BENCH_RELAY_CHUNK_BYTES"])
    # Set where ContentStream reads it: `videos.sora` only re-exports the constant.
    # None is what iter_bytes() takes for "each read as it comes"; the product's
    # constant is an int, so the checker refuses it here.
    videos.sora.content.CONTENT_CHUNK_SIZE = chunk or None  # type: ignore[assignment]
if "BENCH_UPSTREAM_READ_BYTES" in os.environ:
    http11 = importlib.import_module("httpcore2._sync.http11")
    http11.HTTP11Connection.READ_NUM_BYTES = int(
        os.environ["BENCH_UPSTREAM_READ_BYTES"]
    )

__all__ = ["application"]
