"""Where a request goes (`connector._target`): kinds, the default choice, the refusals; and
the same rule through `connector` processes on an imported API with a production server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector._target import choose, classify, default_for_definition, kind, refusal
from connector._template import parse_template

PAYMENTS: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Acme Payments", "version": "1"},
    "servers": [
        {"url": "https://api.acme-pay.example/v2", "description": "Production"},
        {"url": "https://sandbox.acme-pay.example/v2"},
    ],
    "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
    "security": [{"token": []}],
    "paths": {
        "/payments": {
            "post": {
                "operationId": "createPayment",
                "summary": "Create a payment",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["amount"],
                                "properties": {"amount": {"type": "integer", "example": 100}},
                            }
                        }
                    },
                },
                "responses": {"201": {"description": "created"}},
            }
        }
    },
}
PRODUCTION_ONLY: dict[str, Any] = {**PAYMENTS, "servers": [PAYMENTS["servers"][0]]}


def _template(servers: dict[str, Any], auth: bool = True) -> Any:
    template: dict[str, Any] = {
        "name": "t",
        "title": "T",
        "servers": servers,
        "httpRequest": {"url": "/x", "method": "GET"},
    }
    if auth:
        bearer = {"type": "http", "scheme": "bearer", "env": "ACME_TOKEN"}
        template["auth"] = {"schemes": {"k": bearer}}
    return parse_template(template, source="t")


@pytest.mark.parametrize(
    ("name", "description", "url", "expected"),
    [
        pytest.param("sandbox", "", "https://a.example", "test", id="name"),
        pytest.param("server2", "Staging server", "https://a.example", "test", id="description"),
        pytest.param("x.example", "", "https://api-dev.x.example", "test", id="host"),
        pytest.param("live", "", "https://api.x.example", "production", id="live"),
        pytest.param("api.x.example", "Production", "https://api.x.example", "production", id="p"),
        pytest.param("local", "", "http://127.0.0.1:8765", "local", id="local"),
    ],
)
def test_environments_are_classified(name: str, description: str, url: str, expected: str) -> None:
    """Test words in the name, description or host make a test environment; else production."""
    assert kind(name, description, url) == expected


def test_without_credentials_a_send_goes_to_the_emulator_and_says_why() -> None:
    """No credential set: local, with the reason naming the variable to set."""
    template = _template({"live": "https://a.example", "sandbox": "https://sandbox.a.example"})
    choice = choose(template, environ={})
    assert (choice.environment, choice.local) == ("local", True)
    assert choice.note is not None and "ACME_TOKEN" in choice.note


def test_with_credentials_a_send_goes_to_the_test_environment_never_production() -> None:
    """Credentials set: the test environment; an API with only production goes local."""
    both = _template({"live": "https://a.example", "sandbox": "https://sandbox.a.example"})
    assert choose(both, environ={"ACME_TOKEN": "t"}).environment == "sandbox"
    only = _template({"api.a.example": "https://api.a.example", "local": "http://127.0.0.1"})
    assert choose(only, environ={"ACME_TOKEN": "t"}).environment == "local"


def test_a_named_target_is_taken_as_named() -> None:
    """What the caller names is not second-guessed by the choice (refusal judges it)."""
    template = _template({"live": "https://a.example"})
    assert choose(template, "live", environ={}).environment == "live"
    assert choose(template, None, "http://127.0.0.1:1").base_url == "http://127.0.0.1:1"


def test_a_dry_run_and_an_export_never_need_a_concrete_environment() -> None:
    """Dry run: the test environment, else local; an export falls back to the first server."""
    only = _template({"api.a.example": "https://api.a.example", "local": "http://127.0.0.1"})
    assert default_for_definition(only) == "local"
    assert default_for_definition(only, export=True) == "api.a.example"
    both = _template({"live": "https://a.example", "sandbox": "https://sandbox.a.example"})
    assert default_for_definition(both, export=True) == "sandbox"


def test_production_is_refused_without_credentials_then_without_confirmation() -> None:
    """Like Rebilly's live: credentials first (or on purpose without), then a confirmation."""
    template = _template({"api.a.example": "https://api.a.example"})
    first = refusal(template, "api.a.example", None, {})
    assert first is not None and "ACME_TOKEN" in first.message and not first.confirmable
    second = refusal(template, "api.a.example", None, {}, without_credentials=True)
    assert second is not None and second.confirmable and "--yes" in second.message
    assert refusal(template, "api.a.example", None, {"ACME_TOKEN": "t"}, confirmed=True) is None


def test_a_test_environment_needs_no_confirmation_and_local_no_credentials() -> None:
    """sandbox with its credentials goes; local and a given base URL are never refused here."""
    template = _template({"sandbox": "https://sandbox.a.example", "local": "http://127.0.0.1"})
    assert refusal(template, "sandbox", None, {"ACME_TOKEN": "t"}) is None
    assert refusal(template, "local", None, {}) is None
    assert refusal(template, "sandbox", "http://127.0.0.1:9", {}) is None


def test_classify_reads_templates_as_json() -> None:
    """An import's environments, each with its kind and URL, first seen first."""
    found = classify([{"servers": {"a.example": "https://a.example", "local": "http://l"}}])
    assert found == {
        "a.example": ("production", "https://a.example"),
        "local": ("local", "http://l"),
    }


# -- the same rule through the command line -------------------------------------------------


@pytest.fixture
def environ(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A `connector` process's environment: no credentials, a catalogue of its own."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REBILLY_", "ACME_", "CONNECTOR_ACME_"))
    }
    yield {**kept, "CONNECTOR_CATALOG": str(tmp_path / "catalog")}


def _connector(environ: dict[str, str], *args: str, stdin: str = "") -> Any:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def _import(environ: dict[str, str], tmp_path: Path, description: dict[str, Any]) -> str:
    spec = tmp_path / "acme.json"
    spec.write_text(json.dumps(description))
    imported = _connector(environ, "catalog", "import", str(spec), "--accept-hosts")
    assert imported.returncode == 0, imported.stderr
    return str(imported.stdout)


def test_import_prints_each_environment_with_its_kind(
    environ: dict[str, str], tmp_path: Path
) -> None:
    """The production and the test server are named and classified at import."""
    out = _import(environ, tmp_path, PAYMENTS)
    assert "environment production (production): https://api.acme-pay.example/v2" in out
    assert "environment sandbox.acme-pay.example (test): https://sandbox.acme-pay" in out


def test_an_imported_api_renders_exports_and_sends_offline_by_default(
    environ: dict[str, str], tmp_path: Path
) -> None:
    """No --environment: the dry run and both exports work; the test request goes to the
    emulator, with one line saying why; production is never chosen."""
    _import(environ, tmp_path, PRODUCTION_ONLY)
    body = '{"amount": 100}'
    rendered = _connector(environ, "render", "create-payment", "--input", "-", stdin=body)
    assert rendered.returncode == 0, rendered.stderr
    assert "http://127.0.0.1:8765/v2/payments" in rendered.stdout
    for engine in ("simworkflow", "conductor"):
        exported = _connector(environ, "export", "create-payment", "--engine", engine)
        assert exported.returncode == 0, exported.stderr
        assert "is production" in exported.stderr
    sent = _connector(environ, "test-request", "create-payment", "--input", "-", stdin=body)
    assert sent.returncode == 0, sent.stderr
    notes = [line for line in sent.stderr.splitlines() if "emulator" in line]
    assert len(notes) == 1 and "no test environment" in notes[0]


def test_an_imported_production_server_is_guarded_like_live(
    environ: dict[str, str], tmp_path: Path
) -> None:
    """Named production: refused without credentials, then without --yes; nothing sent."""
    _import(environ, tmp_path, PRODUCTION_ONLY)
    args = ("test-request", "create-payment", "--input", "-", "--environment", "production")
    bare = _connector(environ, *args, stdin='{"amount": 1}')
    assert bare.returncode == 2 and "no credentials for production" in bare.stderr
    keyed = {**environ, "CONNECTOR_ACME_PAYMENTS_TOKEN": "t-not-real"}
    unconfirmed = _connector(keyed, *args, stdin='{"amount": 1}')
    assert unconfirmed.returncode == 2 and "confirm with --yes" in unconfirmed.stderr


NESTED: dict[str, Any] = {
    **PRODUCTION_ONLY,
    "paths": {
        "/payments": {
            "post": {
                "operationId": "createPayment",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "amount_money": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "properties": {"amount": {"type": "integer"}},
                                    },
                                    "note": {
                                        "type": "object",
                                        "properties": {"text": {"type": "string"}},
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {"201": {"description": "created"}},
            }
        }
    },
}


def test_an_unknown_nested_key_is_an_error_where_closed_and_a_warning_where_open(
    environ: dict[str, str], tmp_path: Path
) -> None:
    """amount_money.amont (a closed object) stops the dry run with a did-you-mean;
    note.txet (an open one) is sent, with a warning that suggests the field."""
    _import(environ, tmp_path, NESTED)
    closed = _connector(
        environ, "render", "create-payment", "--input", "-", stdin='{"amount_money": {"amont": 1}}'
    )
    assert closed.returncode == 2
    assert "amount_money.amont: unknown field (did you mean 'amount'?)" in closed.stderr
    opened = _connector(
        environ, "render", "create-payment", "--input", "-", stdin='{"note": {"txet": "x"}}'
    )
    assert opened.returncode == 0, opened.stderr
    assert "note.txet: not a field the API describes (did you mean 'text'?)" in opened.stderr
