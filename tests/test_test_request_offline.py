"""`connector test-request` with no credentials, for an imported API: the emulator started is
the one for the template's own API (the description kept at import), over loopback only.
The descriptions are read from `../shared/openapi/corpus`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from connector._store import DESCRIPTION, description_path, write_api
from connector.cli import main
from connector.emulator import Emulator, api_from_description, load_description, serves
from connector.openapi import import_description
from tests._foreign_host import RecordingProxy

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "openapi" / "corpus"
if not CORPUS.is_dir():
    pytest.skip("../shared/openapi/corpus is not here", allow_module_level=True)
PETSTORE = CORPUS / "oai-petstore-expanded.yaml"
API = "swagger-petstore"


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[tuple[dict[str, str], RecordingProxy]]:
    """The environment of a `connector` process: no credentials, a catalogue of its own, and
    every non-loopback request routed to a recording proxy (so one would be seen)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("REBILLY_", "CONNECTOR_"))}
    kept = {k: v for k, v in kept.items() if "proxy" not in k.lower()}
    with RecordingProxy() as proxy:
        routing = {"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"}
        yield {**kept, **routing, "CONNECTOR_CATALOG": str(tmp_path / "catalog")}, proxy


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


def test_an_imported_operation_is_test_requested_offline(
    offline: tuple[dict[str, str], RecordingProxy],
) -> None:
    """Import a corpus description, test-request one of its operations with no credentials:
    an emulator of that API answers with a structured response, and nothing leaves loopback."""
    environ, proxy = offline
    imported = _connector(environ, "catalog", "import", str(PETSTORE), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["api"] == API
    sent = _connector(
        environ, "test-request", "add-pet", "--input", "-", "--json", stdin='{"name": "Rex"}'
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    result = json.loads(sent.stdout)
    assert result["status"] == "COMPLETED"
    assert result["request"]["url"].startswith("http://127.0.0.1:")
    assert result["request"]["url"].endswith("/v2/pets")  # the template's local URL, its path
    assert result["response"]["statusCode"] == 200  # what the description declares for addPet
    body = result["response"]["body"]
    assert body["name"] == "Rex"
    assert isinstance(body["id"], int)  # built from the description's Pet schema
    assert f"started an emulator of API '{API}'" in sent.stderr
    assert proxy.lines == []


def test_a_template_with_no_description_is_refused(
    offline: tuple[dict[str, str], RecordingProxy], tmp_path: Path
) -> None:
    """A template of an API with no kept description: one message, exit 2, nothing sent."""
    environ, proxy = offline
    template = {
        "name": "get-thing",
        "title": "Get a thing",
        "operation": {"api": "things"},
        "servers": {"local": "http://127.0.0.1:9/v1"},
        "httpRequest": {"url": "/things/1", "method": "GET"},
    }
    path = tmp_path / "get-thing.json"
    path.write_text(json.dumps(template))
    done = _connector(environ, "test-request", str(path), "--input", "-", stdin="{}")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "API 'things' has no kept description" in done.stderr
    assert "connector catalog import SPEC" in done.stderr
    assert "nothing was sent" in done.stderr
    assert "Traceback" not in done.stderr
    as_json = _connector(environ, "test-request", str(path), "--input", "-", "--json", stdin="{}")
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["error"]["kind"] == "usage"
    assert json.loads(as_json.stdout)["request"] is None
    assert proxy.lines == []


@pytest.fixture
def imported(capsys: pytest.CaptureFixture[str]) -> None:
    """The petstore imported into this test's catalogue."""
    assert main(["catalog", "import", str(PETSTORE)]) == 0
    capsys.readouterr()


def _with_local(tmp_path: Path, name: str, url: str) -> str:
    path = description_path(API)
    assert path is not None
    template = json.loads((path.parent / f"{name}.json").read_text())
    template["servers"]["local"] = url
    copy = tmp_path / f"{name}.json"
    copy.write_text(json.dumps(template))
    return str(copy)


@pytest.mark.usefixtures("imported")
def test_an_emulator_of_another_api_at_the_local_url_is_not_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, emulator: Emulator
) -> None:
    """The Rebilly emulator listening at the local URL does not serve the pets: one for the
    petstore is started instead, and the Rebilly one is sent nothing."""
    template = _with_local(tmp_path, "find-pets", emulator.url.rstrip("/") + "/v2")
    code, out, err = _test_request(capsys, tmp_path, template)
    assert code == 0, out + err
    assert f"started an emulator of API '{API}'" in err
    assert emulator.requests == []


@pytest.mark.usefixtures("imported")
def test_an_emulator_of_the_api_at_the_local_url_is_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An emulator serving the petstore at the local URL is the target (its state applies)."""
    api = api_from_description(load_description(PETSTORE))
    with Emulator(api=api) as running:
        template = _with_local(tmp_path, "find-pets", running.url.rstrip("/") + "/v2")
        code, out, err = _test_request(capsys, tmp_path, template)
        assert code == 0, out + err
        assert "sending to the emulator running at" in err
        assert [r.path for r in running.requests] == ["/v2/pets"]


def _test_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, template: str
) -> tuple[int, str, str]:
    inputs = tmp_path / "in.json"
    inputs.write_text("{}")
    code = main(["test-request", template, "--input", str(inputs)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_operations_endpoint_lists_what_is_served() -> None:
    """`GET /_emulator/operations`: method and full path of each served operation, which is
    how a client tells whether this emulator answers for its task."""
    api = api_from_description(load_description(PETSTORE))
    with Emulator(api=api) as running:
        served = requests.get(running.url.rstrip("/") + "/_emulator/operations", timeout=5).json()
    assert {"operationId": "addPet", "method": "POST", "path": "/v2/pets"} in served
    assert serves(served, "GET", "/v2/pets/<<id>>")
    assert not serves(served, "GET", "/organizations/<<organizationId>>/payout-requests/<<id>>")


def test_the_store_keeps_the_description_beside_the_templates(tmp_path: Path) -> None:
    """Writing an API keeps its description (not a template, never listed or removed as one);
    writing it again without one drops it."""
    template = {"name": "a", "title": "A", "httpRequest": {"url": "/a", "method": "GET"}}
    first = write_api("x", [template], catalog=tmp_path, description={"openapi": "3.1.0"})
    assert first.added == ["a"]
    assert json.loads((tmp_path / "x" / DESCRIPTION).read_text()) == {"openapi": "3.1.0"}
    again = write_api("x", [template], catalog=tmp_path, description={"openapi": "3.1.1"})
    assert (again.unchanged, again.removed) == (["a"], [])
    assert description_path("x", tmp_path) == tmp_path / "x" / DESCRIPTION
    write_api("x", [template], catalog=tmp_path)
    assert description_path("x", tmp_path) is None
    with pytest.raises(ValueError, match="cannot be kept as JSON"):
        write_api("x", [template], catalog=tmp_path, description={"n": float("nan")})


@pytest.mark.usefixtures("imported")
def test_the_service_sends_each_api_to_its_own_emulator(tmp_path: Path) -> None:
    """The web service's local target: Rebilly's tasks to the Rebilly emulator, an imported
    task to one serving its description, each started once; none for an API without one."""
    pytest.importorskip("fastapi")
    from connector import load_task
    from connector._errors import UsageError
    from connector.service import LocalTarget

    local = LocalTarget()
    try:
        pets = load_task("add-pet").template
        url = local.base_url(pets)
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v2")
        assert local.base_url(pets) == url  # started once
        created = requests.post(url + "/pets", json={"name": "Rex"}, timeout=5)
        assert created.json()["name"] == "Rex"
        rebilly = local.base_url(load_task("upsert-payout-request").template)
        assert urlsplit(rebilly).netloc != urlsplit(url).netloc
        orphan = pets.model_copy(
            update={"operation": pets.operation.model_copy(update={"api": "gone"})}
        )
        with pytest.raises(UsageError, match="API 'gone' has no kept description"):
            local.base_url(orphan)
    finally:
        local.close()


def test_a_test_request_emulates_the_tasks_family_as_the_whole_api_does(
    tmp_path: Path,
) -> None:
    """The fast path (only the operations under the task's path, benchmarks/emulation.py)
    answers the task's requests exactly as the whole API does (the plain path)."""
    from connector import load_task
    from connector.emulator import emulation_for, family

    document = load_description(CORPUS / "swagger-petstore-v3.yaml")
    templates = [i.template for i in import_description(document, api="pets").imported]
    write_api("pets", templates, catalog=tmp_path, description=document)
    template = load_task(str(tmp_path / "pets" / "add-pet.json")).template
    assert family(template.http_request.url) == "/pet"
    fast = emulation_for(template, catalog=tmp_path).api
    plain = emulation_for(template, catalog=tmp_path, whole_api=True).api
    assert {op.path for op in fast.operations} < {op.path for op in plain.operations}
    assert all(op.path.startswith("/pet") for op in fast.operations)
    answers = []
    for api in (fast, plain):
        with Emulator(api=api) as running:
            base = running.url + api.prefix
            auth = {"api_key": "k", "Authorization": "Bearer k"}
            created = requests.post(f"{base}/pet", json=_PET, headers=auth, timeout=5)
            read = requests.get(f"{base}/pet/{created.json()['id']}", headers=auth, timeout=5)
            answers.append([(r.status_code, r.json()) for r in (created, read)])
    assert answers[0] == answers[1]
    assert answers[0][0][0] == 200


_PET = {"name": "doggie", "photoUrls": ["https://example.com/d.png"], "status": "available"}


FORM_API: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Forms", "version": "1"},
    "servers": [{"url": "https://forms.example.com/v1"}],
    "paths": {
        "/tokens": {
            "post": {
                "operationId": "createToken",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["amount"],
                                "properties": {"amount": {"type": "integer"}},
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


def test_a_required_form_body_is_accepted_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A form-encoded body (Stripe's kind) reaches the emulator and is taken, not refused as
    missing (the emulator checks JSON bodies against their schema, and requires the others)."""
    spec = tmp_path / "forms.json"
    spec.write_text(json.dumps(FORM_API))
    assert main(["catalog", "import", str(spec)]) == 0
    capsys.readouterr()
    inputs = tmp_path / "in.json"
    inputs.write_text('{"amount": 5}')
    code = main(["test-request", "create-token", "--input", str(inputs), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    assert result["request"]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert result["response"]["statusCode"] == 200


OAUTH2_API: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Token Shop", "version": "1"},
    "servers": [{"url": "https://api.token-shop.example/v1"}],
    "components": {
        "securitySchemes": {
            "cc": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "https://auth.token-shop.example/token",
                        "scopes": {},
                    }
                },
            }
        }
    },
    "security": [{"cc": []}],
    "paths": {
        "/orders": {
            "get": {"operationId": "listOrders", "responses": {"200": {"description": "ok"}}}
        }
    },
}


def test_an_oauth2_api_is_test_requested_offline_without_asking_its_token_endpoint(
    offline: tuple[dict[str, str], RecordingProxy], tmp_path: Path
) -> None:
    """No credentials: the emulator gets a stand-in bearer token; neither the API's host nor
    its token endpoint is asked for anything."""
    environ, proxy = offline
    spec = tmp_path / "token-shop.json"
    spec.write_text(json.dumps(OAUTH2_API))
    assert _connector(environ, "catalog", "import", str(spec)).returncode == 0
    sent = _connector(environ, "test-request", "list-orders", "--input", "-", stdin="{}")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "COMPLETED" in sent.stdout
    assert proxy.lines == []
