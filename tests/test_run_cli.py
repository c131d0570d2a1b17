"""`connector run`, end to end: the command as a user starts it, against a loopback emulator.

Includes the crash test: `kill -9` of a running batch, then the same command again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.emulator import Emulator

DATA = Path(__file__).resolve().parent / "data" / "batch"
KEY = "sk_local_BATCHTESTKEY0"
TIMEOUT = 60


def payout(number: int, **changes: Any) -> dict[str, Any]:
    """A valid input of the upsert task."""
    item = {"id": f"po-{number}", "organizationId": "org-1", "websiteId": "web-1"}
    item.update(customerId="cust-1", currency="USD", amount=10 + number)
    item.update(changes)
    return item


def write_jsonl(path: Path, items: list[Any]) -> Path:
    """One JSON value per line (a str is written as it is)."""
    lines = [item if isinstance(item, str) else json.dumps(item) for item in items]
    path.write_text("\n".join(lines) + "\n")
    return path


def command(task: str, inputs: Path, emulator: Emulator, *extra: str) -> list[str]:
    """`connector run TASK --inputs FILE --base-url <the emulator>` as a user types it."""
    base = emulator.base_url("org-1")
    run = [sys.executable, "-m", "connector", "run", task]
    return [*run, "--inputs", str(inputs), "--base-url", base, *extra]


def environ() -> dict[str, str]:
    """The process environment with a local key and no real credential."""
    env = {k: v for k, v in os.environ.items() if k not in {"REBILLY_API_KEY", "REBILLY_JWT"}}
    return {**env, "REBILLY_API_KEY": KEY}


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command to its end."""
    return subprocess.run(
        args, cwd=cwd, env=environ(), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def results(path: Path) -> list[dict[str, Any]]:
    """The result lines of a results file."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def received(emulator: Emulator) -> Counter[str]:
    """How many API requests the emulator received per payout request id."""
    answer = requests.get(f"{emulator.url}/_emulator/requests", timeout=5)
    return Counter(item["path"].rsplit("/", 1)[-1] for item in answer.json())


def test_a_batch_sends_every_valid_input_and_writes_results_in_input_order(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Every valid line is sent once; results are in input order with their line numbers."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", [payout(n) for n in range(12)])
    done = run(command("upsert-payout-request", inputs, emulator, "--rate", "none"), tmp_path)
    assert done.returncode == 0, done.stderr
    lines = results(tmp_path / "payouts.results.jsonl")
    assert [line["line"] for line in lines] == list(range(1, 13))
    assert {line["status"] for line in lines} == {"COMPLETED"}
    assert lines[0]["response"]["statusCode"] == 201
    assert received(emulator) == {f"po-{n}": 1 for n in range(12)}
    assert "12/12 completed" in done.stdout
    assert KEY not in done.stdout + done.stderr + (tmp_path / "payouts.results.jsonl").read_text()


def test_invalid_lines_are_reported_with_their_field_and_never_sent(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A broken line and an invalid input are reported by line and field; the rest go on."""
    items = [payout(1), '{"id": "po-2", "amount": ', payout(3, currency="usd"), [1], payout(5)]
    inputs = write_jsonl(tmp_path / "payouts.jsonl", items)
    done = run(command("upsert-payout-request", inputs, emulator, "--json"), tmp_path)
    assert done.returncode == 1
    assert "line 2: invalid input" in done.stderr
    assert "line 3: invalid input" in done.stderr and "currency:" in done.stderr
    lines = results(tmp_path / "payouts.results.jsonl")
    assert [line["status"] for line in lines] == [
        "COMPLETED",
        "FAILED",
        "FAILED",
        "FAILED",
        "COMPLETED",
    ]
    assert lines[2]["error"]["fieldErrors"][0]["field"] == "currency"
    assert lines[2]["request"] is None
    assert received(emulator) == {"po-1": 1, "po-5": 1}
    summary = json.loads(done.stdout)
    assert summary["completed"] == 2 and summary["failed"] == {"validation": 3}
    assert summary["sent"] == 2 and summary["latencyMs"]["p50"] is not None


def test_csv_columns_are_typed_through_the_input_schema(emulator: Emulator, tmp_path: Path) -> None:
    """CSV cells become numbers and booleans where the task's inputs say so."""
    inputs = tmp_path / "payouts.csv"
    inputs.write_text(
        "id,organizationId,websiteId,customerId,currency,amount,blocked\n"
        "po-1,org-1,web-1,cust-1,USD,10.5,false\n"
        "po-2,org-1,web-1,cust-1,USD,ten,\n"
    )
    done = run(command("upsert-payout-request", inputs, emulator), tmp_path)
    assert done.returncode == 1
    first, second = results(tmp_path / "payouts.results.jsonl")
    assert first["request"]["body"]["amount"] == 10.5
    assert first["request"]["body"]["blocked"] is False
    assert second["line"] == 3
    problem = {"field": "amount", "message": "'ten' is not a number"}
    assert second["error"]["fieldErrors"] == [problem]


def test_the_same_command_again_sends_nothing_that_completed(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A finished batch run again sends nothing and reports the same results."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", [payout(n) for n in range(5)])
    args = command("upsert-payout-request", inputs, emulator)
    assert run(args, tmp_path).returncode == 0
    again = run([*args, "--json"], tmp_path)
    assert again.returncode == 0
    assert json.loads(again.stdout)["sent"] == 0
    assert received(emulator) == {f"po-{n}": 1 for n in range(5)}
    assert len(results(tmp_path / "payouts.results.jsonl")) == 5


def test_an_edited_inputs_file_sends_only_new_inputs_and_holds_a_changed_sent_one(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The journal knows inputs by content: a new line is sent; a sent line that was edited is
    reported and not sent (exit 1)."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", [payout(1), payout(2)])
    args = command("upsert-payout-request", inputs, emulator)
    assert run(args, tmp_path).returncode == 0
    write_jsonl(inputs, [payout(1, amount=99), payout(2), payout(3)])
    again = run(args, tmp_path)
    assert again.returncode == 1
    assert "line 1: changed after it was sent" in again.stderr
    assert received(emulator) == {"po-1": 1, "po-2": 1, "po-3": 1}


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds (bounded)."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def journal_states(path: Path) -> dict[int, str]:
    """line -> state, read from the journal while a run writes it."""
    if not path.exists():
        return {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        try:
            return dict(db.execute("SELECT line, state FROM items").fetchall())
        except sqlite3.OperationalError:  # the run has not created the table yet
            return {}


def kill_mid_batch(args: list[str], cwd: Path, emulator: Emulator, journal: Path) -> dict[int, str]:
    """Start the batch with a slow emulator; `kill -9` it once some inputs are done and a
    request is on the wire. Returns the journal's states at the kill (line -> state)."""
    # the first requests are slow, the later ones held long enough that one is surely still
    # on the wire when the kill lands, however loaded the machine is (stopping ends them)
    for faults in (
        {"kind": "stall", "seconds": 0.3, "count": 3},
        {"kind": "stall", "seconds": 10, "count": 1000},
    ):
        requests.post(f"{emulator.url}/_emulator/faults", json=faults, timeout=5)
    process = subprocess.Popen(
        args, cwd=cwd, env=environ(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def some_done_and_one_on_the_wire() -> bool:
            states = journal_states(journal)
            done = sum(state == "done" for state in states.values())
            on_the_wire = sum(received(emulator).values()) > done
            return done >= 3 and "sending" in states.values() and on_the_wire

        wait_for(some_done_and_one_on_the_wire, "a batch with some inputs done")
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(TIMEOUT)
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5)
    return journal_states(journal)


def in_flight(states: dict[int, str]) -> set[int]:
    """The lines marked `sending` and not answered."""
    return {line for line, state in states.items() if state == "sending"}


def ids(lines: set[int]) -> set[str]:
    """The payout request ids of `payout(n)` inputs on these lines (line = n + 1)."""
    return {f"po-{line - 1}" for line in lines}


def test_kill_9_then_the_same_command_finishes_a_put_batch_creating_each_payout_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    """After `kill -9`, the rerun completes the batch; an in-flight PUT is safe to resend."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", [payout(n) for n in range(20)])
    args = command("upsert-payout-request", inputs, emulator, "--concurrency", "2")
    journal = tmp_path / "payouts.results.journal"
    states = kill_mid_batch([*args, "--rate", "none"], tmp_path, emulator, journal)
    resent = in_flight(states)
    assert resent

    again = run([*args, "--json"], tmp_path)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["completed"] == 20 and summary["unknown"] == 0
    assert summary["sent"] == 20 - sum(state == "done" for state in states.values())
    lines = results(tmp_path / "payouts.results.jsonl")
    assert [line["status"] for line in lines] == ["COMPLETED"] * 20
    counts = received(emulator)
    for number in range(20):
        sent_twice_at_most = f"po-{number}" in ids(resent)
        assert 1 <= counts[f"po-{number}"] <= (2 if sent_twice_at_most else 1), number
        assert emulator.resource("org-1", f"po-{number}") is not None
    created = [line for line in lines if line["response"]["statusCode"] == 201]
    assert len(created) >= 20 - len(resent)


def test_kill_9_then_the_same_command_reports_an_in_flight_post_as_unknown(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A POST that was on the wire at the kill is never sent again: it is UNKNOWN."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", [payout(n) for n in range(12)])
    task = str(DATA / "post-payout-request.json")
    args = command(task, inputs, emulator, "--concurrency", "2")
    journal = tmp_path / "payouts.results.journal"
    unsure = in_flight(kill_mid_batch([*args, "--rate", "none"], tmp_path, emulator, journal))
    assert unsure

    again = run([*args, "--json"], tmp_path)
    assert again.returncode == 1
    summary = json.loads(again.stdout)
    assert summary["unknown"] == len(unsure)
    lines = results(tmp_path / "payouts.results.jsonl")
    assert len(lines) == 12
    assert {line["line"] for line in lines if line["status"] == "UNKNOWN"} == unsure
    assert {line["error"]["kind"] for line in lines if line["line"] in unsure} == {"unknown"}
    assert "not safe to repeat" in again.stderr
    counts = received(emulator)
    assert all(count == 1 for count in counts.values()), counts
    assert set(counts) >= {f"po-{n}" for n in range(12)} - ids(unsure)
    assert set(counts) & ids(unsure)  # at least one in-flight POST had reached the server


def test_live_is_refused_without_confirmation(tmp_path: Path) -> None:
    """A batch to live needs --yes, as a test request does; nothing is sent (exit 2)."""
    inputs = write_jsonl(tmp_path / "payouts.jsonl", [payout(1)])
    args = [sys.executable, "-m", "connector", "run", "upsert-payout-request"]
    done = run([*args, "--inputs", str(inputs), "--environment", "live"], tmp_path)
    assert done.returncode == 2
    assert "live" in done.stderr and "--yes" in done.stderr
    assert not (tmp_path / "payouts.results.jsonl").exists()
