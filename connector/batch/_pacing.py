"""Pacing shared by every worker of a batch: the user's rate, lowered only when the server
says its budget cannot sustain it.

    pacer = Pacer(Rate(3000, 600))         # Rebilly sandbox: 3000 non-GET requests / 10 min
    session = PacedSession(pacer)          # one per worker; every attempt waits for its slot

- The rate spaces requests evenly (`window / limit` apart; a burst would fill a sliding
  window at once and leave the rest of it refused). It runs at 98 % of the limit: the 2 %
  of the window left over absorbs network and clock jitter between this machine and the
  server, so two requests one window apart are never both counted in one window.
- The server's headers (`_budget`: IETF `RateLimit`/`RateLimit-Policy`, `X-RateLimit-*`)
  count over the server's own window, which need not be the user's. They lower the pace
  only when they say what is left cannot last: a budget of `remaining` requests until a
  reset `t` seconds away, when the user's pace would send more than that before the reset.
  Then the remaining requests are spread until the reset (none left: a pause until it),
  and the user's pace returns after it. A remaining count without a reset (Rebilly's
  `X-RateLimit-Remaining`) says nothing about when it refills, so it never slows the batch;
  the server's 429 does. It only tells when the server's window is full at this pace
  (nothing remains) or shorter than ours (a quota below the rate's count): then the pace
  keeps a wider margin for jitter (96 %, `TIGHT`), late waiters no longer catch up in a
  burst, and a send later than its slot moves the later slots.
- A 429 pauses every worker until the server's `X-RateLimit-Retry-After` (UTC epoch seconds)
  or `Retry-After` (seconds or HTTP-date), read by the same code that times retries
  (`connector._retry.server_wait`); with neither, one interval (or one second).

Every attempt passes through `PacedSession.send`, retries included: the executor's own
retry waits still apply, and its next attempt also waits for a slot. The clock (which also
sleeps) is injected, so tests never wait.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import requests

from connector._clock import SYSTEM_CLOCK, Clock, SystemClock
from connector._retry import server_wait
from connector._transport import Response
from connector.batch._budget import Budget, budgets

__all__ = [
    "HEADROOM",
    "KNOWN_LIMITS",
    "PacedSession",
    "Pacer",
    "PacerClosedError",
    "Rate",
    "parse_rate",
]

HEADROOM: Final = 0.98
"""The share of the limit used: the rest of the window absorbs jitter."""

TIGHT: Final = 0.96
"""The share used once a server said its window is full at our pace without saying when it
refills: its window is no longer than ours, so the margin for jitter (the time between a
slot and the request reaching the server) must be wider; 4 % of a 1 s window is 40 ms."""


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `requests` requests in any `seconds`-long window."""

    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"


KNOWN_LIMITS: Final[Mapping[str, Rate]] = {"rebilly": Rate(3000, 600)}
"""Published limits by API (a template's `operation.api`, lower case): the default rate."""

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$", re.IGNORECASE)
_UNITS: Final = {"s": 1, "m": 60, "h": 3600}


def parse_rate(text: str) -> Rate | None:
    """`N/SECONDS` (`200/10s`, `3000/10m`), or None for `none`/`off` (unthrottled).

    Raises:
        ValueError: the text is not a rate, or it is zero.
    """
    if text.strip().lower() in {"none", "off", "unlimited"}:
        return None
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate: write N/SECONDS, such as 3000/600s or 200/10s")
    seconds = float(match[2]) * _UNITS[(match[3] or "s").lower()]
    if int(match[1]) < 1 or seconds <= 0:
        raise ValueError(f"{text!r}: a rate needs at least 1 request in more than 0 seconds")
    return Rate(int(match[1]), seconds)


class Pacer:
    """Hands out send slots to any number of threads at a shared rate."""

    def __init__(
        self,
        rate: Rate | None,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """Args:
        rate: the configured rate; None: unthrottled (a 429 still pauses everyone).
        clock: slots, pauses and retry headers are timed on it, and it waits for them.
        """
        self.rate = rate
        self._closed = threading.Event()
        self._clock = clock
        # The machine's sleep cannot be cut short; a wait on the closed event can, so a
        # stopping batch does not sit out a long 429 pause. A fake clock sleeps itself.
        self._sleep = self._closed.wait if isinstance(clock, SystemClock) else clock.sleep
        self._lock = threading.Lock()
        self._next = clock.monotonic()
        self._paused_until = self._next
        self._taken = threading.local()
        """`at`: when the calling thread took its last slot (until it sends on it)."""
        self._slowed: tuple[float, float] | None = None
        """(interval, until): the server's budget spread until its reset."""
        self.refusals = 0
        """How many 429 answers were seen."""
        self.full = False
        """A server said its window is full at this pace (nothing remaining), or shorter
        than ours (a smaller quota): the pace keeps the wider margin `TIGHT` from then on."""
        self.slowdowns = 0
        """How many answers lowered the pace (their budget could not last at the rate)."""

    @property
    def own_interval(self) -> float | None:
        """Seconds between two slots at the user's rate; None when unthrottled."""
        if self.rate is None:
            return None
        return self.rate.seconds / (self.rate.requests * (TIGHT if self.full else HEADROOM))

    @property
    def interval(self) -> float | None:
        """Seconds between two slots now: the user's, or longer while a server's budget is
        spread until its reset."""
        own = self.own_interval
        slowed = self._slowed
        if own is None or slowed is None or slowed[1] <= self._clock.monotonic():
            return own
        return max(own, slowed[0])

    def acquire(self) -> bool:
        """Block until the caller may send: True; False when the pacer was closed meanwhile."""
        while not self._closed.is_set():
            wait = self._take()
            if wait <= 0:
                return True
            self._sleep(wait)
        return False

    def close(self) -> None:
        """Give no more slots: every waiting `acquire` returns False (a batch is stopping)."""
        self._closed.set()

    def _take(self) -> float:
        """0 when a slot was taken now; else the seconds to wait before asking again."""
        with self._lock:
            now = self._clock.monotonic()
            interval = self.interval
            due = max(self._paused_until, self._next if interval else now)
            if due > now:
                return due - now
            if interval is not None:
                self._next = max(self._next, now - self._slack(interval)) + interval
            self._taken.at = now
            return 0.0

    def sending(self) -> None:
        """The calling thread sends now, on the slot it took. Once a server's window is full
        (`full`), a send later than its slot by more than the slack (a slow journal write
        between the two) moves the later slots by as much, so the server's window does not
        see them closer than the grid; otherwise the lost time is made up by the slack."""
        with self._lock:
            interval, taken = self.interval, getattr(self._taken, "at", None)
            self._taken.at = None
            if interval is None or taken is None or not self.full:
                return
            late = self._clock.monotonic() - taken - self._slack(interval)
            if late > 0:
                self._next += late

    def _slack(self, interval: float) -> float:
        """How late a slot may be taken and still keep the grid (no drift when a waiter
        wakes late): 1 % of the window, half the 2 % headroom, so two requests `limit`
        slots apart stay more than a window apart; idle time beyond it is not banked. Once
        a server said its window is full (`full`), half an interval only: its window may be
        shorter than ours, and a catch-up burst would overfill it."""
        assert self.rate is not None
        if self.full:
            return interval / 2
        return max(interval / 2, self.rate.seconds * (1 - HEADROOM) / 2)

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer: a 429, and any budget that cannot last at the rate (the
        latest answer's budgets replace what earlier ones said)."""
        with self._lock:
            if status_code == 429:
                self._refused(headers)
            found = budgets(headers, self._clock.time())
            self.full = self.full or any(self._fills(b) for b in found if b.reset is None)
            timed = [b for b in found if b.reset]
            if timed:
                spreads = [s for s in map(self._spread, timed) if s is not None]
                self._slowed = max(spreads, default=None)

    def _fills(self, budget: Budget) -> bool:
        """Whether a budget without a reset says our pace fills the server's window: nothing
        remains, or its quota is smaller than the rate's count (at the same pace, its window
        is shorter than ours, so jitter has less time to hide in)."""
        small = self.rate is not None and (budget.quota or self.rate.requests) < self.rate.requests
        return budget.remaining == 0 or small

    def _refused(self, headers: Mapping[str, str]) -> None:
        self.refusals += 1
        answer = Response(status_code=429, reason="", headers=dict(headers), body=None)
        wait = server_wait(answer, self._clock.time())
        if wait is None:
            wait = self.interval or 1.0
        self._paused_until = max(self._paused_until, self._clock.monotonic() + wait)

    def _spread(self, budget: Budget) -> tuple[float, float] | None:
        """(interval, until) spreading the budget until its reset when it is smaller than
        the slots the user's rate would take before then (the server's own window's count,
        never compared with ours); None when it lasts. Nothing left: a pause until then."""
        own = self.own_interval
        if own is None or not budget.reset or budget.remaining >= budget.reset // own:
            return None
        self.slowdowns += 1
        until = self._clock.monotonic() + budget.reset
        if budget.remaining == 0:
            self._paused_until = max(self._paused_until, until)
            return None
        return budget.reset / budget.remaining, until

    def __repr__(self) -> str:
        return (
            f"<Pacer rate={self.rate} interval={self.interval} refusals={self.refusals} "
            f"slowdowns={self.slowdowns}>"
        )


class PacerClosedError(Exception):
    """The pacer was closed while a request waited for its slot: it was not sent."""


class PacedSession(requests.Session):
    """A `requests.Session` whose every send waits for a slot and reports its answer."""

    def __init__(self, pacer: Pacer) -> None:
        super().__init__()
        self.pacer = pacer
        self.prepaid = False
        """The caller took the next send's slot already (to journal it right before)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Wait for a slot, send, and tell the pacer what the server said.

        Raises:
            PacerClosedError: the pacer was closed while waiting; nothing was sent.
        """
        prepaid, self.prepaid = self.prepaid, False
        if not prepaid and not self.pacer.acquire():
            raise PacerClosedError("the batch is stopping")
        self.pacer.sending()
        response = super().send(request, **kwargs)
        self.pacer.observe(response.status_code, response.headers)
        return response
