"""The page's workflow panel API: an Arazzo document's dry run, catalogue sources only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi")

from conftest import ROOT
from starlette.testclient import TestClient

from connector.emulator import Emulator
from connector.service import LocalTarget, create_app

EXAMPLE = ROOT / "examples" / "payout-lifecycle"
SECRET = "sk_sandbox_service_workflow_secret_99"


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    """A client of the service; a real key sits in its environment."""
    app = create_app(
        local=LocalTarget(emulator=emulator),
        environ={"REBILLY_API_KEY": SECRET},
        allowed_hosts=frozenset({"testserver", "127.0.0.1"}),
    )
    with TestClient(app) as test_client:
        yield test_client


def test_the_panel_plans_the_payout_lifecycle(client: TestClient, emulator: Emulator) -> None:
    """Each step's request and wiring come back; nothing is sent, no secret is shown."""
    body = {
        "document": (EXAMPLE / "payout-lifecycle.arazzo.yaml").read_text(),
        "inputs": json.loads((EXAMPLE / "input.json").read_text()),
    }
    answer = client.post("/api/workflows/plan", json=body)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["workflows"] == ["payout-lifecycle"]
    assert [s["stepId"] for s in plan["steps"]][:3] == ["upsert", "read", "batch"]
    read = plan["steps"][1]
    assert {"to": "read.path.id", "from": "$steps.upsert.outputs.id"} in read["inputs"]
    assert emulator.requests == []
    assert SECRET not in answer.text


def test_a_file_source_is_refused_and_nothing_is_read(
    client: TestClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A document naming a file (or a URL) is refused by pointer: the service reads neither."""
    document = (
        (EXAMPLE / "payout-lifecycle.arazzo.yaml")
        .read_text()
        .replace("url: catalog:rebilly", "url: /etc/passwd")
    )
    answer = client.post("/api/workflows/plan", json={"document": document})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["fieldErrors"][0]["field"] == "/sourceDescriptions/0/url"
    assert "root:" not in answer.text


def test_a_broken_document_names_its_pointer(client: TestClient) -> None:
    """A rule the document breaks comes back by JSON pointer, as `workflow validate` says it."""
    document = (
        (EXAMPLE / "payout-lifecycle.arazzo.yaml")
        .read_text()
        .replace("value: $steps.upsert.outputs.id\n", "value: $steps.upsert.outputs.nope\n", 1)
    )
    answer = client.post("/api/workflows/plan", json={"document": document})
    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json()["error"]["fieldErrors"]]
    assert fields == ["/workflows/0/steps/1/parameters/0/value"]
