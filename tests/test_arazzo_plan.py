"""`connector workflow plan`: every request a workflow would send, where each value comes
from, what is safe to repeat, and where each credential would go, with nothing sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from connector.arazzo import open_workflows
from connector.arazzo._plan import plan_text, plan_workflow
from connector.cli import main

EXAMPLE = ROOT / "examples" / "payout-lifecycle"
DOCUMENT = EXAMPLE / "payout-lifecycle.arazzo.yaml"
INPUTS = json.loads((EXAMPLE / "input.json").read_text())


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    """The lifecycle's plan, offline."""
    return plan_workflow(open_workflows(DOCUMENT), "payout-lifecycle", INPUTS)


def _step(plan: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(step for step in plan["steps"] if step["stepId"] == step_id)


def test_each_value_says_where_it_comes_from(plan: dict[str, Any]) -> None:
    """An earlier step's output is wired to the field it fills; an input shows its value."""
    read = _step(plan, "read")
    assert {"to": "read.path.id", "from": "$steps.upsert.outputs.id"} in read["inputs"]
    upsert = _step(plan, "upsert")
    assert {"to": "upsert.body.amount", "from": "$inputs.amount", "value": 125.5} in upsert[
        "inputs"
    ]


def test_requests_are_written_with_what_is_known_before_the_run(plan: dict[str, Any]) -> None:
    """Known values are written in; a value from a response waits as its expression."""
    assert _step(plan, "upsert")["request"] == (
        "PUT {emulator}/organizations/org-demo/payout-requests/payout-2026-0002"
    )
    assert _step(plan, "approve")["request"] == (
        "POST {emulator}/organizations/org-demo/payout-request-batches/{$steps.batch.outputs.batchId}/approve"  # noqa: E501
    )


def test_safe_to_repeat_follows_the_method(plan: dict[str, Any]) -> None:
    """PUT, GET and DELETE are safe to repeat; the POSTs are not."""
    safe = {step["stepId"]: step["safeToRepeat"] for step in plan["steps"]}
    assert safe == {
        "upsert": True, "read": True, "batch": False, "approve": False, "allocate": False,
        "allocations": True, "payout": False, "listing": True, "release": True,
    }  # fmt: skip


def test_credentials_name_the_hosts_they_would_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline every credential goes to the emulator; for sandbox, to the sandbox host. Only
    variable names appear, never a value."""
    monkeypatch.setenv("REBILLY_API_KEY", "sk_sandbox_SECRETVALUE")
    checked = open_workflows(DOCUMENT)
    offline = plan_workflow(checked, "payout-lifecycle", INPUTS)
    assert offline["credentials"]["REBILLY_API_KEY"] == [
        "127.0.0.1 (an emulator started for the run)"
    ]
    sandbox = plan_workflow(checked, "payout-lifecycle", INPUTS, environment="sandbox")
    assert sandbox["credentials"]["REBILLY_API_KEY"] == ["api-sandbox.rebilly.com"]
    assert "SECRETVALUE" not in json.dumps(sandbox) + plan_text(sandbox)


def test_actions_are_listed_with_their_criteria(plan: dict[str, Any]) -> None:
    """The retry and the goto of approve are in the plan, with their conditions."""
    assert _step(plan, "approve")["actions"] == [
        "on failure: retry up to 2x after 1 s when $statusCode == 503",
        "on failure: goto release",
    ]


def test_plan_command_sends_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`connector workflow plan FILE --input FILE` prints the plan; no emulator is started."""
    code = main(["workflow", "plan", str(DOCUMENT), "--input", str(EXAMPLE / "input.json")])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("workflow payout-lifecycle (local); nothing has been sent")
    assert "$steps.upsert.outputs.id (" not in out
    assert "  $steps.upsert.outputs.id -> read.path.id" in out
    assert "emulator at" not in err
