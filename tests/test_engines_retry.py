"""One rule for every engine: a step the connector may not repeat is never retried by an
engine export (SimWorkflow, Conductor) nor by a second Temporal activity attempt.

Checked over every shipped template and a sample of operations imported from public
descriptions (a payout API, a checkout API, the pet store), each asking `retry_allowed`.
"""

from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path

import pytest

from connector._catalog import load_task, task_names
from connector._idempotency import retry_allowed
from connector._task import Task
from connector._template import parse_template
from connector.engines import ExportOptions, export_task
from connector.openapi import import_description, load_description

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openapi"
SAMPLED = ("corpus/adyen-PayoutService-v68.json", "corpus/oai-petstore.yaml")
UNSAFE = ("POST", "PATCH")


@cache
def _imported() -> tuple[Task, ...]:
    """The sampled descriptions' operations whose method is not idempotent."""
    tasks: list[Task] = []
    for name in SAMPLED:
        path = SHARED / name
        if not path.exists():
            continue
        result = import_description(load_description(path), source=path.name, check=False)
        for item in result.imported:
            if item.template["httpRequest"]["method"] in UNSAFE:
                # auth aside: Conductor cannot send Basic auth, and retries do not depend on it
                data = {k: v for k, v in item.template.items() if k != "auth"}
                tasks.append(Task(parse_template(data, source=item.name), source=item.name))
    return tuple(tasks)


def _cases() -> list[object]:
    shipped = [pytest.param(load_task(name), id=name) for name in task_names()]
    imported = [pytest.param(task, id=f"imported-{task.name}") for task in _imported()]
    return shipped + imported


def _attempts(task: Task, engine: str) -> tuple[int, list[str]]:
    """How many times the engine's export sends the step, and the export's warnings."""
    result = export_task(task, engine, ExportOptions(base_url="https://api.example.test"))
    if engine == "simworkflow":
        return result.document.get("retry", {}).get("maxAttempts", 1), result.warnings
    return result.document["taskDefs"][0]["retryCount"] + 1, result.warnings


def _expected(task: Task) -> int:
    return task.template.retry.max_attempts if retry_allowed(task.template).allowed else 1


def test_the_sample_holds_unsafe_steps_that_would_retry() -> None:
    """The sample is not vacuous: shipped and imported steps the rule refuses, with retries
    declared (the engine would have sent them up to three times)."""
    cases = [load_task(name) for name in task_names()] + list(_imported())
    refused = [
        t
        for t in cases
        if not retry_allowed(t.template).allowed and t.template.retry.max_attempts > 1
    ]
    assert {"create-payout", "create-pets"} <= {t.name for t in refused}
    assert len([t for t in refused if t.name.startswith("post-")]) >= 3


@pytest.mark.parametrize("engine", ["simworkflow", "conductor"])
@pytest.mark.parametrize("task", _cases())
def test_an_export_retries_only_what_may_be_repeated(task: Task, engine: str) -> None:
    """The export's attempts are the template's when the rule allows a repeat, else one,
    with the reason among the warnings."""
    attempts, warnings = _attempts(task, engine)
    assert attempts == _expected(task)
    said = any("sends it once" in warning for warning in warnings)
    assert said is (attempts < task.template.retry.max_attempts)


def test_the_shipped_create_payout_exports_with_no_retry() -> None:
    """Rebilly's `create-payout` POST: no SimWorkflow `retry`, Conductor `retryCount` 0 and
    no retry on timeout."""
    task = load_task("create-payout")
    assert "retry" not in export_task(task, "simworkflow").document
    task_def = export_task(task, "conductor").document["taskDefs"][0]
    assert (task_def["retryCount"], task_def["timeoutPolicy"]) == (0, "TIME_OUT_WF")


@pytest.mark.parametrize("task", _cases())
def test_temporal_gives_an_unsafe_step_one_activity_attempt(
    task: Task, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --engine temporal` plans one activity attempt for a step the rule refuses (and no
    read-back finds again), and says why; a step that may be repeated keeps Temporal's retries."""
    pytest.importorskip("temporalio", reason="the 'temporal' extra is not installed")
    from connector.cli._temporal_run import _plan
    from connector.temporal import ActivityOptions

    plan = _plan(argparse.Namespace(batch_id=None, concurrency=2), task, [])
    # a step with a read-back keeps the retries: a later attempt looks it up before sending
    safe = retry_allowed(task.template).allowed or task.template.idempotency.read_back is not None
    assert plan.activity.maximum_attempts == (ActivityOptions.maximum_attempts if safe else 1)
    assert ("attempts each input once" in capsys.readouterr().err) is not safe


def test_a_workflow_export_retries_no_step_that_may_not_be_repeated() -> None:
    """The shipped Arazzo payout lifecycle exported to Conductor: its POST steps (batch,
    approve, allocate, process) have no engine retry; its PUT, GET and DELETE steps keep
    theirs."""
    from connector.arazzo import open_workflows
    from connector.arazzo._export import export

    root = Path(__file__).resolve().parents[1]
    checked = open_workflows(
        root / "examples" / "payout-lifecycle" / "payout-lifecycle.arazzo.yaml"
    )
    result = export(
        checked, "payout-lifecycle", "conductor", ExportOptions(owner_email="o@example.com")
    )
    counts = {d["name"]: d["retryCount"] for d in result.document["taskDefs"]}
    methods = {
        d["name"]: load_task(d["name"].replace("_", "-")).template.http_request.method
        for d in result.document["taskDefs"]
    }
    assert {name for name, method in methods.items() if method == "POST"} == {
        "create_payout_request_batch",
        "approve_payout_request_batch",
        "auto_allocate_payout_request_batch",
        "process_payout_request_allocations",
    }
    for name, method in methods.items():
        assert (counts[name] == 0) is (method == "POST"), name
