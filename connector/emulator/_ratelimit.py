"""The rate limit: a sliding window of non-GET requests per organization, its
`X-RateLimit-*` headers and the 429 answer past it."""

from __future__ import annotations

import math
from collections import deque

from werkzeug.wrappers import Response

from connector.emulator._http import problem


class RateLimiter:
    """A sliding window of non-GET requests per organization."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def _live(self, org: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(org, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def check(self, org: str, now: float, *, counts: bool) -> tuple[bool, int, float]:
        """(allowed, remaining, retry_at); a counted request that is allowed uses one up."""
        hits = self._live(org, now)
        if counts and len(hits) >= self.limit:
            return False, 0, hits[0] + self.window if hits else now + self.window
        if counts:
            hits.append(now)
        return True, max(self.limit - len(hits), 0), now

    def clear(self) -> None:
        """Forget every organization's requests."""
        self._hits.clear()

    def headers(self, remaining: int) -> dict[str, str]:
        """The `X-RateLimit-*` headers every API answer carries."""
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining)}

    def refusal(self, retry_at: float, *, instance: str, headers: dict[str, str]) -> Response:
        """The 429 answer past the limit, saying when a retry is allowed (UTC epoch seconds)."""
        return problem(
            429,
            "Too Many Requests",
            f"Rate limit of {self.limit} non-GET requests per "
            f"{self.window:g} s for this organization exceeded",
            instance=instance,
            headers={**headers, "X-RateLimit-Retry-After": str(math.ceil(retry_at))},
        )
