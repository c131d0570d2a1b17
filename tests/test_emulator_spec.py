"""`connector emulator --spec FILE`: any API served from its description, with generic
resource state; and `--rate-limit`. The descriptions are read from `../shared/openapi/`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connector.cli._emulator import parse_rate_limit
from connector.emulator import Emulator, api_from_description, load_description
from connector.emulator._validation import field_errors

CORPUS = next(
    (
        folder / "shared" / "openapi" / "corpus"
        for folder in Path(__file__).resolve().parents[1:]
        if (folder / "shared" / "openapi" / "corpus").is_dir()
    ),
    None,
)
if CORPUS is None:
    pytest.skip("../shared/openapi/corpus is not here", allow_module_level=True)
PETSTORE = CORPUS / "oai-petstore-expanded.yaml"


@pytest.fixture
def pets() -> Iterator[str]:
    """The expanded petstore served on loopback; its base URL."""
    api = api_from_description(load_description(PETSTORE))
    with Emulator(api=api) as emulator:
        yield emulator.url + api.prefix


def test_post_creates_get_reads_list_lists_delete_removes(pets: str) -> None:
    """Generic state: a POST to the collection creates, the item path acts on it."""
    created = requests.post(f"{pets}/pets", json={"name": "Rex", "tag": "dog"}, timeout=5)
    assert created.status_code == 200  # the description declares 200 for addPet
    pet = created.json()
    assert pet["name"] == "Rex"
    assert isinstance(pet["id"], int)  # the Pet schema's id is an integer
    assert requests.get(f"{pets}/pets/{pet['id']}", timeout=5).json() == pet
    assert requests.get(f"{pets}/pets", timeout=5).json() == [pet]
    assert requests.delete(f"{pets}/pets/{pet['id']}", timeout=5).status_code == 204
    gone = requests.get(f"{pets}/pets/{pet['id']}", timeout=5)
    assert gone.status_code == 404
    assert set(gone.json()) == {"code", "message"}  # the `default` Error schema
    assert requests.get(f"{pets}/pets", timeout=5).json() == []


def test_requests_are_validated_against_the_description(pets: str) -> None:
    """A body the schema refuses is 422 with invalidFields; nothing is stored."""
    refused = requests.post(f"{pets}/pets", json={"tag": 3}, timeout=5)
    assert refused.status_code == 422
    fields = {item["field"] for item in refused.json()["invalidFields"]}
    assert fields == {"name", "tag"}
    assert requests.get(f"{pets}/pets", timeout=5).json() == []


def test_answers_are_built_from_response_schemas() -> None:
    """An operation without state to show answers an instance of its response schema."""
    description = load_description(CORPUS / "adyen-PayoutService-v68.json")
    api = api_from_description(description)
    operation = next(op for op in api.operations if op.method == "POST")
    with Emulator(api=api, api_keys={"key"}) as emulator:
        base = emulator.url + api.prefix
        anonymous = requests.post(base + operation.path, json={}, timeout=5)
        assert anonymous.status_code == 401  # the description's API key is required
        assert emulator.requests[-1].status == 401
    spec = operation.success()
    assert spec is not None


def test_the_command_serves_a_description() -> None:
    """`connector emulator --spec FILE` as users start it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "emulator", "--port", "0", "--spec", str(PETSTORE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base = line.split("base URL ")[1].split(";")[0]
        assert base.endswith("/v2")
        created = requests.post(f"{base}/pets", json={"name": "Tom"}, timeout=5)
        assert created.status_code == 200
        assert requests.get(f"{base}/pets", timeout=5).json() == [created.json()]
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0


@pytest.mark.parametrize(
    "argument",
    [["--spec", "/nonexistent.json"], ["--spec", __file__], ["--rate-limit", "3000"]],
    ids=["missing-file", "not-a-description", "bad-rate-limit"],
)
def test_the_command_refuses_bad_options(argument: list[str]) -> None:
    """One clear message and exit 2; nothing listens."""
    done = subprocess.run(
        [sys.executable, "-m", "connector", "emulator", "--port", "0", *argument],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert argument[0] in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3000/600s", (3000, 600.0)), ("5/1", (5, 1.0)), ("10/0.5s", (10, 0.5))],
)
def test_rate_limit_option(text: str, expected: tuple[int, float]) -> None:
    """REQUESTS/SECONDS, the `s` optional."""
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["0/60s", "5/0s", "x/1", "5/60m", ""])
def test_rate_limit_option_refuses_nonsense(text: str) -> None:
    """A limit that is not a positive count per positive window is refused."""
    with pytest.raises(ValueError, match="--rate-limit"):
        parse_rate_limit(text)


def test_the_command_applies_the_rate_limit() -> None:
    """`--rate-limit 2/600s`: the third non-GET request of an organization is 429."""
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "emulator", "--port", "0", "--rate-limit", "2/600s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        body = {"websiteId": "w", "customerId": "c", "currency": "USD", "amount": 1}
        put = f"{url}/organizations/o/payout-requests/p"
        statuses = [
            requests.put(put, json=body, headers={"REB-APIKEY": "k"}, timeout=5).status_code
            for _ in range(3)
        ]
        assert statuses == [201, 200, 429]
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()


def test_field_errors_name_nested_fields() -> None:
    """The same dot notation for any description."""
    schema = {"type": "object", "properties": {"a": {"type": "object", "required": ["b"]}}}
    assert field_errors(schema, {"a": {}}) == [
        {"field": "a.b", "message": "This field is required"}
    ]
