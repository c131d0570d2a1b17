"""Pacing shared by the workers: even spacing, the server's limit and remaining, 429 pauses.

The fake clock: `sleep` moves it forward, so nothing here waits for real.
"""

from __future__ import annotations

import threading
from email.utils import formatdate

import pytest
import responses

from connector.batch import PacedSession, Pacer, Rate, parse_rate
from connector.batch._pacing import HEADROOM
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


def test_a_smaller_server_limit_lowers_the_rate(clock: FakeClock) -> None:
    """`X-RateLimit-Limit` below the configured limit is used, per the configured window."""
    subject = pacer(Rate(100, 10), clock)
    assert subject.acquire()
    subject.observe(200, {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49"})
    assert subject.limit == 50
    assert subject.interval == pytest.approx(10 / (50 * HEADROOM))


def test_a_larger_server_limit_does_not_raise_the_configured_rate(clock: FakeClock) -> None:
    """The configured rate is an upper bound."""
    subject = pacer(Rate(100, 10), clock)
    assert subject.acquire()
    subject.observe(200, {"X-RateLimit-Limit": "3000", "X-RateLimit-Remaining": "2999"})
    assert subject.limit == 100


def test_what_others_used_of_the_window_is_taken_off_the_limit(clock: FakeClock) -> None:
    """Remaining lower than the limit minus this batch's own sends: others share the window."""
    subject = pacer(Rate(100, 10), clock)
    send_times(subject, clock, 10)
    subject.observe(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "60"})
    assert subject.limit == 70  # 100 - 60 remaining - 10 of ours = 30 used by others
    clock.now += 11  # the window has moved on: ours and theirs are gone
    subject.observe(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99"})
    assert subject.limit == 99


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
    headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4"}
    responses.add(responses.PUT, url, json={}, headers=headers)
    responses.add(responses.PUT, url, json={}, status=429, headers={"Retry-After": "2"})
    responses.add(responses.PUT, url, json={}, headers=headers)
    subject = pacer(Rate(100, 10), clock)
    with PacedSession(subject) as session:
        assert session.put(url, timeout=1).status_code == 200
        assert subject.limit == 5
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
