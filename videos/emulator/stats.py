"""Request counters, so tests can assert how often the product called the upstream.

The questions tests ask are "how many creates reached the upstream" (no double paid
videos), "how often was this video polled" (backoff) and "did the proxy let go of the
upstream when its viewer left"; hence per-route counts, per-video retrieve counts, the
number of accepted creates, content bodies sent in full or abandoned mid-way, and how
many clips had to be encoded (the rest came from the clip cache).
"""

import threading
from collections import Counter
from typing import Any

ROUTE_KEYS = (
    "POST /v1/videos",
    "GET /v1/videos/{id}",
    "GET /v1/videos",
    "DELETE /v1/videos/{id}",
    "POST /v1/videos/{id}/remix",
    "GET /v1/videos/{id}/content",
    "POST /v1/moderations",
)


class Stats:
    """Thread-safe counters; every request that reached a handler counts, faulted or not."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._retrieves: Counter[str] = Counter()
        self._creates = 0
        self._streams: Counter[str] = Counter()
        self._clips_encoded = 0

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._retrieves.clear()
            self._creates = 0
            self._streams.clear()
            self._clips_encoded = 0

    def count_request(self, route_key: str) -> None:
        with self._lock:
            self._requests[route_key] += 1

    def count_retrieve(self, video_id: str) -> None:
        with self._lock:
            self._retrieves[video_id] += 1

    def count_create(self) -> None:
        """One create or remix the upstream accepted (a paid video, upstream)."""
        with self._lock:
            self._creates += 1

    def count_stream(self, *, completed: bool) -> None:
        """One content body sent in full, or abandoned by its client mid-way."""
        with self._lock:
            self._streams["completed" if completed else "aborted"] += 1

    def count_clip_encoded(self) -> None:
        """One clip encoded for a download (it was not in the clip cache yet)."""
        with self._lock:
            self._clips_encoded += 1

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {key: self._requests[key] for key in ROUTE_KEYS},
                "retrieves": dict(self._retrieves),
                "creates": self._creates,
                "streams_completed": self._streams["completed"],
                "streams_aborted": self._streams["aborted"],
                "clips_encoded": self._clips_encoded,
            }
