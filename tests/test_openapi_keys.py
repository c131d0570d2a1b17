"""What the importer infers about idempotency: the key's input, the read-back, and what it says."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from connector.emulator import load_description
from connector.openapi import import_description

PAYMENTS = Path(__file__).resolve().parent / "data" / "batch" / "payments.json"


def imported(document: dict[str, Any]) -> dict[str, Any]:
    """name -> (template, what the import said about its idempotency)."""
    return {i.name: (i.template, i.idempotency) for i in import_description(document).imported}


def test_a_header_key_and_a_client_id_read_back_are_inferred() -> None:
    """`Idempotency-Key` becomes the key; POST /payouts with `id` beside GET /payouts/{id}
    gets that GET as its read-back; GETs declare nothing."""
    found = imported(load_description(PAYMENTS))
    charge, said = found["create-charge"]
    assert charge["idempotency"] == {"key": "Idempotency-Key"}
    assert said == "keyed by header Idempotency-Key"
    payout, said = found["create-payout"]
    assert payout["idempotency"] == {"readBack": {"url": "/payouts/<<id>>"}}
    assert said.startswith("not idempotent (POST, no idempotency key): never retried")
    assert "idempotency" not in found["get-payout"][0]


def test_a_body_field_described_as_a_key_is_inferred() -> None:
    """A body property named like a key (or a token described so) is the key's input."""
    document = copy.deepcopy(load_description(PAYMENTS))
    schema = document["components"]["schemas"]["Charge"]
    schema["properties"]["requestToken"] = {
        "type": "string",
        "description": "Makes a retried request idempotent.",
    }
    operation = document["paths"]["/charges"]["post"]
    operation["parameters"] = []
    charge, said = imported(document)["create-charge"]
    assert charge["idempotency"] == {"key": "requestToken"}
    assert said == "keyed by body field requestToken"


def test_the_import_command_says_what_it_inferred(tmp_path: Path) -> None:
    """The text output names the keyed tasks and counts the unkeyed POST/PATCH."""
    environ = {**os.environ, "CONNECTOR_CATALOG": str(tmp_path / "catalog")}
    done = subprocess.run(
        [sys.executable, "-m", "connector", "catalog", "import", str(PAYMENTS)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "create-charge: keyed by header Idempotency-Key" in done.stdout
    assert "1 POST/PATCH without an idempotency key: never retried" in done.stdout
    as_json = subprocess.run(
        [sys.executable, "-m", "connector", "catalog", "import", str(PAYMENTS), "--json"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    said = {i["name"]: i["idempotency"] for i in json.loads(as_json.stdout)["imported"]}
    assert said["get-payout"] == "idempotent (GET)"
