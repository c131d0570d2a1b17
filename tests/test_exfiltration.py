"""A credential goes only to its bound hosts: every route a template could use to send it
elsewhere is refused before anything is sent, and `--allow-host` is the explicit way through.

Each case runs the `connector` command as a user does, with every request routed through a
recording proxy on loopback (`HTTPS_PROXY`); the "foreign" host is `foreign.test`, served by a
TLS stand-in on 127.0.0.1 behind that proxy (see `_foreign_host`). Refused: exit 2, the message
names the host and the variable, and neither the proxy nor the stand-in saw a connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.auth import record_bindings
from tests._foreign_host import FOREIGN, RecordingProxy, TlsStandIn, foreign_host

KEY = "sk_sandbox_EXFILTRATIONTEST01"
ROOT = Path(__file__).resolve().parents[1]
AUTH = {
    "schemes": {
        "key": {"type": "apiKey", "in": "header", "name": "REB-APIKEY", "env": "REBILLY_API_KEY"}
    }
}


def _template(**changes: Any) -> dict[str, Any]:
    template: dict[str, Any] = {
        "name": "things",
        "title": "Things",
        "servers": {"sandbox": f"https://{FOREIGN}/v1"},
        "auth": AUTH,
        "httpRequest": {"url": "/things/<<id>>", "method": "GET"},
    }
    merged = {**template, **changes}
    if "parameters" in changes:  # every placeholder is defined (`validate` checks it)
        merged["parameters"] = {"id": {"in": "path", "required": True}, **changes["parameters"]}
    return merged


CONDUCTOR_TASK = {
    "name": "get_thing",
    "taskReferenceName": "get_thing_ref",
    "type": "HTTP",
    "inputParameters": {
        "http_request": {
            "uri": f"https://{FOREIGN}/v1/things/${{workflow.input.id}}",
            "method": "GET",
            "headers": {"REB-APIKEY": "${workflow.secrets.REBILLY_API_KEY}"},
        }
    },
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[RecordingProxy, TlsStandIn, dict[str, str]]]:
    """The proxy, the stand-in and the environment of the command (a fake key, no other)."""
    with foreign_host(tmp_path) as (proxy, stand_in, routing):
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("REBILLY_", "CONNECTOR_"))}
        kept = {k: v for k, v in kept.items() if "proxy" not in k.lower()}
        environ = {**kept, **routing, "REBILLY_API_KEY": KEY}
        environ["CONNECTOR_CATALOG"] = str(tmp_path / "catalog")
        yield proxy, stand_in, environ


def _connector(environ: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def _write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _route(name: str, tmp_path: Path) -> tuple[list[str], dict[str, Any]]:
    """The command line of one route (without --allow-host) and its input."""
    inputs: dict[str, Any] = {"id": "a-1"}
    if name == "template-server":
        template = _template()
    elif name == "absolute-url":  # the servers look right; the URL goes elsewhere
        template = _template(
            servers={"sandbox": "https://api-sandbox.rebilly.com"},
            httpRequest={"url": f"https://{FOREIGN}/v1/things/<<id>>", "method": "GET"},
        )
    elif name == "server-variable":
        variables = {"host": {"default": "api.rebilly.com", "enum": ["api.rebilly.com", FOREIGN]}}
        template = _template(
            servers={"sandbox": {"url": "https://<<host>>/v1", "variables": variables}}
        )
        inputs["host"] = FOREIGN
    else:  # base-url: the shipped template, pointed elsewhere
        inputs = json.loads((ROOT / "examples" / "upsert-payout-request.json").read_text())
        return (
            ["upsert-payout-request", "--base-url", f"https://{FOREIGN}/organizations/org-1"],
            inputs,
        )
    return [_write(tmp_path / "t.json", template), "--environment", "sandbox"], inputs


ROUTES = ["template-server", "absolute-url", "server-variable", "base-url"]


def _refused(
    result: subprocess.CompletedProcess[str], proxy: RecordingProxy, stand_in: TlsStandIn
) -> None:
    output = result.stdout + result.stderr  # test-request reports on stdout, render on stderr
    assert result.returncode == 2, output
    assert FOREIGN in output
    assert "REBILLY_API_KEY" in output
    assert KEY not in output
    assert proxy.lines == []
    assert stand_in.seen.requests == []


def _went_through(
    result: subprocess.CompletedProcess[str], proxy: RecordingProxy, stand_in: TlsStandIn
) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.rsplit(" ", 1)[0] for line in proxy.lines] == [f"CONNECT {FOREIGN}:443"]
    assert [headers.get("REB-APIKEY") for _m, _p, headers in stand_in.seen.requests] == [KEY]
    assert KEY not in result.stdout + result.stderr


@pytest.mark.parametrize("route", ROUTES)
def test_a_route_to_a_foreign_host_is_refused_before_anything_is_sent(
    route: str, world: Any, tmp_path: Path
) -> None:
    """test-request exits 2 naming the host and the variable; no connection is made."""
    proxy, stand_in, environ = world
    args, inputs = _route(route, tmp_path)
    result = _connector(
        environ, tmp_path, "test-request", *args, "--input", _write(tmp_path / "in.json", inputs)
    )
    _refused(result, proxy, stand_in)


@pytest.mark.parametrize("route", ROUTES)
def test_the_same_route_with_allow_host_goes_through(
    route: str, world: Any, tmp_path: Path
) -> None:
    """--allow-host names the host explicitly: the key reaches it (the stand-in), once."""
    proxy, stand_in, environ = world
    args, inputs = _route(route, tmp_path)
    input_file = _write(tmp_path / "in.json", inputs)
    result = _connector(
        environ, tmp_path, "test-request", *args, "--input", input_file, "--allow-host", FOREIGN
    )
    _went_through(result, proxy, stand_in)


def test_the_dry_run_refuses_the_same_way(world: Any, tmp_path: Path) -> None:
    """render shows what test-request would do: the refusal, not a request to paste."""
    proxy, stand_in, environ = world
    args, inputs = _route("template-server", tmp_path)
    result = _connector(
        environ, tmp_path, "render", *args, "--input", _write(tmp_path / "in.json", inputs)
    )
    _refused(result, proxy, stand_in)


def test_connector_allowed_hosts_allows_like_the_flag(world: Any, tmp_path: Path) -> None:
    """CONNECTOR_ALLOWED_HOSTS (comma-separated) is the environment form of --allow-host."""
    proxy, stand_in, environ = world
    args, inputs = _route("absolute-url", tmp_path)
    environ["CONNECTOR_ALLOWED_HOSTS"] = f"other.example, {FOREIGN}"
    result = _connector(
        environ, tmp_path, "test-request", *args, "--input", _write(tmp_path / "in.json", inputs)
    )
    _went_through(result, proxy, stand_in)


def test_an_imported_engine_task_is_refused_at_import_and_at_run(
    world: Any, tmp_path: Path
) -> None:
    """A Conductor task whose uri is foreign: import exits 2; imported with --allow-host,
    running it is refused again unless the run allows the host too."""
    proxy, stand_in, environ = world
    document = _write(tmp_path / "conductor.json", CONDUCTOR_TASK)
    refused = _connector(
        environ, tmp_path, "import", document, "--engine", "conductor", "-o", "t.json"
    )
    assert refused.returncode == 2
    assert FOREIGN in refused.stdout + refused.stderr
    assert "REBILLY_API_KEY" in refused.stdout + refused.stderr
    assert not (tmp_path / "t.json").exists()

    imported = _connector(
        environ,
        tmp_path,
        "import",
        document,
        "--engine",
        "conductor",
        "-o",
        "t.json",
        "--allow-host",
        FOREIGN,
    )
    assert imported.returncode == 0, imported.stderr
    assert "REBILLY_API_KEY" in imported.stderr  # the variables it reads are listed
    input_file = _write(tmp_path / "in.json", {"id": "a-1"})
    run = ["test-request", "t.json", "--input", input_file, "--environment", "sandbox"]
    _refused(_connector(environ, tmp_path, *run), proxy, stand_in)
    _went_through(_connector(environ, tmp_path, *run, "--allow-host", FOREIGN), proxy, stand_in)


@pytest.mark.parametrize(
    ("parameter", "env", "message"),
    [
        pytest.param(
            {"in": "query", "env": "REBILLY_API_KEY"}, [], "holds a credential", id="credential"
        ),
        pytest.param(
            {"in": "query", "env": "AWS_SECRET_ACCESS_KEY"}, [], "is not declared", id="undeclared"
        ),
        pytest.param(
            {"in": "header", "env": "REBILLY_API_KEY"},
            ["REBILLY_API_KEY"],
            "holds a credential",
            id="credential-declared",
        ),
    ],
)
def test_a_parameter_never_reads_a_credential_or_an_undeclared_variable(
    parameter: dict[str, Any], env: list[str], message: str, world: Any, tmp_path: Path
) -> None:
    """validate and test-request refuse the template (exit 2, the field named); --allow-host
    changes nothing: what a template may read is not a question of hosts."""
    proxy, stand_in, environ = world
    environ["AWS_SECRET_ACCESS_KEY"] = "aws-secret-never-sent"
    template = _write(tmp_path / "t.json", _template(parameters={"q": parameter}, env=env))
    validated = _connector(environ, tmp_path, "validate", template)
    assert validated.returncode == 2
    assert "parameters.q.env" in validated.stderr
    assert message in validated.stderr
    input_file = _write(tmp_path / "in.json", {"id": "a-1"})
    sent = _connector(
        environ,
        tmp_path,
        "test-request",
        template,
        "--input",
        input_file,
        "--environment",
        "sandbox",
        "--allow-host",
        FOREIGN,
    )
    assert sent.returncode == 2
    assert message in sent.stdout + sent.stderr
    assert "aws-secret-never-sent" not in sent.stdout + sent.stderr
    assert proxy.lines == []
    assert stand_in.seen.requests == []


def test_a_declared_variable_is_read_and_listed(world: Any, tmp_path: Path) -> None:
    """Declared in `env`, the same variable is read (and validate lists it)."""
    proxy, stand_in, environ = world
    environ["THING_REGION"] = "eu"
    parameters = {"region": {"in": "query", "env": "THING_REGION"}}
    template = _write(tmp_path / "t.json", _template(parameters=parameters, env=["THING_REGION"]))
    validated = _connector(environ, tmp_path, "validate", template)
    assert validated.returncode == 0
    assert "REBILLY_API_KEY, THING_REGION" in validated.stdout
    input_file = _write(tmp_path / "in.json", {"id": "a-1"})
    result = _connector(
        environ,
        tmp_path,
        "test-request",
        template,
        "--input",
        input_file,
        "--environment",
        "sandbox",
        "--allow-host",
        FOREIGN,
    )
    _went_through(result, proxy, stand_in)
    assert stand_in.seen.requests[0][1] == "/v1/things/a-1?region=eu"


def test_an_environment_value_ending_in_a_newline_is_an_input_error(
    world: Any, tmp_path: Path
) -> None:
    """A value mounted from a file (`eu\\n`) is refused, not sent as `eu%0A`."""
    proxy, _stand_in, environ = world
    environ["THING_REGION"] = "eu\n"
    parameters = {"region": {"in": "query", "env": "THING_REGION"}}
    template = _write(tmp_path / "t.json", _template(parameters=parameters, env=["THING_REGION"]))
    input_file = _write(tmp_path / "in.json", {"id": "a-1"})
    result = _connector(
        environ,
        tmp_path,
        "test-request",
        template,
        "--input",
        input_file,
        "--environment",
        "sandbox",
        "--allow-host",
        FOREIGN,
    )
    assert result.returncode == 2
    assert "the value of THING_REGION ends in a newline" in result.stdout + result.stderr
    assert proxy.lines == []


def test_plain_http_beyond_loopback_is_refused_even_when_allowed(
    world: Any, tmp_path: Path
) -> None:
    """A credential never travels unencrypted to a host that is not loopback."""
    proxy, _stand_in, environ = world
    template = _write(tmp_path / "t.json", _template(servers={"sandbox": f"http://{FOREIGN}/v1"}))
    input_file = _write(tmp_path / "in.json", {"id": "a-1"})
    result = _connector(
        environ,
        tmp_path,
        "test-request",
        template,
        "--input",
        input_file,
        "--environment",
        "sandbox",
        "--allow-host",
        FOREIGN,
    )
    assert result.returncode == 2
    assert "plain http" in result.stdout + result.stderr
    assert FOREIGN in result.stdout + result.stderr
    assert proxy.lines == []


def test_a_binding_recorded_in_the_catalogue_lets_its_credential_go_to_its_host(
    world: Any, tmp_path: Path
) -> None:
    """What `catalog import` records binds an imported API's variable to its hosts."""
    proxy, stand_in, environ = world
    environ["THINGS_API_KEY"] = KEY
    auth = {
        "schemes": {
            "key": {"type": "apiKey", "in": "header", "name": "REB-APIKEY", "env": "THINGS_API_KEY"}
        }
    }
    template = _write(tmp_path / "t.json", _template(auth=auth))
    input_file = _write(tmp_path / "in.json", {"id": "a-1"})
    run = ["test-request", template, "--input", input_file, "--environment", "sandbox"]
    refused = _connector(environ, tmp_path, *run)
    assert refused.returncode == 2
    assert "THINGS_API_KEY is bound to loopback only" in refused.stdout + refused.stderr
    record_bindings(
        "things", {"THINGS_API_KEY": [FOREIGN]}, catalog=Path(environ["CONNECTOR_CATALOG"])
    )
    _went_through(_connector(environ, tmp_path, *run), proxy, stand_in)
