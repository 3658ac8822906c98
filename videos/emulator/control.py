"""`EmulatorClient`: drives a running emulator's `/_emulator/` control endpoints.

For tests (the `emulator` fixture returns one) and benchmarks, which may run the emulator
in another process; so it speaks plain HTTP, with urllib only, and needs only the URL.
"""

import json
import urllib.error
import urllib.request
from typing import Any


class EmulatorControlError(Exception):
    """A control request was refused (e.g. an invalid config value or an unknown video)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorClient:
    """A handle on one emulator: its URLs and its control endpoints."""

    def __init__(self, root_url: str, *, timeout: float = 10.0) -> None:
        self.root_url = root_url.rstrip("/")
        self.base_url = self.root_url + "/v1"
        """The SDK's base_url for this emulator."""
        self.timeout = timeout

    def reset(self, **config: Any) -> dict[str, Any]:
        """Forget all videos, faults and counters; config = server defaults + `config`.

        Keys: profile (openai, litellm, vllm-omni, sglang: the host to behave as, with
        its preset models unless `models` is given too), models, render_seconds,
        content_bytes, expires_after, poll_after_ms. Returns the config in force.
        """
        return self._call("POST", "/_emulator/reset", config)["config"]

    def configure(self, **config: Any) -> dict[str, Any]:
        """Change some config keys (same keys as `reset`), keeping everything else."""
        return self._call("POST", "/_emulator/config", config)["config"]

    def inject_fault(
        self,
        path: str,
        kind: str | int,
        *,
        method: str | None = None,
        count: int = 1,
        retry_after: float | None = None,
        seconds: float | None = None,
    ) -> list[dict[str, Any]]:
        """Make the next `count` requests to `path` (`*` = one segment) fail as `kind`.

        Kinds: "429", "500", "503" (answer that status), "hang" (wait `seconds`, then
        answer), "drop" (act on the request, then close the connection unanswered).
        Returns the pending faults.
        """
        fault: dict[str, Any] = {"path": path, "kind": str(kind), "count": count}
        if method is not None:
            fault["method"] = method
        if retry_after is not None:
            fault["retry_after"] = retry_after
        if seconds is not None:
            fault["seconds"] = seconds
        return self._call("POST", "/_emulator/faults", fault)["faults"]

    def stats(self) -> dict[str, Any]:
        """{"requests": {"METHOD /route": n}, "retrieves": {video_id: n}, "creates": n,
        "streams_completed": n, "streams_aborted": n, "clips_encoded": n}."""
        return self._call("GET", "/_emulator/stats")

    def expire(self, video_id: str) -> dict[str, Any]:
        """Make a video's assets expire now (its content then answers 404 video_expired)."""
        return self._call("POST", f"/_emulator/videos/{video_id}/expire")

    def complete(self, video_id: str) -> dict[str, Any]:
        """Finish a running video now (`failed` instead if its prompt has `[fail]`)."""
        return self._call("POST", f"/_emulator/videos/{video_id}/complete")

    def videos(self, *, timing: bool = False) -> list[dict[str, Any]]:
        """Every stored video, oldest first, deleted ones included (with "deleted": true).

        With `timing`, each has `"timing": {"created_at", "render_seconds",
        "finishes_at"}` in exact (float) unix seconds.
        """
        path = "/_emulator/videos?timing=1" if timing else "/_emulator/videos"
        return self._call("GET", path)["data"]

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.root_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            with error:
                body = error.read()
            try:
                message = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = body.decode(errors="replace")
            raise EmulatorControlError(error.code, message) from None
