"""Resolving unknown outcomes: the read-back before resending, and the user's `--mark`.
HTTP is faked at the session boundary; the end-to-end cases are in test_run_cli_journal.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

from connector import load_task
from connector._errors import UsageError
from connector._task import Task
from connector.batch import (
    BatchRunner,
    InputItem,
    Journal,
    Pacer,
    PlainProgress,
    Target,
    check_inputs,
    identify,
    mark,
    parse_mark,
    read_back_task,
)
from tests._clock import FakeClock

BASE = "https://payments.example/v1"
POST_TASK = Path(__file__).resolve().parent / "data" / "batch" / "post-payout.json"


@pytest.fixture
def task() -> Task:
    """An unkeyed POST with the client's id, read back by GET /payouts/<<id>>."""
    return load_task(str(POST_TASK))


def item(line: int) -> InputItem:
    """A payout input on `line`."""
    return InputItem(line, {"id": f"p-{line}", "amount": 10, "currency": "USD"})


def left_sending(journal: Journal, items: list[InputItem]) -> None:
    """As a killed run leaves them: sent, no answer recorded."""
    for identity, one in identify(items):
        journal.sending(identity, one.line, one.digest)


def run(task: Task, journal: Journal, items: list[InputItem], *, resolve: bool) -> list[Any]:
    """One worker, on a fake clock; the journal's result lines afterwards."""
    runner = BatchRunner(
        task,
        journal,
        target=Target(base_url=BASE, environ={}),
        pacer=Pacer(None, clock=FakeClock()),
        concurrency=1,
        clock=FakeClock(),
        resolve=resolve,
    )
    plan = check_inputs(items, journal)
    with PlainProgress(plan.total, plan.done, every=3600) as progress:
        runner.run(items, progress, plan)
    return [json.loads(text) for text in journal.records()]


def test_the_read_back_is_a_get_of_the_declared_url(task: Task) -> None:
    """The read-back task sends GET to the declared path with the input's id, no body."""
    lookup = read_back_task(task)
    assert lookup is not None
    request = lookup.prepare({"id": "p-1"}, environment=None, base_url=BASE, environ={})
    assert (request.method, request.url, request.body) == ("GET", f"{BASE}/payouts/p-1", None)


@responses.activate
def test_found_is_completed_and_not_found_is_sent_once(task: Task, tmp_path: Path) -> None:
    """A 200 read-back settles the input COMPLETED; a 404 means it never landed: it is sent."""
    responses.add(responses.GET, f"{BASE}/payouts/p-1", json={"id": "p-1"}, status=200)
    responses.add(responses.GET, f"{BASE}/payouts/p-2", json={}, status=404)
    responses.add(responses.POST, f"{BASE}/payouts", json={"id": "p-2"}, status=201)
    with Journal(tmp_path / "j", task=task.name) as journal:
        left_sending(journal, [item(1), item(2)])
        lines = run(task, journal, [item(1), item(2)], resolve=True)
    assert [line["status"] for line in lines] == ["COMPLETED", "COMPLETED"]
    assert "resolved by read-back" in lines[0]["warnings"][-1]
    posts = [call.request.url for call in responses.calls if call.request.method == "POST"]
    assert posts == [f"{BASE}/payouts"]


@responses.activate
def test_without_resolve_or_with_an_unclear_read_back_it_stays_unknown(
    task: Task, tmp_path: Path
) -> None:
    """No --resolve: UNKNOWN, nothing sent; a read-back answering 500: still UNKNOWN."""
    responses.add(responses.GET, f"{BASE}/payouts/p-1", json={}, status=500)
    with Journal(tmp_path / "j", task=task.name) as journal:
        left_sending(journal, [item(1)])
        assert run(task, journal, [item(1)], resolve=False)[0]["status"] == "UNKNOWN"
        assert not responses.calls
        (line,) = run(task, journal, [item(1)], resolve=True)
    assert line["status"] == "UNKNOWN"
    assert "read-back answered 500" in line["error"]["message"]
    assert all(call.request.method == "GET" for call in responses.calls)


def test_marks_settle_unknown_lines_only(task: Task, tmp_path: Path) -> None:
    """`--mark 1=completed` and `2=failed` settle UNKNOWN lines; a line never sent is refused."""
    assert parse_mark("2=failed") == (2, "failed")
    assert parse_mark("3=done") == (3, "completed")
    with pytest.raises(ValueError, match="LINE=completed"):
        parse_mark("2=paid")
    items = [item(1), item(2), item(3)]
    with Journal(tmp_path / "j", task=task.name) as journal:
        left_sending(journal, items[:2])
        with pytest.raises(UsageError, match="--mark 3: the journal records no unknown"):
            mark(journal, items, [(3, "completed")], "POST")
        with pytest.raises(UsageError, match="--mark 9: the inputs have no input"):
            mark(journal, items, [(9, "completed")], "POST")
        mark(journal, items, [(1, "completed"), (2, "failed")], "POST")
        first, second = (json.loads(text) for text in journal.records())
    assert (first["status"], second["status"]) == ("COMPLETED", "FAILED")
    assert second["error"]["kind"] == "marked"
