"""Auth strategies against a real loopback server: basic, API key in the query and a cookie,
OAuth2 client credentials (token endpoint faked on loopback), and combinations."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote

import pytest

from connector import Executor, Task
from connector._errors import CredentialHostError, TemplateError
from connector._template import parse_template
from connector.auth import STRATEGIES, TOKENS, Auth
from connector.engines import ExportOptions, export_task
from tests._clock import FakeClock
from tests._scripted_server import Reply, ScriptedServer

KEY = "k3y/with+odd chars=="
USER, PASSWORD = "thing-user", "pa:ss/word-42"
CLIENT_ID, CLIENT_SECRET = "client-1", "client-secret-77"
ENVIRON = {
    "THING_KEY": KEY,
    "THING_USER": USER,
    "THING_PASSWORD": PASSWORD,
    "THING_CLIENT_ID": CLIENT_ID,
    "THING_CLIENT_SECRET": CLIENT_SECRET,
}
SCHEMES: dict[str, Any] = {
    "query": {"type": "apiKey", "in": "query", "name": "api_key", "env": "THING_KEY"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "session", "env": "THING_KEY"},
    "basic": {
        "type": "http",
        "scheme": "basic",
        "usernameEnv": "THING_USER",
        "passwordEnv": "THING_PASSWORD",
    },
}


@pytest.fixture(autouse=True)
def tokens(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """A fresh token cache on the fake clock for every test."""
    TOKENS.clear()
    monkeypatch.setattr(TOKENS, "clock", clock)
    yield clock
    TOKENS.clear()


def _task(server: ScriptedServer, security: list[list[str]], **schemes: Any) -> Task:
    template = {
        "name": "things",
        "title": "Things",
        "servers": {"local": f"{server.url}/v1"},
        "auth": {"schemes": {**SCHEMES, **schemes}, "security": security},
        "httpRequest": {"url": "/things/<<id>>", "method": "GET"},
    }
    return Task(parse_template(template, source="test"))


def _oauth(server: ScriptedServer, token_url: str | None = None) -> dict[str, Any]:
    return {
        "type": "oauth2",
        "flow": "clientCredentials",
        "tokenUrl": token_url or f"{server.url}/token",
        "clientIdEnv": "THING_CLIENT_ID",
        "clientSecretEnv": "THING_CLIENT_SECRET",
        "scopes": ["things:read", "things:write"],
    }


def _run(task: Task) -> Any:
    with Executor(environ=ENVIRON, clock=FakeClock()) as executor:
        return executor.run(task, {"id": "t-1"}, environment="local")


def test_basic_auth_is_sent_and_never_shown() -> None:
    """`Authorization: Basic base64(user:password)` on the wire; its echo is masked."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    with ScriptedServer(Reply(200, {"echo": token, "password": PASSWORD})) as server:
        result = _run(_task(server, [["basic"]]))
    assert result.status == "COMPLETED"
    assert server.received[0].headers["Authorization"] == f"Basic {token}"
    assert result.request.headers["Authorization"] == "Basic <redacted>"
    assert result.response.body == {"echo": "<redacted>", "password": "<redacted>"}
    assert token not in str(result.to_json())


def test_a_query_key_is_percent_encoded_on_the_wire_and_masked_in_the_url() -> None:
    """The key joins the query string encoded; the result's URL shows `api_key=<redacted>`."""
    location = f"https://elsewhere.example/?k={quote(KEY, safe='')}"
    with ScriptedServer(Reply(200, {"ok": True}, {"Location": location})) as server:
        result = _run(_task(server, [["query"]]))
    assert result.status == "COMPLETED"
    path = server.received[0].path
    assert path == f"/v1/things/t-1?api_key={quote(KEY, safe='')}"
    assert parse_qs(path.partition("?")[2]) == {"api_key": [KEY]}
    assert result.request.url.endswith("/things/t-1?api_key=<redacted>")
    assert quote(KEY, safe="") not in str(result.to_json())


def test_a_combination_sends_every_scheme_of_it() -> None:
    """`security: [["cookie", "basic"]]`: both, on one request."""
    with ScriptedServer(Reply(200, {"ok": True})) as server:
        result = _run(_task(server, [["cookie", "basic"]]))
    assert result.status == "COMPLETED"
    headers = server.received[0].headers
    assert headers["Cookie"] == f"session={KEY}"
    assert headers["Authorization"].startswith("Basic ")


def test_an_alternative_is_chosen_by_what_is_configured() -> None:
    """The first alternative whose variables are all set is the one sent."""
    with ScriptedServer(Reply(200, {"ok": True})) as server:
        task = _task(server, [["basic"], ["query"]])
        with Executor(environ={"THING_KEY": KEY}) as executor:
            result = executor.run(task, {"id": "t-1"}, environment="local")
    assert result.status == "COMPLETED"
    assert "Authorization" not in server.received[0].headers
    assert "api_key=" in server.received[0].path


def test_oauth2_fetches_a_token_then_sends_it_as_bearer() -> None:
    """The token request is a client-credentials POST with basic client auth."""
    token = Reply(200, {"access_token": "tok-one-1234", "expires_in": 3600, "token_type": "Bearer"})
    with ScriptedServer(token, Reply(200, {"token": "tok-one-1234"})) as server:
        result = _run(_task(server, [["oauth"]], oauth=_oauth(server)))
    assert result.status == "COMPLETED"
    fetch, call = server.received
    assert (fetch.method, fetch.path) == ("POST", "/token")
    client = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert fetch.headers["Authorization"] == f"Basic {client}"
    assert parse_qs(fetch.body.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": ["things:read things:write"],
    }
    assert call.headers["Authorization"] == "Bearer tok-one-1234"
    assert result.response.body == {"token": "<redacted>"}
    assert "tok-one-1234" not in str(result.to_json())


def _discovering(server: ScriptedServer) -> dict[str, Any]:
    scheme = {k: v for k, v in _oauth(server).items() if k != "tokenUrl"}
    return {**scheme, "metadataUrl": f"{server.url}/.well-known/oauth-authorization-server"}


def test_oauth2_reads_the_token_endpoint_from_the_metadata_url() -> None:
    """RFC 8414 metadata first (no credential sent), then the token it names, then the call."""
    with ScriptedServer() as server:
        metadata = Reply(200, {"issuer": server.url, "token_endpoint": f"{server.url}/oauth/t"})
        token, answer = Reply(200, {"access_token": "tok-meta-5555"}), Reply(200, {"ok": True})
        server.steps.extend([metadata, token, answer])
        result = _run(_task(server, [["oauth"]], oauth=_discovering(server)))
    assert result.status == "COMPLETED"
    discover, fetch, call = server.received
    assert (discover.method, discover.path) == ("GET", "/.well-known/oauth-authorization-server")
    assert "Authorization" not in discover.headers
    assert (fetch.method, fetch.path) == ("POST", "/oauth/t")
    assert call.headers["Authorization"] == "Bearer tok-meta-5555"


def test_a_token_endpoint_on_another_host_than_the_metadata_is_refused() -> None:
    """The client secret never goes to a host the metadata names but the check did not pass."""
    with ScriptedServer(Reply(200, {"token_endpoint": "https://elsewhere.example/t"})) as server:
        result = _run(_task(server, [["oauth"]], oauth=_discovering(server)))
    assert result.status == "FAILED"
    assert "on another host" in result.error.message
    assert len(server.received) == 1


def test_oauth2_keeps_the_token_until_it_expires(tokens: FakeClock) -> None:
    """A second run reuses the token; past `expires_in` a new one is fetched."""
    first = Reply(200, {"access_token": "tok-first-1", "expires_in": 600})
    second = Reply(200, {"access_token": "tok-second-2", "expires_in": 600})
    ok = Reply(200, {"ok": True})
    with ScriptedServer(first, ok, ok, second, ok) as server:
        task = _task(server, [["oauth"]], oauth=_oauth(server))
        _run(task)
        _run(task)
        tokens.now += 600
        _run(task)
    paths = [r.path for r in server.received]
    assert paths == ["/token", "/v1/things/t-1", "/v1/things/t-1", "/token", "/v1/things/t-1"]
    assert server.received[-1].headers["Authorization"] == "Bearer tok-second-2"


def test_oauth2_fetches_again_once_when_a_cached_token_is_refused() -> None:
    """A 401 to a cached token: a new token, the request once more; that answer stands."""
    first = Reply(200, {"access_token": "tok-old-1111"})
    fresh = Reply(200, {"access_token": "tok-new-2222"})
    with ScriptedServer(first, Reply(200), Reply(401), fresh, Reply(200, {"ok": 1})) as server:
        task = _task(server, [["oauth"]], oauth=_oauth(server))
        _run(task)
        result = _run(task)
    assert result.status == "COMPLETED"
    auths = [r.headers.get("Authorization", "")[-12:] for r in server.received[2:]]
    assert auths == ["tok-old-1111", auths[1], "tok-new-2222"]
    assert server.received[3].path == "/token"


def test_a_fresh_token_refused_is_the_answer() -> None:
    """A 401 to a token just fetched is not retried: fetching again would not help."""
    with ScriptedServer(Reply(200, {"access_token": "tok-3333"}), Reply(401)) as server:
        result = _run(_task(server, [["oauth"]], oauth=_oauth(server)))
    assert result.status == "FAILED"
    assert result.response.status_code == 401
    assert len(server.received) == 2


def test_a_token_endpoint_that_refuses_is_the_answer() -> None:
    """The token endpoint's 400 ends the attempt; the API is never called."""
    with ScriptedServer(Reply(400, {"error": "invalid_client"})) as server:
        result = _run(_task(server, [["oauth"]], oauth=_oauth(server)))
    assert result.status == "FAILED"
    assert result.response.status_code == 400
    assert [r.path for r in server.received] == ["/token"]


def test_a_token_url_elsewhere_is_refused_before_anything_is_sent() -> None:
    """The client secret is a credential bound to hosts like any other."""
    with ScriptedServer() as server:
        task = _task(server, [["oauth"]], oauth=_oauth(server, "https://tokens.example/token"))
        with pytest.raises(CredentialHostError, match=r"tokens\.example.*THING_CLIENT_ID"):
            task.prepare({"id": "t-1"}, environment="local", environ=ENVIRON)
        task.prepare(
            {"id": "t-1"}, environment="local", environ=ENVIRON, allow_hosts=["tokens.example"]
        )
    assert server.received == []


def test_the_old_list_form_is_read_as_schemes_and_alternatives() -> None:
    """Today's templates keep loading: each entry a scheme and an alternative, in order."""
    auth = Auth.model_validate(
        [
            {"type": "apiKey", "header": "X-Key", "env": "A_KEY"},
            {"type": "bearer", "header": "Authorization", "scheme": "Bearer", "env": "A_JWT"},
            {"type": "bearer", "header": "X-Token", "scheme": "Token", "env": "A_TOKEN"},
        ]
    )
    assert auth.model_dump(by_alias=True, exclude_defaults=True) == {
        "schemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Key", "env": "A_KEY"},
            "jwt": {"type": "http", "scheme": "bearer", "env": "A_JWT"},
            "2": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Token",
                "env": "A_TOKEN",
                "prefix": "Token",
            },
        }
    }
    assert auth.requirements() == [["apiKey"], ["jwt"], ["2"]]


@pytest.mark.parametrize(
    ("auth", "field"),
    [
        pytest.param(
            {"schemes": {"x": {"type": "http", "scheme": "digest"}}}, "auth.schemes.x", id="type"
        ),
        pytest.param({"schemes": {}, "security": [["missing"]]}, "auth", id="unknown-scheme"),
        pytest.param(
            {"schemes": {"k": {"type": "apiKey", "in": "body", "name": "k", "env": "K"}}},
            "auth.schemes.k.apiKey.in",
            id="location",
        ),
    ],
)
def test_a_bad_auth_declaration_names_its_field(auth: dict[str, Any], field: str) -> None:
    """Unknown types, unknown scheme names and bad placements are template errors."""
    template = {
        "name": "t",
        "title": "T",
        "auth": auth,
        "httpRequest": {"url": "/", "method": "GET"},
    }
    with pytest.raises(TemplateError) as caught:
        parse_template(template, source="t.json")
    assert field in [e.field for e in caught.value.field_errors]


def test_security_none_sends_nothing_even_when_configured() -> None:
    """`security: []`: no auth, whatever is set."""
    with ScriptedServer(Reply(200, {"ok": True})) as server:
        result = _run(_task(server, []))
    assert result.status == "COMPLETED"
    received = server.received[0]
    assert "Authorization" not in received.headers
    assert "?" not in received.path


def test_an_export_references_the_credential_where_the_strategy_puts_it() -> None:
    """Conductor: a query key joins the uri as a workflow secret; basic cannot be expressed."""
    with ScriptedServer() as server:
        query = _task(server, [["query"]])
        basic = _task(server, [["basic"]])
    options = ExportOptions(environment="local")
    http = export_task(query, "conductor", options).document["workflowTask"]["inputParameters"]
    assert http["http_request"]["uri"].endswith("?api_key=${workflow.secrets.THING_KEY}")
    with pytest.raises(TemplateError) as caught:
        export_task(basic, "conductor", options)
    assert [e.field for e in caught.value.field_errors] == ["auth.schemes.basic"]


def test_the_local_stub_replaces_every_credential_variable() -> None:
    """Against the emulator, real values are dropped and stand-ins set for one alternative."""
    auth = Auth.model_validate({"schemes": SCHEMES, "security": [["basic"], ["query"]]})
    real = {k: v for k, v in ENVIRON.items() if "CLIENT" not in k}
    local = auth.local_environ({**real, "OTHER": "kept"}, "sk_local_1")
    assert local == {"THING_USER": "local", "THING_PASSWORD": "sk_local_1", "OTHER": "kept"}


def test_every_strategy_is_registered_with_a_distinct_tag() -> None:
    """A new auth type is its module plus one line in the registry."""
    tags = [getattr(cls, "tag", None) for cls in STRATEGIES]
    assert sorted(tags) == ["apiKey", "http.basic", "http.bearer", "oauth2"]
