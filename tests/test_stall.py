"""An attempt the server accepted but has not answered: the executor's stall events, the real
ticker, and the line `connector test-request` shows for it (on a terminal, with -v, else none).

The server is real (127.0.0.1, a random port) and holds the request until the test lets it go;
the executor's ticker and clock are injected, so the ticks come when the test says, never
after a sleep. The end-to-end runs start `connector` as a user does, with short timeouts.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from _clock import FakeClock
from _scripted_server import Reply, ScriptedServer, Stall

from connector import Executor, Task
from connector._stall import Stall as StallEvent
from connector._stall import ticking
from connector._template import parse_template
from connector.cli._progress import StallLine, stall_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "upsert-payout-request.json")
KEY = "sk_sandbox_STALLKEY0001"


class DrivenTicker:
    """A ticker the test drives: once the server holds the request, `ticks` ticks, the clock
    moved one second before each, then the server lets the request go. Records, at each
    tick, whether the server was still holding it."""

    def __init__(self, server: ScriptedServer, clock: FakeClock, ticks: int = 3) -> None:
        self.server, self.clock, self.ticks = server, clock, ticks
        self.held_at_tick: list[bool] = []
        self.every: list[float] = []

    @contextmanager
    def __call__(self, every: float, tick: Callable[[], None]) -> Iterator[None]:
        self.every.append(every)

        def drive() -> None:
            assert self.server.stalled.wait(10)
            for _ in range(self.ticks):
                self.clock.now += 1.0
                self.held_at_tick.append(not self.server.release.is_set())
                tick()
            self.server.release.set()

        driver = threading.Thread(target=drive, daemon=True)
        driver.start()
        try:
            yield
        finally:
            driver.join(10)


def make_task() -> Task:
    """A small PUT template sent to the base URL given at run time."""
    document = {
        "name": "test-stall",
        "title": "test",
        "servers": {"sandbox": "http://127.0.0.1:9/unused"},
        "auth": [{"type": "apiKey", "header": "REB-APIKEY", "env": "REBILLY_API_KEY"}],
        "httpRequest": {"url": "/things/<<id>>", "method": "PUT", "body": {"n": "<<n>>"}},
        "successStatusCodes": [200, 201],
        "retry": {"maxAttempts": 1},
    }
    return Task(parse_template(document, source="test"))


def test_a_held_request_is_heard_at_each_tick_until_it_is_answered() -> None:
    """While the server holds the request, each tick is a Stall: attempt, seconds, timeouts."""
    clock = FakeClock()
    heard: list[StallEvent] = []
    with ScriptedServer(Stall(then=Reply(201, {"id": "t-1"}))) as server:
        ticker = DrivenTicker(server, clock)
        executor = Executor(
            clock=clock,
            environ={"REBILLY_API_KEY": KEY},
            on_stall=heard.append,
            ticker=ticker,
            stall_every=0.5,
        )
        result = executor.run(
            make_task(), {"id": "t-1", "n": 1}, base_url=server.url, read_timeout=5, deadline=30
        )
    assert result.status == "COMPLETED"
    assert ticker.every == [0.5]
    assert ticker.held_at_tick == [True, True, True]
    assert [(s.attempt, s.waited, s.read_timeout, s.deadline_in) for s in heard] == [
        (1, 1.0, 5.0, 29.0),
        (1, 2.0, 5.0, 28.0),
        (1, 3.0, 5.0, 27.0),
    ]


def test_no_ticker_runs_without_a_listener() -> None:
    """An executor nobody listens to for stalls starts no ticker (no thread per attempt)."""
    started: list[float] = []

    @contextmanager
    def ticker(every: float, tick: Callable[[], None]) -> Iterator[None]:
        started.append(every)
        yield

    with ScriptedServer(Reply(200)) as server:
        result = Executor(environ={"REBILLY_API_KEY": KEY}, ticker=ticker).run(
            make_task(), {"id": "t-1", "n": 1}, base_url=server.url
        )
    assert result.status == "COMPLETED"
    assert started == []


def test_the_real_ticker_ticks_on_its_thread_and_stops_with_the_block() -> None:
    """`ticking` calls back from another thread while the block runs, and never after it."""
    ticks: list[str] = []
    third = threading.Event()

    def tick() -> None:
        ticks.append(threading.current_thread().name)
        if len(ticks) == 3:
            third.set()

    with ticking(0.01, tick):
        assert third.wait(10)
    after = len(ticks)
    assert third.is_set()
    assert set(ticks) == {"connector-stall-ticker"}
    assert not any(t.name == "connector-stall-ticker" for t in threading.enumerate())
    assert len(ticks) == after


@pytest.mark.parametrize(
    ("stall", "text"),
    [
        pytest.param(
            StallEvent(2, 3.2, 10, 40),
            "connector: attempt 2: waiting for a response: 3 s of the 10 s read timeout",
            id="within-read-timeout",
        ),
        pytest.param(
            StallEvent(1, 12, 10, 18),
            "connector: attempt 1: waiting for a response: 12 s "
            "(each read may take 10 s; the deadline is in 18 s)",
            id="body-trickling",
        ),
    ],
)
def test_the_stall_line_says_how_long_against_what_ends_it(stall: StallEvent, text: str) -> None:
    """The line gives the attempt, the seconds waited and the timeout (numbers only)."""
    assert stall_text(stall) == text


def _ticks(line: StallLine, count: int) -> None:
    @contextmanager
    def no_thread(every: float, tick: Callable[[], None]) -> Iterator[None]:
        yield

    line._ticker = no_thread
    with line.ticking(1.0, lambda: None):
        for second in range(1, count + 1):
            line.show(StallEvent(1, float(second), 30, 60 - second))


def test_on_a_terminal_the_line_is_rewritten_and_erased_with_the_answer() -> None:
    """In place: each tick rewrites the one line; when the attempt ends it is erased."""
    stream = io.StringIO()
    _ticks(StallLine(stream, in_place=True), 2)
    assert stream.getvalue() == (
        "\rconnector: attempt 1: waiting for a response: 1 s of the 30 s read timeout\x1b[K"
        "\rconnector: attempt 1: waiting for a response: 2 s of the 30 s read timeout\x1b[K"
        "\r\x1b[K"
    )


def test_as_plain_lines_it_is_told_at_the_first_second_and_every_fifth() -> None:
    """Plain lines (-v): the first tick and every fifth, nothing to erase."""
    stream = io.StringIO()
    _ticks(StallLine(stream, in_place=False), 11)
    seconds = [line.split(": ")[3].split()[0] for line in stream.getvalue().splitlines()]
    assert seconds == ["1", "5", "10"]


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "verbose", "level", "as_json", "shown"),
    [
        pytest.param(True, 0, None, False, "in place", id="terminal"),
        pytest.param(True, 0, None, True, None, id="terminal-json"),
        pytest.param(False, 0, None, False, None, id="pipe"),
        pytest.param(False, 1, None, False, "lines", id="pipe-verbose"),
        pytest.param(True, 1, None, False, "lines", id="terminal-verbose"),
        pytest.param(False, 0, "info", True, "lines", id="log-level-info-json"),
        pytest.param(False, 0, "warning", False, None, id="log-level-warning"),
    ],
)
def test_the_line_is_shown_where_a_person_looks(
    tty: bool, verbose: int, level: str | None, as_json: bool, shown: str | None
) -> None:
    """A terminal gets the line in place; -v or --log-level info gets plain lines; else none."""
    args = SimpleNamespace(verbose=verbose, log_level=level, json=as_json)
    line = StallLine.for_run(args, _Stream(tty))
    assert (None if line is None else "in place" if line.in_place else "lines") == shown


def _command(server: ScriptedServer, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "connector", "test-request", "upsert-payout-request",
        "--input", EXAMPLE, "--base-url", f"{server.url}/organizations/org-demo",
        "--read-timeout", "2.5", "--max-attempts", "1", *extra,
    ]  # fmt: skip


def _environ() -> dict[str, str]:
    return {**os.environ, "REBILLY_API_KEY": KEY}


def test_test_request_with_verbose_tells_a_held_read_on_stderr() -> None:
    """`connector test-request -v` against a server that holds the request says it waits."""
    with ScriptedServer(Stall()) as server:
        done = subprocess.run(
            _command(server, "-v"),
            capture_output=True,
            text=True,
            env=_environ(),
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("FAILED")
    line = "connector: attempt 1: waiting for a response: 1 s of the 2.5 s read timeout\n"
    assert line in done.stderr
    assert "did not answer within 2.5 s" in done.stdout
    assert KEY not in done.stdout + done.stderr


def test_test_request_on_a_terminal_rewrites_the_line_then_erases_it() -> None:
    """On a terminal the line is rewritten in place, erased before the report goes on."""
    primary, secondary = pty.openpty()
    with ScriptedServer(Stall()) as server:
        child = subprocess.Popen(
            _command(server), stdout=subprocess.PIPE, stderr=secondary, env=_environ()
        )
        os.close(secondary)
        seen = _read_until_closed(primary)
        out, _ = child.communicate(timeout=60)
    os.close(primary)
    assert child.returncode == 1
    text = seen.decode()
    assert (
        "\rconnector: attempt 1: waiting for a response: 1 s of the 2.5 s read timeout\x1b[K"
        in (text)
    )
    assert text.rstrip("\n").endswith("\r\x1b[K")
    assert KEY not in text + out.decode()


def _read_until_closed(fd: int, timeout: float = 60) -> bytes:
    """What a pseudo-terminal received until the child closed it (bounded)."""
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return b"".join(chunks)
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child has closed its side
            return b"".join(chunks)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
