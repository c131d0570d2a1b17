"""`connector export`: by default only what the engine needs, so the output can be pasted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connector._catalog import load_task
from connector.cli import main
from connector.engines import METADATA_KEY, import_task

OWNER = "payments@example.com"


def _export(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[dict[str, Any], str]:
    assert main(["export", "upsert-payout-request", "--engine", "conductor", *extra]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def _body(document: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = document["workflowTask"]["inputParameters"]["http_request"]["body"]
    return body


def test_default_export_is_the_required_writable_fields_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only the step's identity as round-trip data (name, operation, auth, parameters), no read-only
    fields, no optional field the engine would send null."""
    document, err = _export(capsys)
    required = load_task("upsert-payout-request").template.body_schema["required"]  # type: ignore[index]
    assert sorted(_body(document)) == sorted(required)
    kept = document["workflowTask"]["inputParameters"][METADATA_KEY]
    assert set(kept) == {"template"}
    assert set(kept["template"]) <= {"name", "title", "operation", "auth", "parameters", "env"}
    assert {"name", "auth", "parameters"} <= set(kept["template"])
    assert len(json.dumps(document)) < 5000
    assert "sent as null" not in err


def test_fields_adds_optional_fields(capsys: pytest.CaptureFixture[str]) -> None:
    """--fields adds the fields a workflow gives, and warns that a missing one is null."""
    document, err = _export(capsys, "--fields", "description,paymentInstrumentId")
    assert {"description", "paymentInstrumentId"} <= set(_body(document))
    assert "sent as null" in err


def test_full_export_round_trips_to_the_same_template(capsys: pytest.CaptureFixture[str]) -> None:
    """--full keeps every field and connector:template: the import gives the template back."""
    document, _ = _export(capsys, "--full")
    assert METADATA_KEY in document["workflowTask"]["inputParameters"]
    template = load_task("upsert-payout-request").template
    assert import_task(document, "conductor").template == template


def test_owner_email_is_on_every_definition(capsys: pytest.CaptureFixture[str]) -> None:
    """--owner-email writes ownerEmail on the task definitions and the workflow."""
    document, _ = _export(capsys, "--owner-email", OWNER, "--workflow", "payouts")
    assert [d["ownerEmail"] for d in document["taskDefs"]] == [OWNER]
    assert document["workflowDef"]["ownerEmail"] == OWNER


def test_a_slim_export_still_imports(capsys: pytest.CaptureFixture[str]) -> None:
    """Without round-trip data the import reads the engine's own fields (and exports back)."""
    document, _ = _export(capsys)
    imported = import_task(document, "conductor")
    assert sorted(imported.template.http_request.body) == sorted(_body(document))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metadata", "field", "message"),
    [
        pytest.param(
            {"baseURL": "https://x.test"},
            "baseURL",
            "unknown key (did you mean 'baseUrl'?)",
            id="unknown-key",
        ),
        pytest.param({"environment": 7}, "environment", "valid string", id="wrong-type"),
        pytest.param({"template": []}, "template", "JSON object", id="template-not-object"),
    ],
)
def test_an_edited_metadata_parameter_is_refused_naming_its_key(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
    metadata: Any,
    field: str,
    message: str,
) -> None:
    """A hand-edited connector:template is never half-read: exit 2, its key named, nothing out."""
    document, _ = _export(capsys, "--full")
    document["workflowTask"]["inputParameters"][METADATA_KEY] = metadata
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    assert main(["import", str(path), "--engine", "conductor"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{METADATA_KEY} is not what an export writes" in captured.err
    assert f"  inputParameters.{METADATA_KEY}.{field}: " in captured.err
    assert message in captured.err
    assert "Traceback" not in captured.err


PETS = Path(__file__).resolve().parents[1] / "examples" / "pets.openapi.yaml"


def _process(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("engine", ["simworkflow", "conductor"])
def test_an_imported_step_round_trips_by_default_and_silently_in_full(
    engine: str, tmp_path: Path
) -> None:
    """As a user runs them: the default export imports back to the same name, auth and
    parameters; a --full round trip prints no warning about anything lost."""
    environ = {**os.environ, "CONNECTOR_CATALOG": str(tmp_path / "catalog")}
    imported = _process(environ, "catalog", "import", str(PETS), "--api", "pets", "--accept-hosts")
    assert imported.returncode == 0, imported.stderr
    original = json.loads((tmp_path / "catalog" / "pets" / "create-pet.json").read_text())
    for flags in ([], ["--full"]):
        exported, back = tmp_path / "exported.json", tmp_path / "back.json"
        made = _process(
            environ, "export", "create-pet", "--engine", engine, *flags, "-o", str(exported)
        )
        assert made.returncode == 0, made.stderr
        read = _process(environ, "import", str(exported), "--engine", engine, "-o", str(back))
        assert read.returncode == 0, read.stderr
        template = json.loads(back.read_text())
        assert (template["name"], template["auth"]) == (original["name"], original["auth"])
        assert set(template.get("parameters", {})) == set(original.get("parameters", {}))
        if flags:
            assert "warning" not in read.stderr
