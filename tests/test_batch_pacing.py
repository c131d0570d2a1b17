"""Pacing shared by the workers: even spacing, the server's limit and remaining, 429 pauses.

The fake clock: `sleep` moves it forward, so nothing here waits for real.
"""

from __future__ import annotations

import math
import threading
from email.utils import formatdate

import pytest
import responses

from connector.batch import PacedSession, Pacer, Rate, parse_rate
from connector.batch._pacing import HEADROOM, TIGHT
from connector.emulator import Emulator
from tests._clock import EPOCH, START, FakeClock


def pacer(rate: Rate | None, clock: FakeClock) -> Pacer:
    """A pacer on the fake clock."""
    return Pacer(rate, clock=clock)


def send_times(subject: Pacer, clock: FakeClock, count: int) -> list[float]:
    """The clock at each of `count` acquired slots."""
    times = []
    for _ in range(count):
        assert subject.acquire()
        times.append(clock.now)
    return times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("3000/600s", Rate(3000, 600), id="seconds"),
        pytest.param("200/10", Rate(200, 10), id="no-unit"),
        pytest.param("3000/10m", Rate(3000, 600), id="minutes"),
        pytest.param("5/1.5s", Rate(5, 1.5), id="fraction"),
        pytest.param("none", None, id="unthrottled"),
    ],
)
def test_parse_rate(text: str, expected: Rate | None) -> None:
    """`N/SECONDS` with an optional unit; `none` is unthrottled."""
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["fast", "0/10s", "10/0s", "-1/5s", "10 per second"])
def test_a_bad_rate_says_how_to_write_one(text: str) -> None:
    """A malformed or zero rate is refused with the form to use."""
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_slots_are_spaced_evenly_at_98_percent_of_the_limit(clock: FakeClock) -> None:
    """10 per second: one slot every 1/(10 x 0.98) s, the first at once."""
    times = send_times(pacer(Rate(10, 1), clock), clock, 5)
    step = 1 / (10 * HEADROOM)
    assert times == pytest.approx([START + n * step for n in range(5)])


def test_no_window_ever_holds_more_than_the_limit(clock: FakeClock) -> None:
    """Any window of the rate's length holds at most `limit` slots (a sliding-window server)."""
    times = send_times(pacer(Rate(20, 2), clock), clock, 100)
    for index, start in enumerate(times):
        inside = [t for t in times[index:] if t < start + 2]
        assert len(inside) <= 20


def test_an_idle_pacer_does_not_bank_a_burst(clock: FakeClock) -> None:
    """After a long idle time the next slots are spaced again (at most half a slot early)."""
    subject = pacer(Rate(10, 1), clock)
    send_times(subject, clock, 3)
    clock.now += 60
    times = send_times(subject, clock, 3)
    gap, half_slot = times[1] - times[0], 0.5 / (10 * HEADROOM)
    assert gap > half_slot or gap == pytest.approx(half_slot)  # float rounding at START
    assert times[2] - times[1] == pytest.approx(1 / (10 * HEADROOM))


def test_unthrottled_never_waits(clock: FakeClock) -> None:
    """Without a rate, slots are handed out at once."""
    send_times(pacer(None, clock), clock, 50)
    assert clock.slept == []


def test_a_remaining_count_without_a_reset_never_slows_the_batch(clock: FakeClock) -> None:
    """`X-RateLimit-Remaining` counted over a longer window than the user's (Rebilly's 600 s)
    says nothing about when it refills: the user's pace holds."""
    subject = pacer(Rate(20, 1), clock)
    send_times(subject, clock, 10)
    subject.observe(200, {"X-RateLimit-Limit": "3000", "X-RateLimit-Remaining": "12"})
    assert subject.interval == pytest.approx(1 / (20 * HEADROOM))
    assert subject.slowdowns == 0


@pytest.mark.parametrize(
    ("rate", "headers"),
    [
        pytest.param(Rate(20, 1), {"X-RateLimit-Remaining": "0"}, id="nothing-remaining"),
        pytest.param(
            Rate(200, 10),
            {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "19"},
            id="shorter-window",
        ),
    ],
)
def test_a_full_or_shorter_window_without_a_reset_widens_the_margin_only(
    rate: Rate, headers: dict[str, str], clock: FakeClock
) -> None:
    """Nothing remaining, or a quota smaller than the rate's count (a shorter window at the
    same pace), and no reset: the pace keeps a wider margin for jitter, above 95 %."""
    subject = pacer(rate, clock)
    assert subject.acquire()
    subject.observe(200, headers)
    assert subject.interval == pytest.approx(rate.seconds / (rate.requests * TIGHT))
    assert TIGHT >= 0.95
    assert subject.slowdowns == 0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"RateLimit": '"default";r=600;t=30'}, id="ietf-longer-window"),
        pytest.param({"X-RateLimit-Remaining": "20", "X-RateLimit-Reset": "1"}, id="x-equal"),
        pytest.param({"RateLimit-Remaining": "5", "RateLimit-Reset": "0.2"}, id="old-draft"),
    ],
)
def test_a_budget_that_lasts_until_its_reset_keeps_the_users_pace(
    headers: dict[str, str], clock: FakeClock
) -> None:
    """Remaining covers every slot the user's pace takes before the reset: no change."""
    subject = pacer(Rate(20, 1), clock)
    assert subject.acquire()
    subject.observe(200, headers)
    assert subject.interval == pytest.approx(1 / (20 * HEADROOM))


def test_a_budget_that_cannot_last_is_spread_until_its_reset(clock: FakeClock) -> None:
    """10 left for 5 s at 20 a second: 10 slots spread over the 5 s, then the user's pace."""
    subject = pacer(Rate(20, 1), clock)
    assert subject.acquire()
    subject.observe(
        200, {"RateLimit": '"default";r=10;t=5', "RateLimit-Policy": '"default";q=50;w=5'}
    )
    assert subject.interval == pytest.approx(5 / 10)
    times = send_times(subject, clock, 10)
    assert times[-1] - START <= 5
    clock.now = START + 5  # the server's window has refilled
    assert subject.interval == pytest.approx(1 / (20 * HEADROOM))
    assert subject.slowdowns == 1


def test_an_exhausted_budget_pauses_until_its_reset(clock: FakeClock) -> None:
    """Nothing left: no slot until the reset (GitHub's epoch `X-RateLimit-Reset`)."""
    subject = pacer(Rate(20, 1), clock)
    assert subject.acquire()
    reset = str(int(EPOCH + 4))
    subject.observe(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    assert subject.acquire()
    assert clock.now == pytest.approx(START + 4)


@pytest.mark.parametrize(
    ("headers", "pause"),
    [
        pytest.param({"Retry-After": "7"}, 7.0, id="retry-after-seconds"),
        pytest.param({"X-RateLimit-Retry-After": str(int(EPOCH + 12))}, 12.0, id="rebilly-epoch"),
        pytest.param({"Retry-After": formatdate(EPOCH + 30, usegmt=True)}, 30.0, id="http-date"),
        pytest.param({}, 1 / (10 * HEADROOM), id="no-header-one-interval"),
    ],
)
def test_a_429_pauses_every_sender_until_the_server_allows(
    headers: dict[str, str], pause: float, clock: FakeClock
) -> None:
    """After a 429 no slot is handed out before the time the server names."""
    subject = pacer(Rate(10, 1), clock)
    assert subject.acquire()
    subject.observe(429, {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", **headers})
    assert subject.acquire()
    assert clock.now == pytest.approx(START + pause, abs=1e-6)
    assert subject.refusals == 1


def test_an_unthrottled_pacer_still_pauses_on_a_429(clock: FakeClock) -> None:
    """Without a rate, a 429's Retry-After still holds every sender."""
    subject = pacer(None, clock)
    subject.observe(429, {"Retry-After": "3"})
    assert subject.acquire()
    assert clock.now == pytest.approx(START + 3)


def test_closing_the_pacer_releases_a_waiting_sender() -> None:
    """A worker waiting for its slot gives up when the batch stops (real threads)."""
    subject = Pacer(Rate(1, 3600))
    assert subject.acquire()
    answers: list[bool] = []
    waiter = threading.Thread(target=lambda: answers.append(subject.acquire()))
    waiter.start()
    subject.close()
    waiter.join(5)
    assert answers == [False]


@responses.activate
def test_a_paced_session_waits_for_its_slot_and_reports_the_answer(clock: FakeClock) -> None:
    """Every send through the session takes a slot; its rate-limit headers reach the pacer."""
    url = "https://api.example.test/things/1"
    headers = {"RateLimit": '"default";r=1;t=4'}
    responses.add(responses.PUT, url, json={}, headers=headers)
    responses.add(responses.PUT, url, json={}, status=429, headers={"Retry-After": "2"})
    responses.add(responses.PUT, url, json={}, headers=headers)
    subject = pacer(Rate(100, 10), clock)
    with PacedSession(subject) as session:
        assert session.put(url, timeout=1).status_code == 200
        assert subject.interval == pytest.approx(4)
        assert session.put(url, timeout=1).status_code == 429
        before = clock.now
        session.put(url, timeout=1)
    assert clock.now - before >= 2  # the server's Retry-After, then the lowered pace
    assert subject.refusals == 1


def test_a_prepaid_send_does_not_take_a_second_slot(clock: FakeClock) -> None:
    """The runner takes the first slot itself (to journal right before): no double wait."""
    subject = pacer(Rate(1, 10), clock)
    session = PacedSession(subject)
    assert subject.acquire()
    session.prepaid = True
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, "https://api.example.test/", json={})
        session.get("https://api.example.test/", timeout=1)
    assert clock.slept == []


# -- against the emulator's sliding window, on the same fake clock -------------------------

USER_RATE = Rate(200, 10)
"""The user's `--rate`: 20 a second, counted over 10 s."""


@pytest.mark.parametrize(
    "window",
    [
        pytest.param((20, 1.0), id="shorter-1s"),
        pytest.param((200, 10.0), id="equal-10s"),
        pytest.param((12000, 600.0), id="longer-600s"),
    ],
)
def test_the_users_rate_holds_whatever_window_the_server_counts_over(
    window: tuple[int, float], clock: FakeClock
) -> None:
    """Against the emulator limited to the same 20 a second over a shorter, equal or longer
    window (its `X-RateLimit-*` headers counting over it), 300 sends keep >= 95 % of
    `--rate 200/10s` and get no 429."""
    count, subject = 300, pacer(USER_RATE, clock)
    with Emulator(rate_limit=window, clock=clock) as emulator, PacedSession(subject) as session:
        base = emulator.base_url("org-pace")
        body = {"websiteId": "w", "customerId": "c", "currency": "USD", "amount": 1}
        started = clock.now
        statuses = [
            session.put(
                f"{base}/payout-requests/po-{n}", json=body, headers={"REB-APIKEY": "k"}, timeout=5
            ).status_code
            for n in range(count)
        ]
    achieved = (count - 1) / (clock.now - started)
    assert statuses.count(429) == 0
    assert achieved >= 0.95 * USER_RATE.requests / USER_RATE.seconds


class FixedWindowServer:
    """A server model with IETF fields: `quota` requests per fixed `window`, on the clock."""

    def __init__(self, quota: int, window: float, clock: FakeClock) -> None:
        self.quota, self.window, self.clock = quota, window, clock
        self.used: dict[int, int] = {}

    def answer(self) -> tuple[int, dict[str, str]]:
        """The status and headers of one request sent now."""
        number, into = divmod(self.clock.now - START, self.window)
        used = self.used.get(int(number), 0)
        allowed = used < self.quota
        self.used[int(number)] = used + allowed
        reset = self.window - into
        fields = {
            "RateLimit-Policy": f'"w";q={self.quota};w={self.window:g}',
            "RateLimit": f'"w";r={self.quota - used - allowed};t={math.ceil(reset)}',
        }
        return (200 if allowed else 429), fields


@pytest.mark.parametrize(
    "quota", [pytest.param((50, 10.0), id="less-than-asked"), pytest.param((400, 20.0), id="equal")]
)
def test_ietf_fields_lower_the_pace_only_when_the_budget_cannot_last(
    quota: tuple[int, float], clock: FakeClock
) -> None:
    """A fixed-window server reporting `RateLimit`/`RateLimit-Policy`: no 429; a quota below
    the user's rate paces the batch to it, one that sustains the rate keeps >= 95 % of it."""
    server, subject = FixedWindowServer(*quota, clock), pacer(USER_RATE, clock)
    statuses = []
    for _ in range(600):
        assert subject.acquire()
        status, headers = server.answer()
        subject.observe(status, headers)
        statuses.append(status)
    asked, allowed = USER_RATE.requests / USER_RATE.seconds, quota[0] / quota[1]
    achieved = 599 / (clock.now - START)
    assert statuses.count(429) == 0
    if allowed >= asked:
        assert achieved >= 0.95 * asked
    else:  # spread over a reset rounded up to whole seconds: a little below the quota
        assert 0.9 * allowed <= achieved <= allowed


def test_a_send_later_than_its_slot_moves_the_later_slots(clock: FakeClock) -> None:
    """Once the server's window is full: a slot taken, then a slow journal write before the
    send, and the next slot keeps a full interval (less the slack) after the send itself."""
    subject = pacer(Rate(10, 1), clock)
    subject.observe(200, {"X-RateLimit-Remaining": "0"})  # the server's window is full
    interval = 1 / (10 * TIGHT)
    assert subject.acquire()
    clock.now += interval  # the write took a whole interval
    subject.sending()
    assert subject.acquire()
    assert clock.now == pytest.approx(START + interval * 1.5)


@pytest.mark.parametrize("full", [pytest.param(False, id="room"), pytest.param(True, id="full")])
def test_a_late_waiter_catches_up_only_while_the_server_has_room(
    full: bool, clock: FakeClock
) -> None:
    """A slot taken 80 ms late at 20 a second over 10 s: made up at once while the server
    has room; once its window is full, the next slot still comes half an interval later."""
    subject = pacer(Rate(200, 10), clock)
    if full:
        subject.observe(200, {"X-RateLimit-Remaining": "0"})
    interval = subject.interval
    assert interval is not None
    assert subject.acquire()
    clock.now += interval + 0.08
    late = send_times(subject, clock, 2)
    gap = late[1] - late[0]
    assert gap == (pytest.approx(interval / 2) if full else pytest.approx(0.0, abs=1e-9))
