"""A credential never crosses a proxy in clear.

Every case sets the proxy variables a user's shell may hold (`HTTP_PROXY`, `http_proxy`,
`ALL_PROXY`, `all_proxy`) to a recording proxy on loopback, with no `NO_PROXY`: a plain-http
request to loopback (the emulator, a local stand-in) goes straight there, its key with it,
and the proxy sees nothing; a credential over plain http to a host that is not loopback is
refused before anything is sent.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from connector import load_task
from connector._errors import CredentialProxyError
from connector._transport import Timeouts, send
from tests._foreign_host import RecordingProxy
from tests._scripted_server import ScriptedServer

KEY = "sk_sandbox_PROXYTEST0001"
PROXY_VARIABLES = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]


def _template(base: str) -> dict[str, Any]:
    return {
        "name": "things",
        "title": "Things",
        "servers": {"sandbox": base},
        "auth": {
            "schemes": {
                "key": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "REB-APIKEY",
                    "env": "REBILLY_API_KEY",
                }
            }
        },
        "httpRequest": {"url": "/things/<<id>>", "method": "GET"},
    }


def _environ(proxy: RecordingProxy, variable: str, tmp_path: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    kept = {k: v for k, v in kept.items() if not k.startswith(("REBILLY_", "CONNECTOR_"))}
    return {
        **kept,
        variable: proxy.url,
        "REBILLY_API_KEY": KEY,
        "CONNECTOR_CATALOG": str(tmp_path / "catalog"),
    }


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


@pytest.mark.parametrize("variable", PROXY_VARIABLES)
def test_a_test_request_to_loopback_bypasses_the_proxy(variable: str, tmp_path: Path) -> None:
    """test-request over plain http to loopback: the key reaches the server, the proxy sees
    no connection."""
    with ScriptedServer() as server, RecordingProxy() as proxy:
        template = tmp_path / "t.json"
        template.write_text(json.dumps(_template(server.url)), encoding="utf-8")
        inputs = tmp_path / "in.json"
        inputs.write_text('{"id": "a-1"}', encoding="utf-8")
        result = _connector(
            _environ(proxy, variable, tmp_path),
            tmp_path,
            "test-request",
            str(template),
            "--input",
            str(inputs),
            "--environment",
            "sandbox",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert proxy.lines == []
        assert [r.headers.get("REB-APIKEY") for r in server.received] == [KEY]
        assert KEY not in result.stdout + result.stderr


@pytest.mark.parametrize("variable", PROXY_VARIABLES)
def test_a_batch_to_loopback_bypasses_the_proxy(variable: str, tmp_path: Path) -> None:
    """`connector run` over plain http to loopback: every item reaches the server, the proxy
    sees nothing."""
    with ScriptedServer() as server, RecordingProxy() as proxy:
        template = tmp_path / "t.json"
        template.write_text(json.dumps(_template(server.url)), encoding="utf-8")
        inputs = tmp_path / "in.jsonl"
        inputs.write_text('{"id": "a-1"}\n{"id": "a-2"}\n', encoding="utf-8")
        result = _connector(
            _environ(proxy, variable, tmp_path),
            tmp_path,
            "run",
            str(template),
            "--inputs",
            str(inputs),
            "--environment",
            "sandbox",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert proxy.lines == []
        assert sorted(r.path for r in server.received) == ["/things/a-1", "/things/a-2"]
        assert {r.headers.get("REB-APIKEY") for r in server.received} == {KEY}
        assert KEY not in (tmp_path / "in.results.jsonl").read_text(encoding="utf-8")


def test_the_transport_refuses_a_credential_through_a_proxy_in_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the binding check: a request carrying a key over plain http to a host that is
    not loopback, with a proxy set, is refused by the transport itself; nothing is sent."""
    template = tmp_path / "t.json"
    template.write_text(json.dumps(_template("http://127.0.0.1:9/v1")), encoding="utf-8")
    task = load_task(str(template))
    prepared = task.prepare({"id": "a-1"}, environment="sandbox", environ={"REBILLY_API_KEY": KEY})
    foreign = dataclasses.replace(prepared, url="http://foreign.test/v1/things/a-1")
    with RecordingProxy() as proxy:
        for name in [v for v in os.environ if "proxy" in v.lower()]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with requests.Session() as session, pytest.raises(CredentialProxyError) as raised:
            send(session, foreign, Timeouts(2, 2))
        assert proxy.lines == []
    message = str(raised.value)
    assert "foreign.test" in message
    assert "in clear" in message
    assert KEY not in message
