"""The runner, the journal and the summary, with HTTP faked at the session boundary.

The end-to-end behaviour (subprocess, emulator, `kill -9`) is in test_run_cli.py; here the
clock is fake, so pacing under a 429 is checked without waiting.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import responses

from connector import Task, load_task
from connector._errors import JournalError, UsageError
from connector.batch import (
    BatchRunner,
    InputItem,
    Journal,
    Pacer,
    PlainProgress,
    Rate,
    Tally,
    Target,
    check_inputs,
    journal_path,
    summary_lines,
    unknown_record,
    write_results,
)
from tests._clock import FakeClock

BASE = "https://api-sandbox.rebilly.com/organizations/org-1"
KEY = "sk_sandbox_RUNNERTESTKEY1"
POST_TASK = Path(__file__).resolve().parent / "data" / "batch" / "post-payout-request.json"


def item(line: int, **changes: Any) -> InputItem:
    """A valid upsert input on `line`."""
    inputs = {"id": f"po-{line}", "websiteId": "web-1", "customerId": "cust-1"}
    return InputItem(line, {**inputs, "currency": "USD", "amount": 10, **changes})


def runner(task: Task, journal: Journal, clock: FakeClock, rate: Rate | None) -> BatchRunner:
    """One worker (a deterministic order), on the fake clock."""
    return BatchRunner(
        task,
        journal,
        target=Target(base_url=BASE, environ={"REBILLY_API_KEY": KEY}),
        pacer=Pacer(rate, clock=clock),
        concurrency=1,
        clock=clock,
    )


def run_all(subject: BatchRunner, journal: Journal, items: list[InputItem]) -> Any:
    """Check, then run; the journal's result lines."""
    plan = check_inputs(items, journal)
    with PlainProgress(plan.total, plan.done, every=3600) as progress:
        subject.run(items, progress, plan)
    return [json.loads(text) for text in journal.records()]


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    """A fresh journal for the upsert task."""
    with Journal(tmp_path / "run.journal", task="upsert-payout-request") as opened:
        yield opened


@responses.activate
def test_a_429_pauses_the_batch_until_the_server_allows_and_the_put_is_retried(
    task: Task, journal: Journal, clock: FakeClock
) -> None:
    """The executor retries the 429 after its Retry-After; the next input waits as well."""
    sent_at: list[float] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        sent_at.append(clock.monotonic())
        if len(sent_at) == 2:
            return 429, {"Retry-After": "30", "X-RateLimit-Remaining": "0"}, "{}"
        return 201, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "90"}, "{}"

    responses.add_callback(responses.PUT, f"{BASE}/payout-requests/po-1", callback=answer)
    responses.add_callback(responses.PUT, f"{BASE}/payout-requests/po-2", callback=answer)
    responses.add_callback(responses.PUT, f"{BASE}/payout-requests/po-3", callback=answer)
    subject = runner(task, journal, clock, Rate(100, 10))
    lines = run_all(subject, journal, [item(1), item(2), item(3)])
    assert [line["status"] for line in lines] == ["COMPLETED"] * 3
    assert [a["statusCode"] for a in lines[1]["attempts"]] == [429, 201]
    assert sent_at[2] - sent_at[1] >= 30  # the retry waited for the server
    assert sent_at[3] - sent_at[1] >= 30  # and so did the next input
    assert subject.pacer.refusals == 1


@responses.activate
def test_rate_limit_headers_lower_the_pace_of_the_batch(
    task: Task, journal: Journal, clock: FakeClock
) -> None:
    """A server budget of 9 for the 10 s until its reset spreads the inputs ~1.1 s apart."""
    sent_at: list[float] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        sent_at.append(clock.monotonic())
        return 201, {"RateLimit": '"default";r=9;t=10'}, "{}"

    for line in range(1, 6):
        responses.add_callback(responses.PUT, f"{BASE}/payout-requests/po-{line}", callback=answer)
    run_all(runner(task, journal, clock, Rate(100, 10)), journal, [item(n) for n in range(1, 6)])
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert gaps[-1] == pytest.approx(10 / 9, rel=0.01)


@responses.activate
def test_an_invalid_input_is_recorded_and_never_sent(task: Task, journal: Journal) -> None:
    """Render and validation errors become FAILED validation lines with their fields."""
    responses.add(responses.PUT, f"{BASE}/payout-requests/po-1", json={}, status=201)
    broken = InputItem(2, None, (), "{")
    lines = run_all(
        runner(task, journal, FakeClock(), None), journal, [item(1), broken, item(3, amount="x")]
    )
    assert [line["status"] for line in lines] == ["COMPLETED", "FAILED", "FAILED"]
    assert lines[2]["error"]["fieldErrors"][0]["field"] == "amount"
    assert len(responses.calls) == 1


@responses.activate
def test_a_post_left_sending_by_a_dead_run_is_unknown_and_not_sent(tmp_path: Path) -> None:
    """A `sending` row of a task that is not safe to repeat is reported, not sent again."""
    task = load_task(str(POST_TASK))
    with Journal(tmp_path / "post.journal", task=task.name) as journal:
        first, second = item(1), item(2)
        journal.sending(f"{first.digest}.1", first.line, first.digest)
        responses.add(responses.POST, f"{BASE}/payout-requests/po-2", json={}, status=201)
        lines = run_all(runner(task, journal, FakeClock(), None), journal, [first, second])
    assert [line["status"] for line in lines] == ["UNKNOWN", "COMPLETED"]
    assert lines[0]["error"]["kind"] == "unknown"
    assert [call.request.url for call in responses.calls] == [f"{BASE}/payout-requests/po-2"]


@responses.activate
def test_a_put_left_sending_by_a_dead_run_is_sent_again(task: Task, journal: Journal) -> None:
    """A PUT is idempotent: the unknown outcome is resolved by sending it again."""
    first = item(1)
    journal.sending(f"{first.digest}.1", first.line, first.digest)
    responses.add(responses.PUT, f"{BASE}/payout-requests/po-1", json={}, status=200)
    lines = run_all(runner(task, journal, FakeClock(), None), journal, [first])
    assert [line["status"] for line in lines] == ["COMPLETED"]


def test_a_journal_of_another_task_is_refused(tmp_path: Path) -> None:
    """One journal, one task: naming it for another task stops before anything is sent."""
    Journal(tmp_path / "j", task="upsert-payout-request").close()
    with pytest.raises(UsageError, match="belongs to a batch of task 'upsert-payout-request'"):
        Journal(tmp_path / "j", task="another-task")


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    """A results file given as --journal by mistake is not overwritten."""
    path = tmp_path / "results.jsonl"
    path.write_text('{"line": 1}\n' * 100)
    with pytest.raises(JournalError, match="is not a batch journal"):
        Journal(path, task="upsert-payout-request")
    assert path.read_text().startswith('{"line": 1}')


def test_check_inputs_finds_inputs_by_content_wherever_they_moved(journal: Journal) -> None:
    """The journal knows an input by its content: moved lines are still done, new ones are not."""
    for line in (1, 2):
        done = item(line)
        journal.done(f"{done.digest}.1", line, done.digest, {"status": "COMPLETED"})
    moved = [
        InputItem(1, item(3).inputs),
        InputItem(2, item(2).inputs),
        InputItem(3, item(1).inputs),
    ]
    assert check_inputs(moved, journal).done == 2
    with pytest.raises(JournalError, match="belongs to other inputs"):
        check_inputs([item(7), item(8)], journal)


def test_the_journal_sits_beside_the_results() -> None:
    """`payouts.results.jsonl` -> `payouts.results.journal`."""
    assert journal_path(Path("out/payouts.results.jsonl")) == Path("out/payouts.results.journal")


def test_results_are_written_in_input_order_whatever_the_finishing_order(
    journal: Journal, tmp_path: Path
) -> None:
    """The journal hands back result lines by line number; the file is replaced whole."""
    for line in (3, 1, 2):
        journal.done(f"d{line}", line, "d", {"line": line, "status": "COMPLETED"})
    target = tmp_path / "results.jsonl"
    target.write_text("old\n")
    assert write_results(target, journal.records()) == 3
    assert [json.loads(text)["line"] for text in target.read_text().splitlines()] == [1, 2, 3]


def test_the_summary_counts_kinds_and_latency_percentiles() -> None:
    """Completed, failed by kind, unknown, sent, throughput and nearest-rank p50/p95."""
    tally = Tally()
    for elapsed in range(1, 21):
        tally.add({"status": "COMPLETED", "elapsedMs": float(elapsed)}, sent=True)
    tally.add({"status": "FAILED", "error": {"kind": "validation"}})
    tally.add({"status": "FAILED", "error": {"kind": "http"}, "elapsedMs": 5.0}, sent=True)
    tally.add(unknown_record(30, "POST"))
    tally.add({"status": "COMPLETED", "elapsedMs": 999.0})  # done by an earlier run
    summary = tally.summary(2.0, results="r.jsonl")
    assert (summary.total, summary.completed, summary.unknown, summary.sent) == (24, 21, 1, 21)
    assert summary.failed == {"http": 1, "validation": 1}
    assert summary.throughput == 10.5
    assert (summary.latency_ms.p50, summary.latency_ms.p95) == (10.0, 19.0)
    text = "\n".join(summary_lines(summary))
    assert "21/24 completed" in text and "failed (validation): 1" in text
    assert "unknown" in text and "p95 19 ms" in text
    assert not summary.ok
