"""`connector test-request`: where it sends by default, what it prints, how it exits."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import responses

from connector.cli import main
from connector.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "upsert-payout-request.json")
KEY = "sk_sandbox_CLITESTKEY99"
SANDBOX = "https://api-sandbox.rebilly.com/organizations/org-demo/payout-requests/payout-2026-0001"
LIVE = "https://api.rebilly.com/organizations/org-demo/payout-requests/payout-2026-0001"


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no Rebilly credential in the environment."""
    monkeypatch.delenv("REBILLY_API_KEY", raising=False)
    monkeypatch.delenv("REBILLY_JWT", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line; exit code, stdout and stderr."""
    code = main(["test-request", "upsert-payout-request", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def nothing_at_local(tmp_path: Path) -> str:
    """The shipped template, its `local` URL on a port where nothing listens (whatever
    this machine runs on 8765)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return _template_with_local(tmp_path, f"http://127.0.0.1:{port}")


def test_without_credentials_it_sends_to_a_local_emulator(
    capsys: pytest.CaptureFixture[str], nothing_at_local: str
) -> None:
    """No credentials: an emulator is started for the command, announced in one line."""
    code = main(["test-request", nothing_at_local, "--input", EXAMPLE])
    out, err = capsys.readouterr()
    assert code == 0
    notices = [line for line in err.splitlines() if "emulator" in line]
    assert len(notices) == 1
    assert out.startswith("COMPLETED  201 CREATED  in ")
    assert "PUT http://127.0.0.1:" in out
    assert "  1. 201 in " in out
    assert '"status": "pending"' in out


def test_json_prints_the_structured_response(
    capsys: pytest.CaptureFixture[str], nothing_at_local: str
) -> None:
    """--json prints the TaskResult's JSON shape, with the generated local key redacted."""
    code = main(["test-request", nothing_at_local, "--input", EXAMPLE, "--json"])
    out = capsys.readouterr().out
    result = json.loads(out)
    assert code == 0
    assert result["status"] == "COMPLETED"
    assert result["response"]["statusCode"] == 201
    assert result["request"]["headers"]["REB-APIKEY"] == "<redacted>"
    assert "sk_local_" not in out


def test_a_running_emulator_is_reached_with_base_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--base-url points at a running emulator; its 503s show as attempts with their waits."""
    monkeypatch.setenv("REBILLY_API_KEY", KEY)
    with Emulator(api_keys=[KEY]) as emulator:
        emulator.inject("503", count=1)
        args = ["--input", EXAMPLE, "--base-url", emulator.base_url("org-demo")]
        code, out, err = run(capsys, *args, "--max-attempts", "1")
        assert code == 1
        assert "error (http): 503" in out
        code, out, err = run(capsys, *args)
    assert code == 0
    assert "local Rebilly emulator" not in err


def test_a_validation_error_sends_nothing_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Invalid input exits 2 and lists the field; nothing is sent."""
    bad = json.loads(Path(EXAMPLE).read_text())
    bad["currency"] = "DOLLARS"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with responses.RequestsMock():  # any request would fail the test
        code, out, err = run(capsys, "--input", str(path), "--environment", "sandbox")
    assert code == 2
    assert out == ""
    assert err.startswith("error: task 'upsert-payout-request': invalid input (1 problem)")
    assert "  currency: " in err


def test_invalid_input_starts_no_local_emulator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without credentials, input that cannot be sent is refused before any emulator starts."""
    monkeypatch.delenv("REBILLY_API_KEY", raising=False)
    monkeypatch.delenv("REBILLY_JWT", raising=False)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "..", "amount": "ten"}))
    code, out, err = run(capsys, "--input", str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("error: task 'upsert-payout-request': invalid input")
    assert "emulator" not in err


def test_an_unreadable_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing input file is reported and exits 2."""
    code, _, err = run(capsys, "--input", "/nonexistent/input.json")
    assert code == 2
    assert "cannot read --input" in err


@responses.activate
def test_with_credentials_the_default_is_sandbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configured key makes sandbox the default target, never live."""
    monkeypatch.setenv("REBILLY_API_KEY", KEY)
    responses.put(SANDBOX, status=200, json={"id": "payout-2026-0001"})
    code, out, _ = run(capsys, "--input", EXAMPLE)
    assert code == 0
    assert responses.calls[0].request.url == SANDBOX
    assert KEY not in out


@responses.activate
def test_live_only_when_named_and_with_a_warning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--environment live sends to live and warns that real money moves."""
    monkeypatch.setenv("REBILLY_API_KEY", KEY)
    responses.put(LIVE, status=201, json={})
    code, _, err = run(capsys, "--input", EXAMPLE, "--environment", "live", "--yes")
    assert code == 0
    assert "real money" in err


@responses.activate
def test_a_422_exits_1_and_shows_the_invalid_fields(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 422 was sent and FAILED: exit 1, the invalid fields listed, not retryable."""
    monkeypatch.setenv("REBILLY_API_KEY", KEY)
    problem = {"title": "Invalid", "invalidFields": [{"field": "amount", "message": "too big"}]}
    responses.put(SANDBOX, status=422, json=problem)
    code, out, _ = run(capsys, "--input", EXAMPLE)
    assert code == 1
    assert "  amount: too big" in out
    assert "retryable: no" in out


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--max-attempts", "0"], id="zero-attempts"),
        pytest.param(["--deadline", "-1"], id="negative-deadline"),
        pytest.param(["--read-timeout", "soon"], id="not-a-number"),
    ],
)
def test_bad_limits_are_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    """Out-of-range limits are refused before anything is sent (exit 2)."""
    code, out, _ = run(capsys, "--input", EXAMPLE, *args)
    assert code == 2
    assert out == ""


def test_limits_reach_the_executor(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--max-attempts and --read-timeout override the template's policy."""
    seen: dict[str, Any] = {}

    def fake_run(self: Any, task: Any, inputs: Any, **kw: Any) -> Any:
        from connector import TaskResult

        seen.update(kw)
        return TaskResult(status="COMPLETED")

    monkeypatch.setattr("connector._executor.Executor.run", fake_run)
    args = ["--max-attempts", "2", "--read-timeout", "1.5", "--deadline", "9"]
    code, _, _ = run(capsys, "--input", EXAMPLE, "--base-url", "http://127.0.0.1:9", *args)
    assert code == 0
    assert (seen["max_attempts"], seen["read_timeout"], seen["deadline"]) == (2, 1.5, 9.0)
    assert seen["connect_timeout"] is None


FAILURES_THAT_SEND_NOTHING = [
    pytest.param(
        ["render", "upsert-payout-request", "--input", "/nonexistent.json"],
        "usage",
        id="render-missing-input",
    ),
    pytest.param(
        ["test-request", "upsert-payout-request", "--input", "/nonexistent.json"],
        "usage",
        id="test-request-missing-input",
    ),
    pytest.param(
        ["test-request", "nosuch-task", "--input", EXAMPLE],
        "template",
        id="test-request-no-such-task",
    ),
    pytest.param(["describe", "nosuch-task"], "template", id="describe-no-such-task"),
    pytest.param(["validate", "/nonexistent.json"], "template", id="validate-missing-file"),
    pytest.param(
        ["render", "upsert-payout-request", "--input", EXAMPLE, "--environment", "nowhere"],
        "usage",
        id="usage",
    ),
]


@pytest.mark.parametrize(("argv", "kind"), FAILURES_THAT_SEND_NOTHING)
def test_every_failure_that_sends_nothing_has_one_json_shape(
    capsys: pytest.CaptureFixture[str], argv: list[str], kind: str
) -> None:
    """With --json, each command's refusal is the one structured response, on stdout only."""
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    shown = json.loads(out)
    assert set(shown) == {
        "status",
        "retryable",
        "response",
        "request",
        "attempts",
        "elapsedMs",
        "error",
        "warnings",
    }
    assert shown["status"] == "FAILED"
    assert shown["request"] is None
    assert shown["error"]["kind"] == kind
    assert err == ""


@pytest.mark.parametrize("argv", [p.values[0] for p in FAILURES_THAT_SEND_NOTHING])
def test_every_failure_that_sends_nothing_is_one_message_on_stderr(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Without --json, the refusal is a message on stderr and nothing on stdout."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith(("error: ", "connector "))
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        pytest.param("--deadline", "abc", "'abc' is not a number of seconds", id="deadline"),
        pytest.param("--read-timeout", "-1", "'-1' is not a number of seconds", id="negative"),
        pytest.param(
            "--max-attempts", "two", "'two' is not a whole number of attempts", id="attempts"
        ),
    ],
)
def test_a_bad_option_value_names_the_option_not_an_internal_function(
    capsys: pytest.CaptureFixture[str], option: str, value: str, said: str
) -> None:
    """argparse's message names the option and the value, never `_seconds`."""
    code = main(["test-request", "upsert-payout-request", "--input", EXAMPLE, option, value])
    _, err = capsys.readouterr()
    assert code == 2
    assert said in err
    assert option in err
    assert "_seconds" not in err and "_attempts" not in err


def _template_with_local(tmp_path: Path, url: str) -> str:
    """The shipped template with its `local` server moved to `url`."""
    template = json.loads((ROOT / "task_templates" / "upsert-payout-request.json").read_text())
    template["servers"]["local"] = f"{url}/organizations/<<organizationId>>"
    path = tmp_path / "upsert-payout-request.json"
    path.write_text(json.dumps(template))
    return str(path)


def test_local_uses_the_emulator_running_at_the_local_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, emulator: Emulator
) -> None:
    """An emulator answering at the template's local URL is the target: its faults apply."""
    template = _template_with_local(tmp_path, emulator.url.rstrip("/"))
    emulator.inject("503", count=1)
    code = main(["test-request", template, "--input", EXAMPLE, "--environment", "local"])
    out, err = capsys.readouterr()
    assert code == 0
    assert f"sending to the emulator running at {emulator.url.rstrip('/')}" in err
    assert "started" not in err
    assert "  1. 503 in " in out
    assert len(emulator.requests) == 2


def test_local_starts_an_emulator_when_none_answers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Nothing at the local URL: one is started for the command, and the line says why."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    template = _template_with_local(tmp_path, f"http://127.0.0.1:{port}")
    code = main(["test-request", template, "--input", EXAMPLE, "--environment", "local"])
    out, err = capsys.readouterr()
    assert code == 0
    assert f"(none serves it at 127.0.0.1:{port})" in err
    assert "started the Rebilly emulator at http://127.0.0.1:" in err
    assert f"127.0.0.1:{port}/" not in out


@pytest.mark.parametrize("environment", ["sandbox", "live"])
def test_no_credentials_for_a_real_environment_is_refused(
    capsys: pytest.CaptureFixture[str], environment: str
) -> None:
    """Without credentials nothing goes to sandbox or live: exit 2, the variables named."""
    with responses.RequestsMock():  # any request would fail the test
        code, out, err = run(capsys, "--input", EXAMPLE, "--environment", environment, "--yes")
    assert code == 2
    assert out == ""
    assert f"no credentials for {environment}: set REBILLY_API_KEY or REBILLY_JWT" in err


@responses.activate
def test_no_credentials_is_sent_when_the_user_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """--no-credentials sends to sandbox without a key, on purpose."""
    responses.put(SANDBOX, status=401, json={"error": "Unauthorized"})
    code, _, _ = run(capsys, "--input", EXAMPLE, "--environment", "sandbox", "--no-credentials")
    assert code == 1
    assert "REB-APIKEY" not in responses.calls[0].request.headers


def test_live_needs_a_confirmation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live without --yes (and no terminal to ask on) sends nothing."""
    monkeypatch.setenv("REBILLY_API_KEY", KEY)
    with responses.RequestsMock():
        code, _, err = run(capsys, "--input", EXAMPLE, "--environment", "live")
    assert code == 2
    assert "confirm with --yes" in err
