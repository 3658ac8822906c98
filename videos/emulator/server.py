"""The emulator's HTTP server: OpenAI's Videos API wire contract on a local port.

Standard library only (`ThreadingHTTPServer`, one daemon thread per connection). It
speaks HTTP/1.1 with keep-alive, as the SDK's connection pool expects, so every answer is
framed by a Content-Length; request bodies may come with a Content-Length or chunked.
Downloads are written in 1 MiB chunks straight from the asset (a cached clip's file, or
the generated body; never a whole body in memory), and a client that goes away mid-body
is no error worth a traceback.

It is a development and test tool: all state is in memory and lost on stop, except the
clip cache (`clips`), a directory of test clips kept between runs.
"""

import logging
import secrets
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from .app import Emulator
from .clips import ClipCache
from .config import EmulatorConfig
from .errors import ApiError
from .wire import Request, Response

logger = logging.getLogger("videos.emulator")
request_logger = logging.getLogger("videos.emulator.requests")
"""One DEBUG line per request; `manage.py sora_emulator` turns it on."""

MAX_BODY_BYTES = 25 * 1024 * 1024
"""The largest request body accepted (a create with its reference image); larger → 413."""
MAX_DRAINED_BYTES = 4 * MAX_BODY_BYTES
"""Up to this size an oversized body is read and dropped, so the 413 reaches the client
(closing on unread data would reset the connection before it reads the answer)."""
IDLE_TIMEOUT = 300.0
"""Seconds a socket read or write may wait, so idle keep-alive connections end."""

# A client that hung up is not a server error.
_DISCONNECTS = (
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
    TimeoutError,
)


class _BadRequestBody(Exception):
    """The body cannot be read (bad framing) or is too large.

    Unless the whole body was read (`keep_alive`), the connection must close: its
    unread rest would be taken for the next request.
    """

    def __init__(self, error: ApiError, *, keep_alive: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.keep_alive = keep_alive


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends; with Nagle's algorithm on, a keep-alive
    # client's delayed ACK holds the second one back ~40 ms on every request after
    # the first (measured: a poller pass over 1,000 videos took 12.5 s, 3.4 s without).
    disable_nagle_algorithm = True
    server_version = "SoraEmulator/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT

    server: "_HTTPServer"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except _DISCONNECTS:
            pass
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        # A HEAD is answered as the GET would be (same headers), without the body.
        self._serve(head=True)

    def _serve(self, *, head: bool = False) -> None:
        try:
            body = self._read_body()
        except _BadRequestBody as problem:
            if not problem.keep_alive:
                self.close_connection = True
            self._send(self.server.app.host.render_error(problem.error), head=head)
            return
        url = urlsplit(self.path)
        request = Request(
            method="GET" if head else self.command,
            path=url.path,
            query={
                name: values[-1]
                for name, values in parse_qs(url.query, keep_blank_values=True).items()
            },
            headers=self.headers,
            body=body,
        )
        response = self.server.app.handle(request)
        if response.drop:
            # The `drop` fault: the request took effect, and its answer is lost.
            self.close_connection = True
            return
        self._send(response, head=head)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked_body()
        raw_length = self.headers.get("Content-Length")
        if not raw_length:
            return b""
        try:
            length = int(raw_length)
            if length < 0:
                raise ValueError(raw_length)
        except ValueError:
            raise _BadRequestBody(_bad_framing("invalid Content-Length")) from None
        if length > MAX_BODY_BYTES:
            drained = length <= MAX_DRAINED_BYTES and self._discard(length)
            raise _BadRequestBody(_too_large(), keep_alive=drained)
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadRequestBody(
                _bad_framing("the body is shorter than its Content-Length")
            )
        return body

    def _read_chunked_body(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BadRequestBody(_bad_framing("invalid chunk size")) from None
            if size == 0:
                # Skip any trailer fields, up to the blank line that ends the message.
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BadRequestBody(_too_large())
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BadRequestBody(_bad_framing("a chunk ended early"))
            chunks.append(chunk)
            self.rfile.readline(1024)  # the CRLF after each chunk

    def _discard(self, length: int) -> bool:
        """Read and drop `length` body bytes; False if the client sent fewer."""
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1024 * 1024))
            if not chunk:
                return False
            remaining -= len(chunk)
        return True

    def _send(self, response: Response, *, head: bool) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(response.content_length))
            self.send_header("x-request-id", "req_" + secrets.token_hex(16))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if head:
                return
            if response.asset is None:
                body = response.body
                if response.cut:
                    self.close_connection = True
                    body = body[: len(body) // 2]
                self.wfile.write(body)
                return
            byte_range = response.byte_range
            start, stop = (
                (byte_range.start, byte_range.end + 1)
                if byte_range
                else (0, response.asset.size)
            )
            if response.cut:
                # Half the promised bytes, then hang up: an interrupted download.
                self.close_connection = True
                stop = start + (stop - start) // 2
            for chunk in response.asset.chunks(start, stop):
                self.wfile.write(chunk)
            self.server.app.stats.count_stream(completed=not response.cut)
        except _DISCONNECTS as error:
            self.close_connection = True
            if response.asset is not None and not head:
                self.server.app.stats.count_stream(completed=False)
            logger.debug("Client %s went away: %r", self.address_string(), error)

    def log_message(self, format: str, *args: Any) -> None:
        request_logger.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


def _bad_framing(why: str) -> ApiError:
    return ApiError(
        400, f"Could not read the request body: {why}.", code="invalid_body"
    )


def _too_large() -> ApiError:
    return ApiError(
        413,
        f"The request body exceeds the limit of {MAX_BODY_BYTES // (1024 * 1024)} MB.",
        code="request_too_large",
    )


class _HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its open connections, to close them on stop."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: Emulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall on DNS;
        # nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        # The bound socket's own address (TCPServer.server_bind stores it as
        # server_address, whose declared type also allows the bytes a caller may pass).
        host, port = self.socket.getsockname()[:2]
        self.server_name, self.server_port = host, port

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """End idle keep-alive connections, whose threads would otherwise wait on reads."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], _DISCONNECTS):
            return
        logger.exception("Unexpected error while serving %s", client_address)


class EmulatorServer:
    """A Sora API emulator on a local port: `start()` it in a thread, or `serve_forever()`.

    The port is bound when the object is created (an OSError if it is taken; port 0
    picks a free one), so `port` and the URLs are known before serving starts.
    `profile` picks the host to behave as (openai, litellm, vllm-omni, sglang); its
    models are `models` if given, else that host's preset table (the product's own
    resolved table when the profile is its `SORA_HOST_PRESET`). Completed videos' clips
    are made in and served from `clip_cache` (default: `clips.default_directory()`,
    which `SORA_EMULATOR_CLIP_CACHE` sets).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        profile: str = "openai",
        models: dict | None = None,
        render_seconds: float = 8.0,
        content_bytes: int | None = None,
        expires_after: float = 3600.0,
        poll_after_ms: int = 1000,
        api_key: str | None = None,
        clip_cache: str | Path | None = None,
    ) -> None:
        settings: dict[str, Any] = {
            "profile": profile,
            "render_seconds": render_seconds,
            "content_bytes": content_bytes,
            "expires_after": expires_after,
            "poll_after_ms": poll_after_ms,
        }
        if models is not None:
            settings["models"] = models
        try:
            # The same checks as a control request's overrides get; without `models`,
            # the profile's preset table (see `config.preset_models`).
            defaults = EmulatorConfig().with_overrides(settings)
        except ApiError as error:
            raise ValueError(error.message) from None
        self.app = Emulator(
            defaults=defaults, api_key=api_key or None, clips=ClipCache.at(clip_cache)
        )
        self._host = host
        self._httpd = _HTTPServer((host, port), self.app)
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def root_url(self) -> str:
        host = self._host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"  # reach a wildcard bind through loopback
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What the SDK's `base_url` (and the OPENAI_BASE_URL setting) should be."""
        return self.root_url + "/v1"

    def start(self) -> Self:
        """Serve in a background daemon thread; returns self for chaining."""
        if self._thread is not None or self._stopped:
            raise RuntimeError("An EmulatorServer can be started only once.")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"sora-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve until `stop()` (from a signal handler or another thread) or Ctrl-C."""
        self.start()
        try:
            while not self.app.stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving, close the port and any open connections; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.app.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        self._httpd.close_connections()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
