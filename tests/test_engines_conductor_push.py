"""`connector push --engine conductor`: task definitions (an array) and a workflow, registered
with a loopback stand-in of Conductor's metadata API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _conductor_stand_in import ConductorStandIn
from _scripted_server import free_port

from connector.cli import main

SECRET = "sk_sandbox_TESTKEY123"
OWNER = "payments@example.com"


@pytest.fixture
def conductor(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A stand-in Conductor; a key in the environment that must never reach it."""
    monkeypatch.setenv("REBILLY_API_KEY", SECRET)
    monkeypatch.delenv("CONDUCTOR_SERVER_URL", raising=False)
    with ConductorStandIn() as stand_in:
        yield stand_in


def _push(conductor: ConductorStandIn, *extra: str) -> int:
    arguments = ["push", "upsert-payout-request", "--engine", "conductor"]
    return main([*arguments, "--server", conductor.url, *extra])


def test_push_registers_the_task_definition_array_then_the_workflow(
    conductor: ConductorStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    """One POST of an array of task definitions, then the workflow; both carry ownerEmail."""
    assert _push(conductor, "--owner-email", OWNER, "--workflow", "payouts") == 0
    posts = [(c.method, c.path) for c in conductor.calls]
    assert posts == [("POST", "/api/metadata/taskdefs"), ("POST", "/api/metadata/workflow")]
    assert isinstance(conductor.calls[0].body, list)
    assert [(d["name"], d["ownerEmail"]) for d in conductor.task_defs] == [
        ("upsert_payout_request", OWNER)
    ]
    workflow = conductor.workflows[0]
    assert (workflow["name"], workflow["ownerEmail"]) == ("payouts", OWNER)
    assert workflow["tasks"][0]["name"] == "upsert_payout_request"
    assert "workflow payouts version 1" in capsys.readouterr().out


def test_push_sends_no_secret(conductor: ConductorStandIn) -> None:
    """The definitions reference the credential by name; its value never leaves."""
    assert _push(conductor, "--owner-email", OWNER) == 0
    sent = json.dumps([call.body for call in conductor.calls])
    assert SECRET not in sent
    assert "${workflow.secrets.REBILLY_API_KEY}" in sent


def test_the_workflow_is_named_after_the_task_by_default(conductor: ConductorStandIn) -> None:
    """Without --workflow the workflow takes the task's name."""
    assert _push(conductor, "--owner-email", OWNER) == 0
    assert conductor.workflows[0]["name"] == "upsert-payout-request"


def test_without_owner_email_the_server_refusal_is_reported(
    conductor: ConductorStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    """OSS Conductor refuses definitions without ownerEmail: exit 1, its message shown."""
    assert _push(conductor) == 1
    err = capsys.readouterr().err
    assert "ownerEmail" in err
    assert "answered 400" in err
    assert conductor.workflows == []


def test_a_second_push_needs_update(
    conductor: ConductorStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same workflow version twice: 409 names --update; with it, the workflow is replaced."""
    assert _push(conductor, "--owner-email", OWNER) == 0
    assert _push(conductor, "--owner-email", OWNER) == 1
    assert "--update" in capsys.readouterr().err
    assert _push(conductor, "--owner-email", OWNER, "--update", "--json") == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "REGISTERED"
    assert answer["taskDefs"] == ["upsert_payout_request"]
    assert conductor.calls[-1].method == "PUT"
    assert len(conductor.workflows) == 1


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        pytest.param(["--owner-email", "not-an-email"], "--owner-email", id="bad-email"),
        pytest.param(["--environment", "nowhere"], "environment 'nowhere'", id="bad-environment"),
    ],
)
def test_bad_arguments_send_nothing(
    conductor: ConductorStandIn,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    named: str,
) -> None:
    """A bad argument is exit 2 with the option named, and nothing reaches the server."""
    assert _push(conductor, *arguments) == 2
    assert named in capsys.readouterr().err
    assert conductor.calls == []


def test_push_needs_a_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither --server nor CONDUCTOR_SERVER_URL: exit 2, saying which to give."""
    monkeypatch.delenv("CONDUCTOR_SERVER_URL", raising=False)
    assert main(["push", "upsert-payout-request", "--engine", "conductor"]) == 2
    assert "CONDUCTOR_SERVER_URL" in capsys.readouterr().err


def test_an_unreachable_server_is_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listening: exit 1, the URL named, no traceback."""
    url = f"http://127.0.0.1:{free_port()}/api"
    arguments = ["push", "upsert-payout-request", "--engine", "conductor", "--server", url]
    assert main([*arguments, "--owner-email", OWNER]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the server" in err
    assert "Traceback" not in err
