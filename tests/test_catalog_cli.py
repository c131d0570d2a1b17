"""`connector catalog import`, `list`, `search`, and catalogue names where a TASK is taken."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connector import load_task
from connector._store import catalog_dir
from connector.cli import main

PETSTORE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Pet Store", "version": "1"},
    "servers": [{"url": "https://pets.example.com/v1", "description": "Production"}],
    "components": {
        "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    "name": {"type": "string", "maxLength": 20},
                    "tag": {"type": "string", "nullable": True},
                },
            }
        },
    },
    "security": [{"key": []}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "summary": "List all pets",
                "tags": ["pets"],
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok"}},
            },
            "post": {
                "operationId": "createPet",
                "summary": "Create a pet",
                "tags": ["pets"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                    },
                },
                "responses": {"201": {"description": "created"}},
            },
        },
        "/pets/{petId}": {
            "delete": {
                "summary": "Remove a pet",
                "deprecated": True,
                "parameters": [
                    {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"2XX": {"description": "gone"}},
            },
            "trace": {"responses": {"200": {"description": "echo"}}},
        },
    },
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """The small description above, as a JSON file."""
    path = tmp_path / "petstore.json"
    path.write_text(json.dumps(PETSTORE))
    return path


def test_import_prints_every_operation_in_exactly_one_list(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json lists imported, skipped, events; TRACE is skipped with a reason naming its pointer."""
    code, out, _ = _run(capsys, "catalog", "import", str(spec), "--json")
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"api", "environments", "imported", "skipped", "events", "credentials"}
    assert report["api"] == "pet-store"
    assert [(i["operationId"], i["name"], i["method"]) for i in report["imported"]] == [
        ("listPets", "list-pets", "GET"),
        ("createPet", "create-pet", "POST"),
        (None, "delete-pets-pet-id", "DELETE"),
    ]
    assert set(report["imported"][0]) == {
        "operationId",
        "name",
        "method",
        "path",
        "file",
        "warnings",
        "idempotency",
    }
    assert report["imported"][1]["idempotency"].startswith("not idempotent (POST")
    assert Path(report["imported"][0]["file"]).is_file()
    assert any("deprecated" in w for w in report["imported"][2]["warnings"])
    (skipped,) = report["skipped"]
    assert skipped == {
        "operationId": None,
        "method": "TRACE",
        "path": "/pets/{petId}",
        "reason": (
            "TRACE /pets/{petId}: method TRACE is not supported (at #/paths/~1pets~1{petId}/trace)"
        ),
    }


def test_an_imported_template_is_a_task_by_name(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inputs from parameters and body, auth and servers from the description, a valid example."""
    _run(capsys, "catalog", "import", str(spec), "--api", "pets")
    task = load_task("create-pet")
    template = task.template
    assert template.operation is not None and template.operation.api == "pets"
    assert set(template.servers) == {"production", "local"}
    assert template.http_request.body == {"name": "<<name>>", "tag": "<<tag>>"}
    assert template.body_schema is not None and "id" not in template.body_schema["properties"]
    assert template.body_schema["properties"]["tag"]["type"] == ["string", "null"]
    scheme = template.auth.schemes["key"]
    assert scheme.variables() == ("CONNECTOR_PETS_API_KEY",)
    prepared = task.prepare(template.examples[0], environment="production", environ={})
    assert prepared.method == "POST"
    assert prepared.url == "https://pets.example.com/v1/pets"
    assert load_task("pets/create-pet").name == "create-pet"


def test_the_credential_hosts_are_recorded(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without an answer the API key is bound to no host; --accept-hosts binds the
    description's server host."""
    from connector.auth import read_bindings

    _run(capsys, "catalog", "import", str(spec), "--api", "pets")
    assert read_bindings()["CONNECTOR_PETS_API_KEY"] == frozenset()
    _run(capsys, "catalog", "import", str(spec), "--api", "pets", "--accept-hosts")
    assert read_bindings()["CONNECTOR_PETS_API_KEY"] == frozenset({"pets.example.com"})


def test_reimport_reports_added_changed_and_removed(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Names stay the same; a changed operation is 'changed', a vanished one 'removed'."""
    _run(capsys, "catalog", "import", str(spec), "--api", "pets")
    changed = json.loads(json.dumps(PETSTORE))
    changed["paths"]["/pets"]["get"]["summary"] = "List the pets"
    del changed["paths"]["/pets"]["post"]
    spec.write_text(json.dumps(changed))
    code, out, _ = _run(capsys, "catalog", "import", str(spec), "--api", "pets")
    assert code == 0
    assert "0 added, 1 changed, 1 removed, 1 unchanged" in out
    assert "changed: list-pets" in out
    assert "removed: create-pet" in out


def test_only_the_selected_operations_are_imported(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--operation and --tag select; the rest are skipped as not selected."""
    _, out, _ = _run(capsys, "catalog", "import", str(spec), "--operation", "listPets", "--json")
    report = json.loads(out)
    assert [i["name"] for i in report["imported"]] == ["list-pets"]
    assert all("not selected" in s["reason"] or "TRACE" in s["reason"] for s in report["skipped"])


def test_a_file_that_is_not_openapi_exits_2_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 and one message; nothing is written."""
    path = tmp_path / "swagger.yaml"
    path.write_text("swagger: '1.2'\ninfo: {title: x}\n")
    code, _, err = _run(capsys, "catalog", "import", str(path))
    assert code == 2
    assert "not an OpenAPI description" in err and "Swagger '1.2'" in err


def test_list_and_search_show_shipped_and_imported_tasks(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows have name, api, operationId, method, path, title; search adds a score."""
    _run(capsys, "catalog", "import", str(spec), "--api", "pets")
    _, out, _ = _run(capsys, "list", "--json")
    rows = json.loads(out)
    assert {r["name"] for r in rows} >= {"upsert-payout-request", "list-pets", "create-pet"}
    assert set(rows[0]) == {"name", "api", "operationId", "method", "path", "title"}
    _, out, _ = _run(capsys, "list", "--api", "pets", "--json")
    assert {r["api"] for r in json.loads(out)} == {"pets"}
    _, out, _ = _run(capsys, "search", "register a new pet", "--limit", "2", "--json")
    hits = json.loads(out)
    assert hits[0]["name"] == "create-pet"
    assert hits[0]["score"] > 0


def test_an_unqualified_name_two_apis_share_asks_for_the_api(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The message lists the qualified names to use."""
    from connector import TemplateError

    _run(capsys, "catalog", "import", str(spec), "--api", "pets")
    _run(capsys, "catalog", "import", str(spec), "--api", "pets2")
    with pytest.raises(TemplateError, match="pets/list-pets, pets2/list-pets"):
        load_task("list-pets")


def test_catalog_list_show_and_remove_manage_imported_apis(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """list names the API with its tasks and classified environments; show lists them;
    remove takes every task out of list and search; an unknown name gets a suggestion."""
    assert _run(capsys, "catalog", "import", str(spec))[0] == 0
    code, out, _ = _run(capsys, "catalog", "list", "--json")
    assert code == 0
    (entry,) = json.loads(out)
    assert (entry["api"], entry["tasks"]) == ("pet-store", 3)
    assert {"name": "production", "kind": "production", "url": "https://pets.example.com/v1"} in (
        entry["environments"]
    )
    code, out, _ = _run(capsys, "catalog", "show", "pet-store")
    assert code == 0 and "environment production (production)" in out and "create-pet" in out
    code, _, err = _run(capsys, "catalog", "remove", "pet-stor")
    assert code == 2 and "did you mean 'pet-store'" in err
    record = catalog_dir() / "bindings" / "pet-store.json"
    assert record.exists()
    assert _run(capsys, "catalog", "remove", "pet-store")[0] == 0
    assert not record.exists()  # its credentials' hosts go with it
    code, out, _ = _run(capsys, "search", "create a pet", "--json")
    assert code == 0 and all(row["api"] != "pet-store" for row in json.loads(out))
    assert _run(capsys, "catalog", "list", "--json")[1].strip() == "[]"


def test_a_mistyped_imported_task_suggests_the_imported_one_with_its_api(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Did-you-mean covers imported names and says which API each belongs to; a shipped
    task is not offered for an imported one's typo."""
    assert _run(capsys, "catalog", "import", str(spec))[0] == 0
    code, _, err = _run(capsys, "describe", "create-pett")
    assert code == 2
    assert "(did you mean 'create-pet' (pet-store)?)" in err
    assert "payout" not in err


def test_search_rows_keep_their_columns_with_long_names_and_show_no_score() -> None:
    """Title, method, path, API and name stay aligned when a title or path is long; a long
    one is shortened with an ellipsis, and no score column is printed."""
    from connector.cli._rows import TITLE_WIDTH, hit_lines

    rows = [
        {"title": "Create an issue", "method": "POST", "path": "/repos/{o}/{r}/issues"},
        {"title": "T" * 90, "method": "DELETE", "path": "/" + "p" * 90},
    ]
    lines = hit_lines(
        [{**row, "api": "github", "name": f"task-{i}", "score": 9.5} for i, row in enumerate(rows)]
    )
    starts = {line.index(method) for line, method in zip(lines, ("POST ", "DELETE"), strict=True)}
    assert len(starts) == 1
    assert starts.pop() == TITLE_WIDTH + 2
    assert "\u2026" in lines[1]
    assert {line.split()[-2:][0] for line in lines} == {"github"}
    assert not any("9.5" in line for line in lines)
