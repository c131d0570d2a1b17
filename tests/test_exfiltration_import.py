"""An imported description is untrusted: it chooses neither the variables a credential is read
from nor the hosts it goes to.

Each case writes the attacker's description to disk, runs `connector catalog import` and then
`connector test-request` or `render` as a user does, with every request routed through a
recording proxy to a TLS stand-in for the attacker's host `foreign.test` (see `_foreign_host`).
A refusal is exit 2 with one message naming the host and the variable; the proxy and the
stand-in saw nothing, and no secret of the user's environment appears anywhere.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.auth import record_bindings
from tests._foreign_host import FOREIGN, RecordingProxy, TlsStandIn, foreign_host

USER_SECRETS = {
    "GITHUB_TOKEN": "ghp_usersrealgithubtoken01",
    "OPENAI_API_KEY": "sk-usersrealopenaikey0001",
    "SLACK_TOKEN": "xoxb-usersrealslacktoken01",
    "AWS_ACCESS_KEY_ID": "AKIAUSERSREALKEYID01",
    "AWS_SECRET_ACCESS_KEY": "usersrealawssecretaccesskey01",
}
KEY = "sk_acme_IMPORTTEST0001"

World = tuple[RecordingProxy, TlsStandIn, dict[str, str]]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The proxy, the stand-in, and the environment of a user with real secrets set."""
    with foreign_host(tmp_path) as (proxy, stand_in, routing):
        kept = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
        kept = {k: v for k, v in kept.items() if "proxy" not in k.lower()}
        environ = {**kept, **routing, **USER_SECRETS}
        environ["CONNECTOR_CATALOG"] = str(tmp_path / "catalog")
        yield proxy, stand_in, environ


def _connector(
    environ: dict[str, str], cwd: Path, *args: str, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        capture_output=stdin is None,
        stdout=subprocess.PIPE if stdin is not None else None,
        stderr=subprocess.PIPE if stdin is not None else None,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def _description(title: str, schemes: dict[str, Any], **changes: Any) -> dict[str, Any]:
    security = [{name: []} for name in schemes]
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1"},
        "servers": [{"url": f"https://{FOREIGN}/v1", "description": "Sandbox server"}],
        "components": {"securitySchemes": schemes},
        "security": security,
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    return {**document, **changes}


def _write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _import(world: World, tmp_path: Path, document: Any, *flags: str, name: str = "d.json") -> Any:
    _proxy, _stand_in, environ = world
    result = _connector(
        environ, tmp_path, "catalog", "import", _write(tmp_path / name, document), *flags, "--json"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _send(world: World, tmp_path: Path, task: str, *flags: str) -> subprocess.CompletedProcess[str]:
    _proxy, _stand_in, environ = world
    inputs = _write(tmp_path / "in.json", {"id": "a-1"})
    return _connector(environ, tmp_path, "test-request", task, "--input", inputs, *flags)


def _nothing_sent(world: World, result: subprocess.CompletedProcess[str], variable: str) -> None:
    proxy, stand_in, _environ = world
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert FOREIGN in output
    assert variable in output
    assert "nothing was sent" in output
    assert all(secret not in output for secret in [KEY, *USER_SECRETS.values()])
    assert proxy.lines == []
    assert stand_in.seen.requests == []


FAMOUS = [
    ("Github", {"token": {"type": "http", "scheme": "bearer"}}, "GITHUB_TOKEN"),
    (
        "OPENAI",
        {"api_key": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        "OPENAI_API_KEY",
    ),
    ("Slack", {"token": {"type": "http", "scheme": "bearer"}}, "SLACK_TOKEN"),
    (
        "AWS",
        {
            "access_key_id": {"type": "apiKey", "in": "header", "name": "X-Key-Id"},
            "secret_access_key": {"type": "apiKey", "in": "header", "name": "X-Secret"},
        },
        "AWS_SECRET_ACCESS_KEY",
    ),
]


@pytest.mark.parametrize(("title", "schemes", "famous"), FAMOUS, ids=[f[0] for f in FAMOUS])
def test_a_famous_title_never_reads_the_users_variable(
    title: str, schemes: dict[str, Any], famous: str, world: World, tmp_path: Path
) -> None:
    """A description titled Github/OPENAI/Slack/AWS reads CONNECTOR_<API>_* only: the user's
    GITHUB_TOKEN (and the others) is never read, and no request carries it."""
    proxy, stand_in, environ = world
    report = _import(world, tmp_path, _description(title, schemes))
    variables = report["credentials"]["variables"]
    assert variables, report
    assert all(v.startswith(f"CONNECTOR_{title.upper()}_") for v in variables)
    assert famous not in variables and not any(v in USER_SECRETS for v in variables)
    assert all(not hosts for hosts in variables.values())  # nothing accepted: loopback only
    described = _connector(environ, tmp_path, "describe", "get-thing", "--json")
    assert not set(json.loads(described.stdout)["environmentVariables"]) & set(USER_SECRETS)
    result = _send(world, tmp_path, "get-thing")  # no credential of its own: sent anonymously
    seen = json.dumps(stand_in.seen.requests) + " ".join(proxy.lines)
    assert all(secret not in seen for secret in USER_SECRETS.values())
    assert all(secret not in result.stdout + result.stderr for secret in USER_SECRETS.values())


def test_the_namespaced_credential_goes_only_to_a_host_the_user_accepted(
    world: World, tmp_path: Path
) -> None:
    """Imported without an answer, the API's own key is refused for the description's host;
    imported with --accept-hosts, it reaches it (once)."""
    _proxy, stand_in, environ = world
    schemes = {"token": {"type": "http", "scheme": "bearer"}}
    _import(world, tmp_path, _description("Github", schemes))
    environ["CONNECTOR_GITHUB_TOKEN"] = KEY
    _nothing_sent(world, _send(world, tmp_path, "get-thing"), "CONNECTOR_GITHUB_TOKEN")
    report = _import(world, tmp_path, _description("Github", schemes), "--accept-hosts")
    assert report["credentials"]["variables"] == {"CONNECTOR_GITHUB_TOKEN": [FOREIGN]}
    sent = _send(world, tmp_path, "get-thing")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    auth = [headers.get("Authorization") for _m, _p, headers in stand_in.seen.requests]
    assert auth == [f"Bearer {KEY}"]
    assert KEY not in sent.stdout + sent.stderr


ROUTES: dict[str, dict[str, Any]] = {
    "token-url": {
        "servers": [{"url": "https://api.acme.test/v1", "description": "Sandbox server"}],
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": f"https://{FOREIGN}/token",
                            "scopes": {},
                        }
                    },
                }
            }
        },
        "security": [{"oauth": []}],
    },
    "path-servers": {"servers": [{"url": "https://api.acme.test/v1", "description": "Sandbox"}]},
    "enum-host": {
        "servers": [
            {
                "url": "https://{host}/v1",
                "description": "Sandbox",
                "variables": {
                    "host": {"default": "api.acme.test", "enum": ["api.acme.test", FOREIGN]}
                },
            }
        ]
    },
    "userinfo": {
        "servers": [{"url": f"https://api.acme.test@{FOREIGN}/v1", "description": "Sandbox"}]
    },
}


def _route(route: str) -> tuple[dict[str, Any], list[str], str]:
    """The description of one route, the import's flags, and the variable the refusal names."""
    schemes = {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
    document = _description("Acme", schemes, **ROUTES[route])
    if route == "path-servers":
        path_servers = [{"url": f"https://{FOREIGN}/v1", "description": "Sandbox"}]
        document["paths"]["/things/{id}"]["servers"] = path_servers
    if route == "token-url":  # the API's real host given: only the token URL is left
        return document, ["--server", "https://api.acme.test"], "CONNECTOR_ACME_OAUTH_CLIENT_ID"
    return document, [], "CONNECTOR_ACME_API_KEY"


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_host_the_description_names_is_shown_and_not_bound(
    route: str, world: World, tmp_path: Path
) -> None:
    """A foreign token URL, a path's own servers, a server variable's enum host and a
    userinfo-disguised host are listed at import as not bound, and a request there is refused."""
    _proxy, _stand_in, environ = world
    document, flags, variable = _route(route)
    report = _import(world, tmp_path, document, *flags)
    shown = {row["host"]: row for row in report["credentials"]["hosts"]}
    assert shown[FOREIGN]["bound"] is False
    assert all(FOREIGN not in hosts for hosts in report["credentials"]["variables"].values())
    environ.update(
        CONNECTOR_ACME_API_KEY=KEY,
        CONNECTOR_ACME_OAUTH_CLIENT_ID="client-acme-0001",
        CONNECTOR_ACME_OAUTH_CLIENT_SECRET=KEY,
    )
    inputs = {"id": "a-1", **({"host": FOREIGN} if route == "enum-host" else {})}
    input_file = _write(tmp_path / "in.json", inputs)
    result = _connector(environ, tmp_path, "test-request", "get-thing", "--input", input_file)
    _nothing_sent(world, result, variable)


def test_a_reimport_that_adds_a_host_asks_again(world: World, tmp_path: Path) -> None:
    """Accepted hosts stay bound on a re-import of the same description; a host it adds is
    shown unbound until accepted."""
    _proxy, _stand_in, environ = world
    schemes = {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
    first = _description("Acme", schemes, servers=[{"url": "https://api.acme.test/v1"}])
    first["paths"]["/others"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    report = _import(world, tmp_path, first, "--accept-hosts")
    assert report["credentials"]["variables"] == {"CONNECTOR_ACME_API_KEY": ["api.acme.test"]}
    first["paths"]["/things/{id}"]["servers"] = [{"url": f"https://{FOREIGN}/v1"}]
    second = _import(world, tmp_path, first)  # the same file, updated
    shown = {row["host"]: row for row in second["credentials"]["hosts"]}
    assert shown["api.acme.test"] == {
        "host": "api.acme.test",
        "namedBy": "server",
        "bound": True,
        "note": "accepted before",
    }
    assert shown[FOREIGN]["bound"] is False
    environ["CONNECTOR_ACME_API_KEY"] = KEY
    result = _send(world, tmp_path, "get-thing", "--environment", FOREIGN, "--yes")
    _nothing_sent(world, result, "CONNECTOR_ACME_API_KEY")


def test_another_description_cannot_replace_an_api_or_share_its_variable(
    world: World, tmp_path: Path
) -> None:
    """Same title from another file: refused without --replace, nothing written; under
    another name with the first API's prefix: refused naming the variable and its API; the
    first API's key still goes nowhere the second description names."""
    _proxy, _stand_in, environ = world
    schemes = {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
    mine = _description("Acme", schemes, servers=[{"url": "https://api.acme.test/v1"}])
    _import(world, tmp_path, mine, "--accept-hosts", name="acme.json")
    attacker = _description("Acme", schemes)
    path = _write(tmp_path / "evil.json", attacker)
    before = (tmp_path / "catalog" / "bindings" / "acme.json").read_text(encoding="utf-8")
    replaced = _connector(environ, tmp_path, "catalog", "import", path, "--accept-hosts")
    assert replaced.returncode == 2
    assert "--replace" in replaced.stderr and "acme.json" in replaced.stderr
    shared = _connector(
        environ, tmp_path, "catalog", "import", path, "--api", "acme2",
        "--env-prefix", "CONNECTOR_ACME", "--accept-hosts",
    )  # fmt: skip
    assert shared.returncode == 2
    assert "CONNECTOR_ACME_API_KEY (of acme)" in shared.stderr
    after = (tmp_path / "catalog" / "bindings" / "acme.json").read_text(encoding="utf-8")
    assert after == before
    assert not (tmp_path / "catalog" / "acme2").exists()
    environ["CONNECTOR_ACME_API_KEY"] = KEY
    flags = ["--base-url", f"https://{FOREIGN}/v1"]
    _nothing_sent(world, _send(world, tmp_path, "get-thing", *flags), "CONNECTOR_ACME_API_KEY")
    again = _connector(environ, tmp_path, "catalog", "import", path, "--replace")
    assert again.returncode == 0, again.stderr
    assert FOREIGN in again.stdout and "NO" in again.stdout


def test_two_records_naming_one_variable_are_never_merged(world: World, tmp_path: Path) -> None:
    """Records written by hand (or by an earlier version) that share a variable bind it to
    neither API's hosts."""
    _proxy, _stand_in, environ = world
    catalog = Path(environ["CONNECTOR_CATALOG"])
    record_bindings("first", {"SHARED_KEY": ["api.first.test"]}, catalog=catalog)
    record_bindings("second", {"SHARED_KEY": [FOREIGN]}, catalog=catalog)
    environ["SHARED_KEY"] = KEY
    template = {
        "name": "things",
        "title": "Things",
        "servers": {"sandbox": f"https://{FOREIGN}/v1"},
        "auth": {
            "schemes": {"key": {"type": "apiKey", "in": "header", "name": "X", "env": "SHARED_KEY"}}
        },
        "httpRequest": {"url": "/things/<<id>>", "method": "GET"},
    }
    result = _send(world, tmp_path, _write(tmp_path / "t.json", template))
    _nothing_sent(world, result, "SHARED_KEY")


def test_the_prompt_binds_only_on_yes(world: World, tmp_path: Path) -> None:
    """With stdin a terminal, the import lists the hosts and asks; 'n' binds nothing, 'y'
    binds them."""
    _proxy, _stand_in, environ = world
    schemes = {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
    path = _write(tmp_path / "d.json", _description("Acme", schemes))
    record = tmp_path / "catalog" / "bindings" / "acme.json"
    for reply, hosts in (("n", []), ("y", [FOREIGN])):
        main, terminal = pty.openpty()
        os.write(main, f"{reply}\n".encode())
        try:
            result = _connector(environ, tmp_path, "catalog", "import", path, stdin=terminal)
        finally:
            os.close(terminal)
            os.close(main)
        assert result.returncode == 0, result.stderr
        assert "Send the credentials to these hosts? [y/N]" in result.stderr
        assert FOREIGN in result.stderr
        assert json.loads(record.read_text(encoding="utf-8"))["bindings"] == {
            "CONNECTOR_ACME_API_KEY": hosts
        }


BOT_TOKEN = "xoxb-bottoken-SECRET-0001"


def _bots() -> dict[str, Any]:
    """A description whose operation takes its bot token as a plain required header."""
    document = _description("Bots", {})
    del document["components"], document["security"]
    operation = document["paths"]["/things/{id}"]["get"]
    operation["parameters"] += [
        {"name": "token", "in": "header", "required": True, "description": "Bot token",
         "schema": {"type": "string"}},
        {"name": "pageToken", "in": "query", "schema": {"type": "string"}},
    ]  # fmt: skip
    return document


def test_a_secret_parameter_is_imported_as_a_credential(world: World, tmp_path: Path) -> None:
    """A required `token` header is no input: it is read from CONNECTOR_BOTS_TOKEN, masked in
    the dry run and the result, refused for a host not accepted, and sent once accepted (a
    pagination `pageToken` stays an input)."""
    proxy, stand_in, environ = world
    report = _import(world, tmp_path, _bots())
    assert report["credentials"]["variables"] == {"CONNECTOR_BOTS_TOKEN": []}
    described = json.loads(_connector(environ, tmp_path, "describe", "get-thing", "--json").stdout)
    assert set(described["inputSchema"]["properties"]) == {"id", "pageToken"}
    environ["CONNECTOR_BOTS_TOKEN"] = BOT_TOKEN
    _nothing_sent(world, _send(world, tmp_path, "get-thing"), "CONNECTOR_BOTS_TOKEN")
    _import(world, tmp_path, _bots(), "--accept-hosts")
    inputs = _write(tmp_path / "in.json", {"id": "a-1"})
    dry = _connector(environ, tmp_path, "render", "get-thing", "--input", inputs, "--json")
    assert dry.returncode == 0, dry.stderr
    assert BOT_TOKEN not in dry.stdout + dry.stderr
    assert "<redacted>" in dry.stdout
    sent = _send(world, tmp_path, "get-thing", "--json")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert BOT_TOKEN not in sent.stdout + sent.stderr
    assert [headers.get("token") for _m, _p, headers in stand_in.seen.requests] == [BOT_TOKEN]
    assert [line.rsplit(" ", 1)[0] for line in proxy.lines] == [f"CONNECT {FOREIGN}:443"]


def test_a_secret_input_of_a_written_template_is_masked(world: World, tmp_path: Path) -> None:
    """A hand-written template's plain `X-Api-Token` header given as an input is shown masked
    in the dry run and the result (it is sent as written)."""
    _proxy, stand_in, environ = world
    template = {
        "name": "things",
        "title": "Things",
        "servers": {"sandbox": f"https://{FOREIGN}/v1"},
        "parameters": {"X-Api-Token": {"in": "header", "required": True}},
        "httpRequest": {"url": "/things/<<id>>", "method": "GET"},
    }
    path = _write(tmp_path / "t.json", template)
    inputs = _write(tmp_path / "in.json", {"id": "a-1", "X-Api-Token": BOT_TOKEN})
    dry = _connector(environ, tmp_path, "render", path, "--input", inputs, "--json")
    assert dry.returncode == 0, dry.stderr
    assert BOT_TOKEN not in dry.stdout + dry.stderr
    sent = _connector(
        environ, tmp_path, "test-request", path, "--input", inputs, "--environment", "sandbox",
        "--json",
    )  # fmt: skip
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert BOT_TOKEN not in sent.stdout + sent.stderr
    assert [headers.get("X-Api-Token") for _m, _p, headers in stand_in.seen.requests] == [BOT_TOKEN]
