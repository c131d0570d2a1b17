"""Running Arazzo workflows offline: the shipped payout lifecycle against one stateful
emulator, its fault-injected paths (`retry`, then `onFailure` goto), the step budget and
the deadline that stop a `goto` loop, and `connector workflow run` as a user starts it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import ROOT

from connector.arazzo import Checked, Limits, Runner, open_workflows, parse_document
from connector.arazzo._check import check_document
from connector.arazzo._sources import resolve_sources
from connector.cli._workflow_run import emulate, offline_send

EXAMPLE = ROOT / "examples" / "payout-lifecycle"
DOCUMENT = EXAMPLE / "payout-lifecycle.arazzo.yaml"
INPUTS = json.loads((EXAMPLE / "input.json").read_text())


@pytest.fixture
def lifecycle() -> Checked:
    """The shipped payout lifecycle, checked."""
    return open_workflows(DOCUMENT)


class Rehearsal:
    """A checked document served by emulators, a runner that never sleeps, and a hook that
    injects a fault just before a named step is sent."""

    def __init__(self, checked: Checked, stack: ExitStack) -> None:
        self.emulators = stack.enter_context(emulate(checked, []))
        self.faults: dict[str, tuple[str, int]] = {}
        self.slept: list[float] = []
        send = offline_send(checked, self.emulators, stack)

        def hooked(operation: Any, inputs: dict[str, Any], deadline: float | None) -> Any:
            for step_operation, (kind, count) in list(self.faults.items()):
                if operation.task.template.operation.operation_id == step_operation:
                    self.emulators[operation.source].inject(kind, count=count)
                    del self.faults[step_operation]
            return send(operation, inputs, deadline)

        self.runner = Runner(checked, hooked, sleep=self.slept.append)


@pytest.fixture
def rehearsal(lifecycle: Checked) -> Iterator[Rehearsal]:
    """The lifecycle ready to run against its emulator."""
    with ExitStack() as stack:
        yield Rehearsal(lifecycle, stack)


def _steps(run: Any) -> list[tuple[str, bool]]:
    return [(record.step_id, record.succeeded) for record in run.steps]


def test_lifecycle_runs_every_step_and_pays_out(rehearsal: Rehearsal) -> None:
    """Upsert to listing completes offline; state carries from step to step (the listing
    reads the request the payout fulfilled)."""
    run = rehearsal.runner.run("payout-lifecycle", INPUTS)
    assert run.status == "COMPLETED", run.reason
    assert [s for s, _ in _steps(run)] == [
        "upsert",
        "read",
        "batch",
        "approve",
        "allocate",
        "allocations",
        "payout",
        "listing",
    ]
    assert run.outputs["payoutRequestId"] == INPUTS["id"]
    assert run.outputs["status"] == "fulfilled"
    assert run.outputs["batchId"].startswith("preq_batch_")


def test_a_failed_step_without_a_failure_action_fails_the_run(rehearsal: Rehearsal) -> None:
    """A 500 on allocate (a POST: the template does not retry it, and the step has no
    failure action): the run ends FAILED there, the request left approved."""
    rehearsal.faults["PostPayoutRequestBatchAutoAllocate"] = ("500", 1)
    run = rehearsal.runner.run("payout-lifecycle", INPUTS)
    assert run.status == "FAILED"
    assert _steps(run)[-1] == ("allocate", False)
    assert run.reason == "end (failed: no failure action applies)"


def test_lifecycle_ends_early_when_the_request_is_not_pending(rehearsal: Rehearsal) -> None:
    """A second run finds the request approved: the read step's `end` action stops there."""
    rehearsal.faults["PostPayoutRequestBatchAutoAllocate"] = ("500", 1)
    rehearsal.runner.run("payout-lifecycle", INPUTS)
    again = rehearsal.runner.run("payout-lifecycle", INPUTS)
    assert again.status == "COMPLETED"
    assert _steps(again) == [("upsert", True), ("read", True)]
    assert again.steps[-1].action == "end (not-pending)"


def test_a_503_on_approval_is_retried_after_retry_after(rehearsal: Rehearsal) -> None:
    """One 503 from approve: the `retry` action sends it again, after `retryAfter`."""
    rehearsal.faults["PostPayoutRequestBatchApprove"] = ("503", 1)
    run = rehearsal.runner.run("payout-lifecycle", INPUTS)
    assert run.status == "COMPLETED", run.reason
    approvals = [r for r in run.steps if r.step_id == "approve"]
    assert [(r.attempt, r.succeeded) for r in approvals] == [(1, False), (2, True)]
    assert approvals[0].result is not None and approvals[0].result.response is not None
    assert approvals[0].result.response.status_code == 503
    assert rehearsal.slept == [1.0]


def test_approval_failing_past_its_retry_limit_goes_to_release(rehearsal: Rehearsal) -> None:
    """Three 503s spend `retryLimit: 2`; the next failure action (`goto release`) runs and
    deletes the batch, so the request is in no batch afterwards."""
    rehearsal.faults["PostPayoutRequestBatchApprove"] = ("503", 3)
    run = rehearsal.runner.run("payout-lifecycle", INPUTS)
    assert _steps(run)[-4:] == [
        ("approve", False),
        ("approve", False),
        ("approve", False),
        ("release", True),
    ]
    assert run.steps[-2].action == "goto release (release-batch)"
    assert run.status == "COMPLETED"
    url = f"{rehearsal.emulators['rebilly'].url}/organizations/org-demo/payout-requests/{INPUTS['id']}"  # noqa: E501
    stored = requests.get(url, headers={"REB-APIKEY": "sk_local_test"}, timeout=10).json()
    assert stored["batchId"] is None
    assert stored["status"] == "pending"
    assert "status" not in run.outputs  # the listing never ran; its output is not made up


LOOP = """
arazzo: 1.1.0
info: {title: loop, version: "1"}
sourceDescriptions: [{name: rebilly, url: "catalog:rebilly", type: openapi}]
workflows:
  - workflowId: poll
    steps:
      - stepId: read
        operationId: GetPayoutRequest
        parameters:
          - {name: organizationId, in: path, value: org-1}
          - {name: id, in: path, value: never-there}
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - {name: again, type: goto, stepId: read}
"""


def _loop() -> Checked:
    document = parse_document(LOOP, source="loop.yaml")
    return check_document(document, resolve_sources(document, Path()))


def test_a_goto_loop_stops_at_its_step_budget() -> None:
    """A step that always fails and goes to itself stops after `max_steps` runs, STOPPED,
    with a reason that names the budget and the step."""
    checked = _loop()
    with ExitStack() as stack:
        send = offline_send(checked, stack.enter_context(emulate(checked, [])), stack)
        run = Runner(checked, send, limits=Limits(max_steps=5)).run("poll", {})
    assert run.status == "STOPPED"
    assert len(run.steps) == 5
    assert "step budget of 5 step runs is spent (at step 'read'" in run.reason


def test_a_goto_loop_stops_at_its_deadline() -> None:
    """With a budget large enough, the (injected) clock's deadline stops the loop."""
    checked = _loop()
    ticks = iter(range(1000))
    with ExitStack() as stack:
        send = offline_send(checked, stack.enter_context(emulate(checked, [])), stack)
        limits = Limits(max_steps=10_000, deadline_seconds=3)
        run = Runner(checked, send, limits=limits, monotonic=lambda: float(next(ticks))).run(
            "poll", {}
        )
    assert run.status == "STOPPED"
    assert "deadline of 3 s has passed" in run.reason
    assert len(run.steps) == 3


def test_inputs_that_break_the_schema_are_refused_before_sending(rehearsal: Rehearsal) -> None:
    """A workflow input the `inputs` schema refuses is a WorkflowError naming the field."""
    from connector._errors import WorkflowError

    with pytest.raises(WorkflowError) as caught:
        rehearsal.runner.run("payout-lifecycle", {**INPUTS, "currency": "usd"})
    assert [e.field for e in caught.value.field_errors] == ["inputs.currency"]
    assert rehearsal.emulators["rebilly"].requests == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "connector", "workflow", *args]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


def test_cli_runs_the_lifecycle_offline_with_a_fault() -> None:
    """`connector workflow run FILE --input FILE --fault 503:1 --json`: the upsert's own
    template retry absorbs the 503 (a PUT is safe to repeat), and the run completes."""
    done = _cli(
        "run", str(DOCUMENT), "--input", str(EXAMPLE / "input.json"), "--fault", "503:1", "--json"
    )
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["status"] == "COMPLETED"
    upsert = run["steps"][0]["result"]
    assert [a["statusCode"] for a in upsert["attempts"]] == [503, 201]
    assert "sk_local_" not in done.stdout
    assert "served by an emulator at http://127.0.0.1:" in done.stderr


def test_cli_reports_a_bad_document_by_pointer_and_sends_nothing(tmp_path: Path) -> None:
    """A step reading an output no step declares: exit 2, the JSON pointer on stderr."""
    broken = DOCUMENT.read_text().replace(
        "$steps.upsert.outputs.id\n", "$steps.upsert.outputs.nope\n", 1
    )
    path = tmp_path / "broken.arazzo.yaml"
    path.write_text(broken)
    done = _cli("run", str(path), "--input", str(EXAMPLE / "input.json"))
    assert done.returncode == 2
    assert (
        "/workflows/0/steps/1/parameters/0/value: $steps.upsert.outputs.nope: step 'upsert' has no output 'nope'"  # noqa: E501
        in done.stderr
    )


TIMEOUT = """
arazzo: 1.1.0
info: {title: timeout, version: "1"}
sourceDescriptions: [{name: rebilly, url: "catalog:rebilly", type: openapi}]
workflows:
  - workflowId: slow
    steps:
      - stepId: read
        operationId: GetPayoutRequest
        timeout: 300
        parameters:
          - {name: organizationId, in: path, value: org-1}
          - {name: id, in: path, value: po-1}
"""


def test_a_step_timeout_fails_the_step_when_the_answer_is_late() -> None:
    """A 1.1 step `timeout` (ms) bounds the step's request: a stalled answer fails it."""
    document = parse_document(TIMEOUT, source="timeout.yaml")
    checked = check_document(document, resolve_sources(document, Path()))
    with ExitStack() as stack:
        emulators = stack.enter_context(emulate(checked, []))
        emulators["rebilly"].inject("stall", count=5, seconds=5)
        send = offline_send(checked, emulators, stack)
        run = Runner(checked, send).run("slow", {})
        for emulator in emulators.values():
            emulator.stop()
    assert run.status == "FAILED"
    (record,) = run.steps
    assert record.result is not None and record.result.error is not None
    assert record.result.response is None
    assert record.reason.startswith("no response:")


def test_no_real_credential_of_any_source_reaches_an_emulator() -> None:
    """Offline, every credential variable of every step's task is replaced by the generated
    key, even one another step's API reads (each task's own stand-in used to leave the
    others' real values in place)."""
    from connector.cli._workflow_run import local_credentials

    checked = _open_lifecycle_and_pets()
    tasks = [step.operation.task for step in checked.steps.values()]
    variables = set().union(*(task.template.auth.variables() for task in tasks))
    real = {name: f"real-secret-{index}" for index, name in enumerate(sorted(variables))}
    local = local_credentials(tasks, {**real, "HOME": "/home/x"}, "sk_local_TEST")
    assert local["HOME"] == "/home/x"
    assert not any(value.startswith("real-secret") for value in local.values())
    assert {v for k, v in local.items() if k in variables} <= {"sk_local_TEST"}


def _open_lifecycle_and_pets() -> Checked:
    pets = Path(__file__).resolve().parents[1].parent / "shared" / "arazzo" / "examples" / "1.0.0"
    text = (
        DOCUMENT.read_text()
        .replace(
            "  - name: rebilly\n",
            f"  - name: pets\n    url: {pets / 'pet-coupons.openapi.yaml'}\n    type: openapi\n  - name: rebilly\n",  # noqa: E501
        )
        .replace(
            "      - stepId: read\n",
            "      - stepId: pet\n        operationId: getPetById\n"
            "        parameters: [{name: petId, in: path, value: 1}]\n      - stepId: read\n",
        )
    )
    document = parse_document(text, source="two-apis")
    return check_document(document, resolve_sources(document, Path()))
