"""The catalogue and dry-run commands: list, describe, validate, render."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_INPUT, ROOT

from connector.cli import build_parser, main

KEY = "sk_sandbox_CLIKEY987654"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_the_task(capsys: pytest.CaptureFixture[str]) -> None:
    """`list --json` gives each task's name, API, operationId, method, path and title."""
    code, out, _ = _run(capsys, "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 31
    assert [row for row in rows if row["name"] == "upsert-payout-request"] == [
        {
            "name": "upsert-payout-request",
            "api": "rebilly",
            "operationId": "PutPayoutRequest",
            "method": "PUT",
            "path": "/payout-requests/<<id>>",
            "title": "Upsert a payout request",
        }
    ]


def test_describe_shows_inputs_and_policy(capsys: pytest.CaptureFixture[str]) -> None:
    """`describe` prints the request line, auth variables, retry policy and required inputs."""
    code, out, _ = _run(capsys, "describe", "upsert-payout-request")
    assert code == 0
    assert "PUT <base>/payout-requests/<<id>>" in out
    assert "REB-APIKEY from $REBILLY_API_KEY" in out
    assert "* amount" in out


def test_describe_json_has_the_template_and_input_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`describe --json` gives the template document and the derived input schema."""
    code, out, _ = _run(capsys, "describe", "upsert-payout-request", "--json")
    shown = json.loads(out)
    assert code == 0
    assert shown["template"]["httpRequest"]["method"] == "PUT"
    assert "amount" in shown["inputSchema"]["required"]


def test_render_json_prints_the_exact_request_with_the_key_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dry run shows method, URL, headers (credential redacted), body and warnings."""
    monkeypatch.setenv("REBILLY_API_KEY", KEY)
    code, out, err = _run(
        capsys, "render", "upsert-payout-request", "--input", str(EXAMPLE_INPUT), "--json"
    )
    shown = json.loads(out)
    assert code == 0
    assert shown["url"] == (
        "https://api-sandbox.rebilly.com/organizations/org-demo/payout-requests/payout-2026-0001"
    )
    assert shown["headers"] == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "REB-APIKEY": "<redacted>",
    }
    assert shown["body"]["amount"] == 125.5
    assert shown["warnings"] == []
    assert KEY not in out + err


def test_render_reads_stdin_and_honours_base_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--input -` reads the task input from stdin; `--base-url` replaces the base."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(EXAMPLE_INPUT.read_text()))
    code, out, _ = _run(
        capsys,
        "render",
        "upsert-payout-request",
        "--input",
        "-",
        "--base-url",
        "http://127.0.0.1:9999",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["url"] == "http://127.0.0.1:9999/payout-requests/payout-2026-0001"


def test_render_human_output_says_nothing_was_sent(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json the request is printed readably and marked as a dry run."""
    code, out, err = _run(
        capsys,
        "render",
        "upsert-payout-request",
        "--input",
        str(EXAMPLE_INPUT),
        "--environment",
        "local",
    )
    assert code == 0
    assert out.startswith("PUT http://127.0.0.1:8765/organizations/org-demo/payout-requests/")
    assert "nothing was sent" in out
    assert "no credentials configured" in err


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        pytest.param({"id": "../x"}, "id", id="bad-id"),
        pytest.param({"amount": "12"}, "amount", id="amount-type"),
        pytest.param({"currency": None}, "currency", id="null-currency"),
        pytest.param({"ammount": 1}, "ammount", id="typo"),
    ],
)
def test_render_invalid_input_exits_2_with_field_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: dict[str, Any], field: str
) -> None:
    """Invalid input builds nothing: exit 2 and the FAILED shape naming the field."""
    path = tmp_path / "in.json"
    path.write_text(json.dumps({**json.loads(EXAMPLE_INPUT.read_text()), **inputs}))
    code, out, _ = _run(capsys, "render", "upsert-payout-request", "--input", str(path), "--json")
    shown = json.loads(out)
    assert code == 2
    assert (shown["status"], shown["response"], shown["error"]["kind"]) == (
        "FAILED",
        None,
        "validation",
    )
    assert field in [e["field"] for e in shown["error"]["fieldErrors"]]


@pytest.mark.parametrize(
    "text",
    [pytest.param("{not json", id="broken"), pytest.param('{"amount": NaN}', id="nan")],
)
def test_render_unreadable_input_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    """Input that is not JSON (NaN included) is a validation failure, nothing built."""
    path = tmp_path / "in.json"
    path.write_text(text)
    code, _, err = _run(capsys, "render", "upsert-payout-request", "--input", str(path))
    assert code == 2
    assert err.startswith("error: --input ")
    assert "is not JSON" in err


def test_usage_errors_exit_2_in_the_failed_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """A usage error with --json prints the FAILED shape with kind `usage`."""
    code = main(["render", "upsert-payout-request", "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert code == 2
    assert (shown["status"], shown["error"]["kind"]) == ("FAILED", "usage")
    assert "--input" in shown["error"]["message"]


def test_validate_accepts_the_shipped_template_and_names_errors_in_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`validate FILE` checks any template file and names the bad key."""
    shipped = ROOT / "task_templates" / "upsert-payout-request.json"
    assert _run(capsys, "validate", str(shipped))[0] == 0
    broken = json.loads(shipped.read_text())
    broken["retry"]["maxAtempts"] = 3
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    code, _, err = _run(capsys, "validate", str(path))
    assert code == 2
    assert "retry.maxAtempts: unknown key" in err


def test_python_dash_m_runs_the_same_cli() -> None:
    """`python -m connector` is the console script."""
    out = subprocess.run(
        [sys.executable, "-m", "connector", "list"], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines()[-1].startswith("upsert-payout-request ")
    assert len(out.stdout.splitlines()) == 31


def _connector(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed `connector` command, run as a user runs it."""
    command = [sys.executable, "-m", "connector", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("command", ["serve", "emulator"])
def test_a_port_in_use_is_one_message_and_exit_3(command: str) -> None:
    """A server that cannot listen says where and why, with no traceback, and exits 3."""
    if command == "serve":
        pytest.importorskip("uvicorn")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = _connector(command, "--port", str(port))
    assert done.returncode == 3
    assert done.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_a_port_out_of_range_is_a_usage_error() -> None:
    """`serve --port 70000` is refused by the option parser, not by the server."""
    done = _connector("serve", "--port", "70000")
    assert done.returncode == 2
    assert "'70000' is not a port number" in done.stderr
    assert "Traceback" not in done.stderr


def test_verbose_shows_one_log_line_per_attempt(emulator: Any) -> None:
    """-v after the command logs each attempt on stderr, without the key."""
    args = ["test-request", "upsert-payout-request", "--input", str(EXAMPLE_INPUT), "-v"]
    emulator.inject("503", count=1)
    env = {"REBILLY_API_KEY": "sk_test_verbose_0001"}
    done = subprocess.run(
        [sys.executable, "-m", "connector", *args, "--base-url", emulator.base_url("org-demo")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )
    attempts = [line for line in done.stderr.splitlines() if line.startswith("connector: ")]
    assert done.returncode == 0, done.stderr
    assert len([line for line in attempts if re.search(r"attempt \d/3: ", line)]) == 2
    assert any("waiting" in line and "before attempt 2" in line for line in attempts)
    assert "sk_test_verbose_0001" not in done.stderr + done.stdout


def test_completion_scripts_name_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`completion bash` prints a script that completes every command."""
    code, out, _ = _run(capsys, "completion", "bash")
    assert code == 0
    for command in ("render", "test-request", "describe", "export", "completion"):
        assert command in out


def _every_parser() -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [("connector", parser), *commands.choices.items()]


@pytest.mark.parametrize(("name", "parser"), _every_parser(), ids=lambda v: str(v)[:20])
def test_every_command_and_option_has_help(name: str, parser: argparse.ArgumentParser) -> None:
    """`--help` of every command says what it and each of its options do."""
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    if name != "connector":
        helps = {choice.dest: choice.help for choice in commands._choices_actions}
        assert helps.get(name), f"{name} has no one-line description"
    for action in parser._actions:
        assert action.help, f"{name}: {action.option_strings or action.dest} has no help"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        pytest.param("application/json", {"a": "x y", "m": {"k": 1}}, id="json-value"),
        pytest.param("application/x-www-form-urlencoded", "a=x+y&m[k]=1", id="form-text"),
        pytest.param(
            "multipart/form-data",
            [
                {"name": "a", "value": "x y"},
                {"name": "m", "contentType": "application/json", "value": {"k": 1}},
            ],
            id="multipart-parts",
        ),
    ],
)
def test_render_json_shows_the_content_type_and_the_body_as_encoded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content_type: str, expected: Any
) -> None:
    """`render --json` gives contentType and the body: a JSON value, form text or a part list."""
    template = {
        "name": "post-things",
        "title": "Post things",
        "servers": {"sandbox": "https://api.example.com"},
        "httpRequest": {
            "url": "/things",
            "method": "POST",
            "contentType": content_type,
            "body": {"a": "<<a>>", "m": "<<m>>"},
        },
    }
    path = tmp_path / "post-things.json"
    path.write_text(json.dumps(template))
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"a": "x y", "m": {"k": 1}}))
    code, out, _ = _run(capsys, "render", str(path), "--input", str(inputs), "--json")
    shown = json.loads(out)
    assert code == 0
    assert shown["method"] == "POST"
    assert shown["url"] == "https://api.example.com/things"
    assert shown["contentType"].startswith(content_type)
    assert shown["headers"]["Content-Type"] == shown["contentType"]
    assert shown["body"] == expected


def test_validate_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    """`validate -` checks the template given on stdin."""
    shipped = (ROOT / "task_templates" / "upsert-payout-request.json").read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO(shipped))
    code, out, _ = _run(capsys, "validate", "-")
    assert code == 0
    assert "valid task template 'upsert-payout-request'" in out


def test_a_mistyped_template_key_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An unknown key, at any depth, is named with the key the format has there."""
    template = json.loads((ROOT / "task_templates" / "upsert-payout-request.json").read_text())
    template["retry"]["maxAttempt"] = 3
    template["parameters"]["id"]["shema"] = {}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    code, _, err = _run(capsys, "validate", str(path))
    assert code == 2
    assert "retry.maxAttempt: unknown key (did you mean 'maxAttempts'?)" in err
    assert "parameters.id.shema: unknown key (did you mean 'schema'?)" in err


def test_a_mistyped_task_name_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    """A task name one letter off is answered with the name it is close to."""
    code, _, err = _run(capsys, "describe", "upsert-payout-reqest")
    assert code == 2
    assert "(did you mean 'upsert-payout-request'?)" in err


@pytest.mark.parametrize(
    ("exported", "given"),
    [
        pytest.param("conductor", "simworkflow", id="conductor"),
        pytest.param("simworkflow", "conductor", id="simworkflow"),
    ],
)
def test_import_with_the_wrong_engine_names_the_right_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exported: str, given: str
) -> None:
    """A file exported for one engine, imported as another, says which engine it looks like."""
    path = tmp_path / "export.json"
    assert (
        _run(capsys, "export", "upsert-payout-request", "--engine", exported, "-o", str(path))[0]
        == 0
    )
    code, _, err = _run(capsys, "import", str(path), "--engine", given)
    assert code == 2
    assert f"the file looks like a {exported} export: use --engine {exported}" in err


def test_import_of_a_task_the_workflow_lacks_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`import --task NAME` with no such HTTP task names it, the near miss and the tasks there."""
    path = tmp_path / "flow.json"
    args = ["export", "upsert-payout-request", "--engine", "simworkflow", "--workflow", "Flow"]
    assert _run(capsys, *args, "-o", str(path))[0] == 0
    code, _, err = _run(
        capsys, "import", str(path), "--engine", "simworkflow", "--task", "Upsert a payout reqest"
    )
    assert code == 2
    assert (
        "no HTTP task named 'Upsert a payout reqest' (did you mean 'Upsert a payout request'?)"
        in err
    )


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser, by name."""
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_help_says_what_it_does(command: str) -> None:
    """`connector COMMAND --help` opens, after its usage, with a sentence saying what it does."""
    description = _commands()[command].description
    assert description
    assert description[0].isupper()


def test_a_mistyped_engine_is_answered_with_the_near_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--engine condcutor` exits 2 and suggests `conductor`."""
    assert main(["export", "upsert-payout-request", "--engine", "condcutor"]) == 2
    assert "did you mean 'conductor'?" in capsys.readouterr().err


def test_a_mistyped_export_field_is_answered_with_the_near_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`export --fields amout` exits 2 and suggests the body field `amount`."""
    argv = ["export", "upsert-payout-request", "--engine", "conductor", "--fields", "amout"]
    assert main(argv) == 2
    assert "did you mean 'amount'?" in capsys.readouterr().err


def test_validate_names_a_placeholder_no_input_defines(tmp_path: Path) -> None:
    """`connector validate` exits 2 naming the placeholder and where it stands."""
    data = json.loads((ROOT / "task_templates" / "get-payout-request.json").read_text())
    data["httpRequest"]["url"] = "/payout-requests/<<idd>>"
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(data))
    done = subprocess.run(
        [sys.executable, "-m", "connector", "validate", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    errors = json.loads(done.stdout)["error"]["fieldErrors"]
    assert errors == [
        {"field": "httpRequest.url", "message": "<<idd>>: no parameter or body field defines it"}
    ]
