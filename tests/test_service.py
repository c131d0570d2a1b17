"""The web service's JSON API: manifest, task, dry run, test request, export, import, guard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi")

from starlette.testclient import TestClient

from connector.emulator import Emulator
from connector.service import LocalTarget, create_app

TASK = "/api/tasks/upsert-payout-request"
SECRET = "sk_sandbox_service_test_secret_1234"


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    """A client of the service on 127.0.0.1; a real key sits in its environment."""
    environ = {"REBILLY_API_KEY": SECRET}
    app = create_app(
        local=LocalTarget(emulator=emulator),
        environ=environ,
        allowed_hosts=frozenset({"testserver", "127.0.0.1"}),
    )
    with TestClient(app) as test_client:
        yield test_client


def test_manifest_and_palette_list_the_shipped_task(client: TestClient) -> None:
    """The manifest is served as shipped and the palette lists its 31 tasks."""
    shipped = [task["name"] for task in client.get("/api/manifest").json()["tasks"]]
    assert len(shipped) == 31
    assert "upsert-payout-request" in shipped
    assert sorted(task["name"] for task in client.get("/api/tasks").json()) == sorted(shipped)


def test_one_task_has_its_template_and_schemas(client: TestClient) -> None:
    """A task answers its template, input schema (with every payment method) and body schema."""
    task = client.get(TASK).json()
    methods = task["inputSchema"]["properties"]["allocations"]["items"]["properties"]["method"]
    assert "paypal" in methods["enum"]
    assert task["template"]["httpRequest"]["method"] == "PUT"
    assert task["bodySchema"]["required"] == ["currency", "websiteId", "customerId", "amount"]
    assert set(task["environments"]) == {"sandbox", "live", "local"}


@pytest.mark.parametrize(
    "name", [pytest.param("nope", id="unknown"), pytest.param("..%2Fmanifest.json", id="path")]
)
def test_only_shipped_tasks_are_found(client: TestClient, name: str) -> None:
    """A name that is not a shipped task (a path included) answers 404."""
    response = client.get(f"/api/tasks/{name}")
    assert response.status_code == 404
    assert response.json()["error"]["kind"] == "not_found"


def test_dry_run_shows_the_request_with_the_credential_redacted(
    client: TestClient, minimal: dict[str, Any], emulator: Emulator
) -> None:
    """A sandbox dry run shows the URL and body; the key header is redacted; nothing is sent."""
    response = client.post(f"{TASK}/render", json={"inputs": minimal, "environment": "sandbox"})
    assert response.status_code == 200
    shown = response.json()
    assert (
        shown["url"] == "https://api-sandbox.rebilly.com/organizations/org-1/payout-requests/po-1"
    )
    assert shown["headers"]["REB-APIKEY"] == "<redacted>"
    assert SECRET not in response.text
    assert emulator.requests == []


def test_invalid_input_answers_422_with_field_errors_and_sends_nothing(
    client: TestClient, minimal: dict[str, Any], emulator: Emulator
) -> None:
    """Field errors use dot notation; the emulator receives nothing."""
    inputs = {**minimal, "currency": "usd", "allocations": [{"method": "no-such-method"}]}
    response = client.post(f"{TASK}/test-request", json={"inputs": inputs})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["error"]["fieldErrors"]}
    assert {"currency", "allocations.0.method"} <= fields
    assert emulator.requests == []


def test_test_request_goes_to_the_local_emulator_with_a_generated_key(
    client: TestClient, minimal: dict[str, Any], emulator: Emulator
) -> None:
    """Local is the default: 201 then 200, the real key never leaves the server."""
    first = client.post(f"{TASK}/test-request", json={"inputs": minimal})
    second = client.post(f"{TASK}/test-request", json={"inputs": minimal})
    assert [first.json()["response"]["statusCode"], second.json()["response"]["statusCode"]] == [
        201,
        200,
    ]
    assert first.json()["status"] == "COMPLETED"
    assert first.json()["request"]["headers"]["REB-APIKEY"] == "<redacted>"
    assert [received.credential for received in emulator.requests] == ["REB-APIKEY"] * 2
    assert SECRET not in first.text + second.text


def test_a_redacted_marker_in_the_input_is_plain_data(
    client: TestClient, minimal: dict[str, Any], emulator: Emulator
) -> None:
    """`<redacted>` typed into an input is sent as text, never used as a credential."""
    inputs = {**minimal, "description": "<redacted>"}
    response = client.post(f"{TASK}/test-request", json={"inputs": inputs})
    assert response.json()["status"] == "COMPLETED"
    assert json.loads(emulator.requests[0].body)["description"] == "<redacted>"


def test_the_api_has_no_credential_field(client: TestClient, minimal: dict[str, Any]) -> None:
    """A request carrying an extra field such as a key is refused."""
    body = {"inputs": minimal, "apiKey": "sk_live_x"}
    response = client.post(f"{TASK}/test-request", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["fieldErrors"] == [
        {"field": "apiKey", "message": "unknown key"}
    ]
    assert "sk_live_x" not in response.text


def test_only_json_true_confirms_live(client: TestClient, minimal: dict[str, Any]) -> None:
    """`"yes"` or `1` is no confirmation: refused in the command line's words, nothing sent."""
    for value in ("yes", 1):
        body = {"inputs": minimal, "environment": "live", "confirmLive": value}
        response = client.post(f"{TASK}/test-request", json=body)
        assert response.status_code == 422
        (error,) = response.json()["error"]["fieldErrors"]
        assert error == {
            "field": "confirmLive",
            "message": f"input should be a valid boolean, not {value!r}",
        }


def test_live_needs_confirmation(client: TestClient, minimal: dict[str, Any]) -> None:
    """A live test request without `confirmLive` is refused before anything is built."""
    response = client.post(f"{TASK}/test-request", json={"inputs": minimal, "environment": "live"})
    assert response.status_code == 422
    assert response.json()["error"]["fieldErrors"][0]["field"] == "confirmLive"


@pytest.mark.parametrize(
    ("content", "status", "kind"),
    [
        pytest.param(b"{not json", 400, "bad_json", id="bad-json"),
        pytest.param(b"[1, 2]", 422, "request", id="not-an-object"),
        pytest.param(b'{"inputs": {}, "environment": "moon"}', 422, "request", id="bad-enum"),
        pytest.param(b"x" * (1024 * 1024 + 1), 413, "too_large", id="too-large"),
    ],
)
def test_bad_bodies_get_a_clear_4xx(
    client: TestClient, content: bytes, status: int, kind: str
) -> None:
    """Malformed, wrongly shaped and oversized bodies are refused with a message, never a 500."""
    response = client.post(
        f"{TASK}/render", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["error"]["kind"] == kind
    assert response.json()["error"]["message"]


def test_export_and_import_give_the_configured_step_back(
    client: TestClient, minimal: dict[str, Any]
) -> None:
    """Each engine's export carries the step's values and no secret; import returns them."""
    inputs = {**minimal, "description": "literal ${not.an.expression}"}
    for engine in ("simworkflow", "conductor"):
        exported = client.post(f"{TASK}/export", json={"engine": engine, "inputs": inputs})
        assert exported.status_code == 200, exported.text
        assert SECRET not in exported.text
        document = exported.json()["document"]
        back = client.post("/api/import", json={"engine": engine, "document": document}).json()
        assert back["task"] == "upsert-payout-request"
        assert back["shipped"] is True
        assert back["inputs"] == inputs


def test_import_of_something_else_is_a_422(client: TestClient) -> None:
    """A document that is not an engine HTTP task is refused with a message."""
    response = client.post("/api/import", json={"engine": "conductor", "document": {"a": 1}})
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_page_and_assets_are_served(client: TestClient) -> None:
    """The page and its module scripts come from the package; nothing from elsewhere."""
    page = client.get("/")
    assert page.status_code == 200
    assert 'src="/static/app.js"' in page.text
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("app.js", "form.js", "api.js", "dom.js", "views.js", "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200


def test_foreign_host_and_cross_origin_posts_are_refused(
    client: TestClient, minimal: dict[str, Any]
) -> None:
    """DNS rebinding (another Host) and another site's form post get no answer from the API."""
    assert client.get("/api/tasks", headers={"Host": "evil.example"}).status_code == 400
    response = client.post(
        f"{TASK}/render", json={"inputs": minimal}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403


def test_a_token_is_checked_on_every_api_request(emulator: Emulator) -> None:
    """With a token, API requests without it answer 401; the page itself stays reachable."""
    app = create_app(token="t0ken-value", local=LocalTarget(emulator=emulator), environ={})
    with TestClient(app) as client:
        assert client.get("/api/tasks").status_code == 401
        assert (
            client.get("/api/tasks", headers={"Authorization": "Bearer wrong"}).status_code == 401
        )
        assert client.get("/api/tasks", headers={"Authorization": "Bearer t0ken-value"}).is_success
        assert client.get("/api/tasks", headers={"X-Connector-Token": "t0ken-value"}).is_success
        assert client.get("/").status_code == 200


def test_openapi_description_is_generated_from_the_models(client: TestClient) -> None:
    """Every API route is described, with its error bodies."""
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/manifest",
        "/api/tasks",
        "/api/engines",
        "/api/catalogue",
        "/api/tasks/{name}",
        "/api/tasks/{name}/reference",
        "/api/tasks/{name}/render",
        "/api/tasks/{name}/test-request",
        "/api/tasks/{name}/export",
        "/api/import",
        "/api/workflows/plan",
    }
    render = spec["paths"]["/api/tasks/{name}/render"]["post"]["responses"]
    assert {"200", "400", "404", "413", "422"} <= set(render)
    assert "apiKey" not in json.dumps(spec)
