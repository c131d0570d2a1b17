"""The service answers hostile documents with a 4xx carrying the message the CLI prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DOCUMENT = (
    Path(__file__).resolve().parent / "data" / "engines" / "conductor" / "create_customer.json"
)


@pytest.fixture
def client() -> Any:
    pytest.importorskip("fastapi")
    from starlette.testclient import TestClient

    from connector.service import create_app

    with TestClient(create_app(environ={})) as test_client:
        yield test_client


def _with_lone_surrogate() -> str:
    return DOCUMENT.read_text().replace('"POST"', '"\\ud800"', 1)


def test_an_engine_document_with_a_lone_surrogate_is_422_as_in_the_cli(
    client: Any, tmp_path: Path
) -> None:
    """`\\ud800` in an engine document: the service's 422 and `connector import` name the same
    field and problem (it was a 500 and a traceback)."""
    text = _with_lone_surrogate()
    body = '{"engine": "conductor", "document": ' + text + "}"
    answer = client.post("/api/import", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    [error] = answer.json()["error"]["fieldErrors"]
    assert error["message"] == "holds a lone surrogate (not valid Unicode)"
    path = tmp_path / "doc.json"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "connector", "import", str(path), "--engine", "conductor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert error["field"] in done.stderr and error["message"] in done.stderr
    assert "Traceback" not in done.stderr


def test_a_body_nested_past_the_parser_is_a_400(client: Any) -> None:
    """A request body nested 5,000 deep is a 400, never a 500."""
    inputs = '{"a":' * 5000 + "1" + "}" * 5000
    body = '{"environment": "sandbox", "inputs": ' + inputs + "}"
    answer = client.post(
        "/api/tasks/create-payout-request/render",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400
    assert json.dumps(answer.json()["error"])
