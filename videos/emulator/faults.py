"""Faults that tests inject into the next requests: rate limits, outages, hangs, lost answers.

A fault names a path (exact, with ``*`` standing for one path segment, so a fault on
``POST /v1/videos`` never hits ``/v1/videos/{id}/remix``), optionally a method, a kind
and how many matching requests it hits. Kinds:

* ``429``  — answer 429 ``rate_limit_exceeded`` (``Retry-After`` if ``retry_after``);
* ``500``, ``503`` — answer that status with a ``server_error`` body (503 honours
  ``retry_after`` too);
* ``hang`` — wait ``seconds``, then handle the request normally (a client timeout test);
* ``drop`` — handle the request fully (a create is stored) and close the connection
  without answering: the "accepted, but the answer was lost" case;
* ``cut`` — answer normally but close the connection after half the body: a download
  interrupted mid-copy.
"""

import threading
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ApiError

KINDS = ("429", "500", "503", "hang", "drop", "cut")
DEFAULT_HANG_SECONDS = 10.0


@dataclass
class Fault:
    path: str
    kind: str
    method: str | None = None
    count: int = 1
    retry_after: float | None = None
    seconds: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return path_matches(self.path, path)

    def error(self) -> ApiError:
        """The error answer of a 429/500/503 fault."""
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        if self.kind == "429":
            return ApiError(
                429,
                "Rate limit reached for requests (emulated fault).",
                type="requests",
                code="rate_limit_exceeded",
                headers=headers,
            )
        if self.kind == "503":
            return ApiError(
                503,
                "The server is overloaded or not ready yet (emulated fault).",
                type="server_error",
                code="service_unavailable",
                headers=headers,
            )
        return ApiError(
            500,
            "The server had an error while processing your request (emulated fault).",
            type="server_error",
            code="internal_error",
            headers=headers,
        )


def path_matches(pattern: str, path: str) -> bool:
    """Exact match of two paths, where a `*` segment of the pattern matches any one segment."""
    pattern_parts = pattern.strip("/").split("/")
    path_parts = path.strip("/").split("/")
    if len(pattern_parts) != len(path_parts):
        return False
    return all(
        want == got or (want == "*" and got != "")
        for want, got in zip(pattern_parts, path_parts, strict=True)
    )


def fault_from_json(data: Any) -> Fault:
    """Validate a `POST /_emulator/faults` body; ApiError 400 if it makes no sense."""
    if not isinstance(data, dict):
        raise _bad(None, "The fault must be a JSON object.")
    path = data.get("path")
    if not isinstance(path, str) or not path.startswith("/v1/"):
        raise _bad("path", 'path must be an API path such as "/v1/videos/*".')
    kind = str(data.get("kind"))
    if kind not in KINDS:
        raise _bad("kind", f"kind must be one of {', '.join(KINDS)}.")
    method = data.get("method")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise _bad("method", "method must be an HTTP method such as POST.")
    count = data.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise _bad("count", "count must be an integer >= 1.")
    retry_after = _optional_seconds(data, "retry_after")
    seconds = _optional_seconds(data, "seconds")
    if kind == "hang" and seconds is None:
        seconds = DEFAULT_HANG_SECONDS
    return Fault(
        path=path,
        kind=kind,
        method=method.upper() if method else None,
        count=count,
        retry_after=retry_after,
        seconds=seconds,
    )


def _optional_seconds(data: dict, name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise _bad(name, f"{name} must be a number of seconds >= 0.")
    return float(value)


def _bad(param: str | None, message: str) -> ApiError:
    return ApiError(400, message, param=param, code="invalid_fault")


class FaultBook:
    """The pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first pending fault for this request, used up by one."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]
