"""Schemas from outside: patterns matched in linear time, and nothing fetched.

Each route that builds a validator from a file an attacker may write (validate, render,
emulator --spec, an offline test request, catalog import) is run as a user runs it, with a
recording listener on loopback standing in for the remote host every `$ref`, `$schema` and
`$id` points at: it must see no connection.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connector._validators import (
    expanded_size,
    is_valid,
    matches,
    pattern_problem,
    schema_problem,
    validator,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "task_templates"
EVIL = "^(a+)+$"
ATTACK = "a" * 30 + "!"


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.connections: list[bytes] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(200))
                except OSError:
                    self.connections.append(b"")

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    recording = Listener()
    yield recording
    recording.close()


def _connector(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONNECTOR_CATALOG": str(tmp_path / "catalog")}
    return subprocess.run(
        [sys.executable, "-m", "connector", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )


# -- linear-time patterns ----------------------------------------------------------------


def test_a_catastrophic_pattern_answers_at_once() -> None:
    """`^(a+)+$` against 30 a's and a `!` is a plain mismatch, not 2^30 backtracking steps."""
    assert not matches(EVIL, ATTACK)
    assert matches(EVIL, "a" * 31)
    assert not validator({"type": "string", "pattern": EVIL}).is_valid(ATTACK * 1000)


@pytest.mark.parametrize("pattern", ["^(?=a)a$", "(a)\\1", "(?<!x)y", "a{100000}{100000}"], ids=str)
def test_a_pattern_beyond_the_linear_engine_is_named(pattern: str) -> None:
    """Lookaround, backreferences and patterns too big to compile are refused, never run."""
    assert pattern_problem(pattern) is not None
    assert not matches(pattern, "a")
    assert schema_problem({"pattern": pattern}) is not None


def test_patterns_read_as_ecma_reads_them() -> None:
    """`\\w` is ASCII and `$` is the end of the value (no final newline slips through)."""
    assert matches(r"^\w+$", "abc_1")
    assert not matches(r"^\w+$", "café")
    assert not matches("^[a-z]+$", "abc\n")


def _template(tmp_path: Path, body_schema: dict[str, Any]) -> Path:
    template = json.loads((TEMPLATES / "create-payout-request.json").read_text())
    template["bodySchema"] = body_schema
    file = tmp_path / "task.json"
    file.write_text(json.dumps(template))
    return file


def test_the_path_id_check_of_a_hostile_pattern_answers_at_once(tmp_path: Path) -> None:
    """`render` with a path id checked by `^(a+)+$`: one message, at once (it took 42 s)."""
    file = tmp_path / "task.json"
    text = (TEMPLATES / "get-payout-request.json").read_text()
    text = text.replace('"^[@~\\\\-\\\\.\\\\w]+$"', json.dumps(EVIL))
    assert EVIL in text, "the shipped id rule is where the hostile pattern goes"
    file.write_text(text)
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"organizationId": "org", "id": ATTACK}))
    started = time.monotonic()
    done = _connector(tmp_path, "render", str(file), "--input", str(inputs))
    assert done.returncode == 2
    assert f"does not match {EVIL}" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 30  # the process, not the match: it took 42 s alone


def test_the_service_answers_a_hostile_path_id_without_stalling(tmp_path: Path) -> None:
    """`connector serve`'s dry run of such a path id answers 422 naming the field."""
    pytest.importorskip("fastapi")
    from starlette.testclient import TestClient

    from connector._store import write_api
    from connector.service import create_app

    text = (TEMPLATES / "get-payout-request.json").read_text()
    hostile_text = text.replace('"^[@~\\\\-\\\\.\\\\w]+$"', json.dumps(EVIL))
    assert EVIL in hostile_text
    write_api("hostile", [json.loads(hostile_text)])
    with TestClient(create_app(environ={})) as client:
        answer = client.post(
            "/api/tasks/get-payout-request/render",
            json={"environment": "sandbox", "inputs": {"organizationId": "o", "id": ATTACK}},
        )
        hostile = client.post(
            "/api/tasks/hostile/get-payout-request/render",
            json={"environment": "sandbox", "inputs": {"organizationId": "o", "id": ATTACK}},
        )
    assert answer.status_code == 422
    assert hostile.status_code == 422
    assert EVIL in json.dumps(hostile.json())


# -- nothing fetched ---------------------------------------------------------------------


def test_an_unknown_schema_dialect_is_a_name(listener: Listener) -> None:
    """`$schema` and `$id` at an address are read as names: nothing connects."""
    schema = {"$schema": listener.url("meta"), "$id": listener.url("id"), "type": "string"}
    assert is_valid(schema, "x")
    assert not is_valid(schema, 1)
    assert listener.connections == []


def test_a_remote_or_file_ref_is_refused_without_its_values(
    listener: Listener, tmp_path: Path
) -> None:
    """A `$ref` to http or to a local file is an error naming the address, not the contents."""
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"enum": ["s3cr3t-value"]}))
    for ref in (listener.url("a.json"), secret.as_uri(), str(secret)):
        problem = schema_problem({"properties": {"a": {"$ref": ref}}})
        assert problem is not None
        assert "s3cr3t-value" not in problem
    assert listener.connections == []


@pytest.mark.parametrize("command", ["validate", "render"])
def test_a_template_schema_pointing_away_fetches_nothing(
    listener: Listener, tmp_path: Path, command: str
) -> None:
    """`validate` and `render` of a template whose bodySchema points at a remote host or a
    local file: one message, nothing fetched, the file's values never printed."""
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"enum": ["s3cr3t-value"]}))
    schemas = [
        {
            "$schema": listener.url("meta"),
            "$id": listener.url("id"),
            "properties": {"amount": {"$ref": listener.url("amount.json")}},
        },
        {"properties": {"amount": {"$ref": secret.as_uri()}}},
    ]
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"organizationId": "o", "amount": 1}))
    for schema in schemas:
        file = _template(tmp_path, schema)
        argv = [command, str(file)] + (["--input", str(inputs)] if command == "render" else [])
        done = _connector(tmp_path, *argv)
        assert done.returncode == 2
        assert "is not a usable JSON Schema" in done.stderr
        assert "s3cr3t-value" not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
    assert listener.connections == []


def _description(listener: Listener, *, remote_ref: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": listener.url("meta"),
        "$id": listener.url("id"),
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    }
    if remote_ref:
        schema["properties"]["tag"] = {"$ref": listener.url("tag.json")}
    operation = {
        "operationId": "createThing",
        "requestBody": {"content": {"application/json": {"schema": schema}}},
        "responses": {
            "201": {"description": "made", "content": {"application/json": {"schema": schema}}}
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Things", "version": "1"},
        "servers": [{"url": "https://api.things.test"}],
        "paths": {"/things": {"post": operation}},
    }


def test_catalog_import_and_an_offline_test_request_fetch_nothing(
    listener: Listener, tmp_path: Path
) -> None:
    """Importing a description whose schemas name remote dialects, ids and refs, then test
    requesting it against the local emulator: nothing connects to the remote host."""
    spec = tmp_path / "things.json"
    spec.write_text(json.dumps(_description(listener, remote_ref=True)))
    imported = _connector(tmp_path, "catalog", "import", str(spec), "--json")
    assert imported.returncode == 2, imported.stderr  # its one operation skipped: refused
    assert "refers outside the description" in imported.stdout
    spec.write_text(json.dumps(_description(listener, remote_ref=False)))
    imported = _connector(tmp_path, "catalog", "import", str(spec), "--json")
    assert imported.returncode == 0, imported.stderr
    name = json.loads(imported.stdout)["imported"][0]["name"]
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"name": "one"}))
    sent = _connector(tmp_path, "test-request", name, "--input", str(inputs), "--json")
    assert "Traceback" not in sent.stderr
    assert json.loads(sent.stdout)["status"] in {"COMPLETED", "FAILED"}
    assert listener.connections == []


def test_the_emulator_of_a_description_fetches_nothing(listener: Listener, tmp_path: Path) -> None:
    """`emulator --spec` of a description with remote refs serves and validates a request
    without connecting to the remote host."""
    spec = tmp_path / "things.json"
    spec.write_text(json.dumps(_description(listener, remote_ref=True)))
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "emulator", "--spec", str(spec), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().split()[2]
        answer = requests.post(f"{base}/things", json={"name": "one", "tag": 1}, timeout=10)
        assert answer.status_code < 500
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=10)
    assert "Traceback" not in err
    assert listener.connections == []


# -- bounded checks ----------------------------------------------------------------------


def _maze(depth: int) -> dict[str, Any]:
    """Each level an object that is one of two branches, both naming the level below."""
    defs: dict[str, Any] = {"m0": {"type": "object", "properties": {"a": {"type": "string"}}}}
    for level in range(1, depth + 1):
        below = {"$ref": f"#/$defs/m{level - 1}"}
        defs[f"m{level}"] = {"type": "object", "anyOf": [below, {"allOf": [below]}]}
    return {"$ref": f"#/$defs/m{depth}", "$defs": defs}


def test_a_maze_of_refs_is_refused_before_it_is_checked() -> None:
    """2^30 branches written in a few kilobytes: refused when compiled, never walked."""
    with pytest.raises(ValueError, match="expands to more than"):
        validator(_maze(30))
    assert "expands to more than" in (schema_problem(_maze(30)) or "")
    assert validator(_maze(8)).is_valid({"a": "x"})


def test_a_recursive_schema_is_not_a_maze() -> None:
    """A tree that names itself (a cycle) counts once, and validates as before."""
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
            }
        },
        "$ref": "#/$defs/node",
    }
    assert expanded_size(tree) < 20
    assert validator(tree).is_valid({"kids": [{"kids": []}]})
    assert not validator(tree).is_valid({"kids": [1]})


def test_catalog_import_of_a_maze_is_one_skip(tmp_path: Path) -> None:
    """`catalog import` of a 30-level maze body: the operation is skipped with the reason,
    in bounded time (it ran for minutes)."""
    maze = _maze(30)
    schemas = {
        name: json.loads(json.dumps(schema).replace("#/$defs/", "#/components/schemas/"))
        for name, schema in maze["$defs"].items()
    }
    operation = {
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/m30"}}}
        },
        "responses": {"200": {"description": "ok"}},
    }
    spec = tmp_path / "maze.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "Maze", "version": "1"},
                "paths": {"/x": {"post": operation}},
                "components": {"schemas": schemas},
            }
        )
    )
    done = _connector(tmp_path, "catalog", "import", str(spec), "--json")
    assert done.returncode == 2, done.stderr  # its one operation skipped: nothing to import
    assert "expands to more than" in json.loads(done.stdout)["error"]["message"]
