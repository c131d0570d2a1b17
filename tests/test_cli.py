"""The catalogue and dry-run commands: list, describe, validate, render."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_INPUT, ROOT

from connector.cli import main

KEY = "sk_sandbox_CLIKEY987654"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_the_task(capsys: pytest.CaptureFixture[str]) -> None:
    """`list --json` gives each task's name, title, method and path."""
    code, out, _ = _run(capsys, "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "name": "upsert-payout-request",
            "title": "Upsert a payout request",
            "method": "PUT",
            "path": "/payout-requests/<<id>>",
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
    assert err.startswith("error: cannot read --input")


def test_usage_errors_exit_2_in_the_failed_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """A usage error with --json prints the FAILED shape with kind `usage`."""
    with pytest.raises(SystemExit) as caught:
        main(["render", "upsert-payout-request", "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert caught.value.code == 2
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
    assert out.stdout.startswith("upsert-payout-request")
