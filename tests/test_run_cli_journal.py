"""`connector run` and its journal, end to end: real processes, real signals, a loopback
emulator of a small payments API (tests/data/batch/payments.json, imported as a user would).

A keyed POST (`create-charge`: the server picks the id, so every creation is a new charge)
and an unkeyed POST with the client's id and a read-back (`create-payout`).
"""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import Emulator, api_from_description, load_description
from connector.emulator._faults import Fault
from connector.openapi import import_description

DATA = Path(__file__).resolve().parent / "data" / "batch"
TIMEOUT = 60


class Payments:
    """The payments emulator, its base URL and the imported templates' paths."""

    def __init__(self, emulator: Emulator, base: str, folder: Path) -> None:
        self.emulator, self.base, self.folder = emulator, base, folder

    def template(self, name: str) -> str:
        """The path of an imported template."""
        return str(self.folder / f"{name}.json")

    def posts(self, path: str) -> list[Any]:
        """The POSTs the emulator received on `path` (`/charges`), oldest first."""
        return [
            r for r in self.emulator.app.requests if r.method == "POST" and r.path.endswith(path)
        ]

    def created(self, path: str) -> Counter[str]:
        """How many times each id was created on `path`: the POSTs answered 2xx (a POST cut
        off by `kill -9` before its body was whole is refused by the server, not created)."""
        return Counter(
            json.loads(r.body)["id"]
            for r in self.posts(path)
            if r.status is not None and 200 <= r.status < 300
        )

    def stored(self, kind: str) -> list[dict[str, Any]]:
        """What the emulator holds in a collection (`charges`), read as a client would."""
        import requests

        answer = requests.get(f"{self.base}/{kind}", params={"limit": 1000}, timeout=5)
        items: list[dict[str, Any]] = answer.json()
        return items

    def hold(self) -> None:
        """The next three requests are slow, the later ones held 10 s (so one is surely on the
        wire when a signal lands, however loaded the machine)."""
        self.emulator.app.inject(Fault(kind="stall", seconds=0.3), 3)
        self.emulator.app.inject(Fault(kind="stall", seconds=10.0), 1000)

    def settled(self) -> None:
        """Wait until every request received has been answered (held ones included)."""
        wait_for(lambda: all(r.status is not None for r in self.emulator.app.requests), "answers")


@pytest.fixture
def payments(tmp_path: Path) -> Iterator[Payments]:
    """The payments API served on loopback, and its operations imported as templates."""
    document = load_description(DATA / "payments.json")
    api = api_from_description(document)
    folder = tmp_path / "templates"
    folder.mkdir()
    for imported in import_description(document).imported:
        (folder / f"{imported.name}.json").write_text(json.dumps(imported.template))
    with Emulator(api=api) as emulator:
        yield Payments(emulator, emulator.url + api.prefix, folder)


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    """One JSON object per line."""
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def charges(count: int) -> list[dict[str, Any]]:
    """Inputs of `create-charge`."""
    return [{"reference": f"c-{n}", "amount": 10 + n, "currency": "USD"} for n in range(count)]


def payouts(count: int, **changed: dict[str, Any]) -> list[dict[str, Any]]:
    """Inputs of `create-payout`; `changed` maps `p-N` to changes of that input."""
    items = [{"id": f"p-{n}", "amount": 10 + n, "currency": "USD"} for n in range(count)]
    return [{**item, **changed.get(item["id"], {})} for item in items]


def command(payments: Payments, task: str, inputs: Path, *extra: str) -> list[str]:
    """`connector run TASK --inputs FILE --base-url <the emulator>` as a user types it."""
    run = [sys.executable, "-m", "connector", "run", payments.template(task)]
    return [*run, "--inputs", str(inputs), "--base-url", payments.base, "--rate", "none", *extra]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command to its end."""
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def start(args: list[str], cwd: Path, **options: Any) -> subprocess.Popen[str]:
    """Start the command and leave it running."""
    return subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options
    )


def results(path: Path) -> list[dict[str, Any]]:
    """The result lines of a results file."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds (bounded)."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def journal_rows(path: Path) -> dict[int, tuple[str, str | None]]:
    """line -> (state, key), read from the journal while a run writes it."""
    if not path.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            rows = db.execute("SELECT line, state, key FROM items").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return {}
    return {line: (state, key) for line, state, key in rows}


def busy(payments: Payments, journal: Path) -> Callable[[], bool]:
    """Some inputs done, and one request on the wire (held by the emulator)."""

    def check() -> bool:
        rows = journal_rows(journal)
        done = sum(state == "done" for state, _ in rows.values())
        on_the_wire = len(payments.emulator.app.requests) > done
        return done >= 3 and any(s == "sending" for s, _ in rows.values()) and on_the_wire

    return check


def signal_mid_batch(
    args: list[str], cwd: Path, payments: Payments, journal: Path, *signals: int
) -> tuple[subprocess.Popen[str], dict[int, tuple[str, str | None]]]:
    """Start the batch, send `signals` once it is busy; the process (ended) and the journal."""
    payments.hold()
    process = start(args, cwd)
    try:
        wait_for(busy(payments, journal), "a batch with some inputs done")
        for number in signals:
            process.send_signal(number)
            time.sleep(0.2)
        process.wait(TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
    payments.emulator.app.clear_faults()
    return process, journal_rows(journal)


def in_flight(rows: dict[int, tuple[str, str | None]]) -> dict[int, str | None]:
    """line -> key of the inputs journaled `sending` (sent, not answered)."""
    return {line: key for line, (state, key) in rows.items() if state == "sending"}


def sent_keys(payments: Payments, reference: str) -> list[str]:
    """The Idempotency-Key of every POST /charges for one input."""
    posts = payments.posts("/charges")
    return [
        p.headers.get("Idempotency-Key")
        for p in posts
        if json.loads(p.body)["reference"] == reference
    ]


def test_kill_9_then_a_keyed_post_is_sent_again_with_its_key_and_created_once(
    payments: Payments, tmp_path: Path
) -> None:
    """The in-flight keyed POSTs are resent with the journaled key; each charge exists once."""
    inputs = write_jsonl(tmp_path / "charges.jsonl", charges(20))
    args = command(payments, "create-charge", inputs, "--concurrency", "2")
    journal = tmp_path / "charges.results.journal"
    _, rows = signal_mid_batch(args, tmp_path, payments, journal, signal.SIGKILL)
    unsure = in_flight(rows)
    assert unsure and all(unsure.values())  # each key journaled before its send

    again = run([*args, "--json"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["completed"] == 20
    payments.settled()  # the held first sends land too, after the resend
    sent = {line: sent_keys(payments, f"c-{line - 1}") for line in unsure}
    for line, key in unsure.items():  # journaled `sending`: it may not have left the pacer
        assert set(sent[line]) == {key} and 1 <= len(sent[line]) <= 2
    assert any(len(keys) == 2 for keys in sent.values())  # one reached the server: resent
    references = Counter(charge["reference"] for charge in payments.stored("charges"))
    assert references == {f"c-{n}": 1 for n in range(20)}


def test_a_keyed_post_that_acted_but_lost_its_answer_is_retried_and_created_once(
    payments: Payments, tmp_path: Path
) -> None:
    """A connection dropped after the server acted: the retry carries the same key."""
    payments.emulator.app.inject(Fault(kind="reset", apply=True))
    inputs = write_jsonl(tmp_path / "charges.jsonl", charges(1))
    done = run(command(payments, "create-charge", inputs), tmp_path)
    assert done.returncode == 0, done.stderr
    keys = sent_keys(payments, "c-0")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(payments.stored("charges")) == 1
    (line,) = results(tmp_path / "charges.results.jsonl")
    assert line["response"]["headers"]["Idempotent-Replayed"] == "true"


def test_kill_9_then_an_unkeyed_post_is_unknown_until_the_read_back_resolves_it(
    payments: Payments, tmp_path: Path
) -> None:
    """UNKNOWN without --resolve; with it, the GET by the client's id settles it: not resent."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", payouts(12))
    args = command(payments, "create-payout", inputs, "--concurrency", "2")
    journal = tmp_path / "payouts.results.journal"
    _, rows = signal_mid_batch(args, tmp_path, payments, journal, signal.SIGKILL)
    unsure = set(in_flight(rows))
    assert unsure

    first = run([*args, "--json"], tmp_path)
    assert first.returncode == 1
    assert json.loads(first.stdout)["unknown"] == len(unsure)
    payments.settled()
    resolved = run([*args, "--json", "--resolve"], tmp_path)
    assert resolved.returncode == 0, resolved.stderr
    lines = results(tmp_path / "payouts.results.jsonl")
    assert [line["status"] for line in lines] == ["COMPLETED"] * 12
    resolved = {
        line["line"]
        for line in lines
        if any("resolved by read-back" in w for w in line["warnings"])
    }
    assert resolved and resolved <= unsure  # found (the others never reached it: sent now)
    posted = payments.created("/payouts")
    assert posted == {f"p-{n}": 1 for n in range(12)}


def test_an_unknown_line_can_be_marked_by_the_user(payments: Payments, tmp_path: Path) -> None:
    """`--mark LINE=completed|failed` settles UNKNOWN lines; other lines are refused."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", payouts(12))
    args = command(payments, "create-payout", inputs, "--concurrency", "2")
    journal = tmp_path / "payouts.results.journal"
    _, rows = signal_mid_batch(args, tmp_path, payments, journal, signal.SIGKILL)
    unsure = sorted(in_flight(rows))
    done_line = next(line for line, (state, _) in rows.items() if state == "done")
    refused = run([*args, "--mark", f"{done_line}=failed"], tmp_path)
    assert refused.returncode == 2
    assert f"--mark {done_line}: the journal records no unknown outcome" in refused.stderr
    marks = [f"--mark={line}={'failed' if n else 'completed'}" for n, line in enumerate(unsure)]
    marked = run([*args, "--json", *marks], tmp_path)
    statuses = {line["line"]: line for line in results(tmp_path / "payouts.results.jsonl")}
    assert statuses[unsure[0]]["status"] == "COMPLETED"
    for line in unsure[1:]:
        assert statuses[line]["error"]["kind"] == "marked"
    assert json.loads(marked.stdout)["unknown"] == 0
    posted = payments.created("/payouts")
    assert max(posted.values()) == 1


def test_correcting_bad_lines_sends_exactly_those_and_a_changed_sent_line_is_held(
    payments: Payments, tmp_path: Path
) -> None:
    """97 of 100 sent, 3 invalid corrected: the rerun sends those 3; an edited sent line is
    reported and not sent unless --resend-changed."""
    bad = {f"p-{n}": {"currency": "usd"} for n in (17, 42, 88)}
    inputs = write_jsonl(tmp_path / "payouts.jsonl", payouts(100, **bad))
    args = command(payments, "create-payout", inputs, "--json")
    first = json.loads(run(args, tmp_path).stdout)
    assert (first["completed"], first["failed"]) == (97, {"validation": 3})

    write_jsonl(inputs, payouts(100))
    second = run(args, tmp_path)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["sent"] == 3
    posted = Counter(json.loads(p.body)["id"] for p in payments.posts("/payouts"))
    assert posted == {f"p-{n}": 1 for n in range(100)}
    assert [line["line"] for line in results(tmp_path / "payouts.results.jsonl")] == list(
        range(1, 101)
    )

    write_jsonl(inputs, payouts(100, **{"p-5": {"amount": 99}}))
    held = run(args, tmp_path)
    assert held.returncode == 1
    assert "line 6: changed after it was sent" in held.stderr
    assert json.loads(held.stdout)["failed"] == {"changed": 1}
    assert len(payments.posts("/payouts")) == 100
    forced = run([*args, "--resend-changed"], tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["sent"] == 1


def test_two_runs_on_one_journal_send_each_input_once(payments: Payments, tmp_path: Path) -> None:
    """The second run is refused at once, naming the first; the first sends everything once."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", payouts(30))
    args = command(payments, "create-payout", inputs, "--concurrency", "1")
    payments.emulator.app.inject(Fault(kind="stall", seconds=0.3), 30)
    first = start(args, tmp_path)
    journal = tmp_path / "payouts.results.journal"
    wait_for(lambda: bool(journal_rows(journal)), "the first run to start sending")
    second = run(args, tmp_path)
    assert second.returncode == 2
    assert f"is in use by another run (process {first.pid}, started " in second.stderr
    _, errors = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 0, errors
    posted = Counter(json.loads(p.body)["id"] for p in payments.posts("/payouts"))
    assert posted == {f"p-{n}": 1 for n in range(30)}


@pytest.mark.parametrize(
    "signals",
    [
        pytest.param((signal.SIGINT, signal.SIGINT), id="double-ctrl-c"),
        pytest.param((signal.SIGTERM, signal.SIGTERM, signal.SIGINT), id="sigterm-and-more"),
    ],
)
def test_repeated_interrupts_still_write_results_the_summary_and_how_to_resume(
    payments: Payments, tmp_path: Path, signals: tuple[int, ...]
) -> None:
    """Exit 130 without waiting for held requests; results, summary and the resume command."""
    inputs = write_jsonl(tmp_path / "charges.jsonl", charges(20))
    args = command(payments, "create-charge", inputs, "--concurrency", "2")
    journal = tmp_path / "charges.results.journal"
    process, rows = signal_mid_batch(args, tmp_path, payments, journal, *signals)
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130, err
    done = {line for line, (state, _) in rows.items() if state == "done"}
    lines = results(tmp_path / "charges.results.jsonl")
    assert {line["line"] for line in lines} == done
    assert {line["status"] for line in lines} == {"COMPLETED"}
    assert f"interrupted: {len(done)}/20 completed" in out
    assert "to resume, run the same command again: connector run " in err
    assert in_flight(rows)  # left `sending`: not recorded as anything else

    again = run(args, tmp_path)
    assert again.returncode == 0, again.stderr
    payments.settled()
    references = Counter(charge["reference"] for charge in payments.stored("charges"))
    assert references == {f"c-{n}": 1 for n in range(20)}


def _small_files(limit: int) -> Callable[[], None]:
    """In the child: files may not grow past `limit` bytes (a full disk, for this process)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return apply


def test_a_full_disk_stops_the_run_before_an_unjournaled_send_and_the_command_resumes(
    payments: Payments, tmp_path: Path
) -> None:
    """Journal writes fail: nothing is sent that is not journaled; the same command finishes."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", payouts(60))
    args = command(payments, "create-payout", inputs, "--concurrency", "1")
    journal = tmp_path / "payouts.results.journal"
    full = start(args, tmp_path, preexec_fn=_small_files(96 * 1024))
    out, err = full.communicate(timeout=TIMEOUT)
    assert full.returncode == 1, err
    assert "/60 completed" in out  # the summary, and a results file, of what completed
    assert (tmp_path / "payouts.results.jsonl").exists()
    assert "cannot write the journal" in err and "to resume, run the same command again" in err
    rows = journal_rows(journal)
    posted = Counter(json.loads(p.body)["id"] for p in payments.posts("/payouts"))
    assert 0 < len(posted) < 60
    assert max(posted.values()) == 1
    assert {f"p-{line - 1}" for line in rows} >= set(posted)  # every send was journaled

    again = run([*args, "--resolve", "--json"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["completed"] == 60
    posted = Counter(json.loads(p.body)["id"] for p in payments.posts("/payouts"))
    assert posted == {f"p-{n}": 1 for n in range(60)}


def test_journal_options_are_refused_for_the_temporal_engine(tmp_path: Path) -> None:
    """--resolve, --mark and --resend-changed act on the local journal only: exit 2."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", payouts(1))
    base = [sys.executable, "-m", "connector", "run", "create-payout", "--inputs", str(inputs)]
    done = run([*base, "--engine", "temporal", "--resolve", "--mark", "1=failed"], tmp_path)
    assert done.returncode == 2
    assert "--resolve, --mark: only with --engine local" in done.stderr


def test_resolve_without_a_declared_read_back_is_refused(
    payments: Payments, tmp_path: Path
) -> None:
    """--resolve needs the template's idempotency.readBack; it says to use --mark instead."""
    inputs = write_jsonl(tmp_path / "charges.jsonl", charges(1))
    done = run(command(payments, "create-charge", inputs, "--resolve"), tmp_path)
    assert done.returncode == 2
    assert "declares no read-back" in done.stderr and "--mark" in done.stderr
    assert not payments.posts("/charges")
