"""The palette's endpoint: the whole catalogue by API and tag, and `connector search`'s ranking."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from starlette.testclient import TestClient

from connector._catalog import read_manifest
from connector._store import all_rows
from connector.cli import main
from connector.emulator import Emulator
from connector.service import LocalTarget, create_app
from tests.test_catalog_cli import PETSTORE

REBILLY = Path(__file__).resolve().parents[1].parent / "shared" / "openapi" / "rebilly-openapi.json"
QUERIES = ["cancel payout", "create a new pet", "list", "payout request batch approve"]


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    """A client of the service, over a catalogue holding the shipped tasks and `pets`."""
    app = create_app(
        local=LocalTarget(emulator=emulator),
        environ={},
        allowed_hosts=frozenset({"testserver"}),
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _pets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The small Pet Store description imported as the API `pets`."""
    spec = tmp_path / "petstore.json"
    spec.write_text(json.dumps(PETSTORE))
    assert main(["catalog", "import", str(spec), "--api", "pets"]) == 0
    capsys.readouterr()


def _refs(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["ref"] for task in tasks]


def _every_task(catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for g in catalogue["groups"] for tag in g["tags"] for t in tag["tasks"]]


def test_the_whole_catalogue_is_grouped_by_api_then_tag(client: TestClient) -> None:
    """Every task appears once, under its API (shipped first): a shipped one in its manifest
    palette group, in the manifest's order; an imported one under its first tag (sorted)."""
    catalogue = client.get("/api/catalogue").json()
    assert catalogue["query"] is None
    assert catalogue["hits"] is None
    tasks = _every_task(catalogue)
    assert len(tasks) == catalogue["total"] == len(all_rows())
    assert len(set(_refs(tasks))) == len(tasks)
    groups = catalogue["groups"]
    assert groups[0]["source"] == "shipped"
    pets = next(g for g in groups if g["api"] == "pets")
    assert pets["source"] == "imported"
    assert pets["count"] == 3
    assert [tag["tag"] for tag in pets["tags"]] == ["Other", "pets"]  # Other: untagged
    assert {t["ref"] for t in pets["tags"][1]["tasks"]} == {"pets/list-pets", "pets/create-pet"}
    for group in groups:
        assert all(t["api"] == group["api"] for tag in group["tags"] for t in tag["tasks"])
    manifest = read_manifest()["groups"]
    shipped = groups[0]["tags"]
    assert [tag["tag"] for tag in shipped] == [g["title"] for g in manifest]
    assert [[t["name"] for t in tag["tasks"]] for tag in shipped] == [g["tasks"] for g in manifest]
    upsert = next(t for t in tasks if t["name"] == "upsert-payout-request")
    assert upsert["ref"] == "upsert-payout-request"
    assert (upsert["method"], upsert["path"]) == ("PUT", "/payout-requests/<<id>>")
    assert upsert["operationId"] == "PutPayoutRequest"


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_is_ranked_as_connector_search_ranks_it(
    client: TestClient, query: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hits are `connector search --json`'s rows in the same order, with the same scores."""
    assert main(["search", query, "--limit", "20", "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    answer = client.get("/api/catalogue", params={"q": query, "limit": 20}).json()
    hits = answer["hits"]
    assert [(h["name"], h["api"], h["score"]) for h in hits] == [
        (row["name"], row["api"], row["score"]) for row in expected
    ]
    assert answer["query"] == query
    assert sorted(_refs(_every_task(answer))) == sorted(_refs(hits))


def test_imported_tasks_are_found_and_open_by_their_ref(client: TestClient) -> None:
    """A search finds an imported task; its ref opens its detail, reference and dry run."""
    (best,) = client.get("/api/catalogue", params={"q": "register a new pet", "limit": 1}).json()[
        "hits"
    ]
    assert best["ref"] == "pets/create-pet"
    assert best["source"] == "imported"
    assert best["tag"] == "pets"
    detail = client.get("/api/tasks/pets/create-pet")
    assert detail.status_code == 200
    assert detail.json()["name"] == "create-pet"
    assert client.get("/api/tasks/pets/create-pet/reference").json()["method"] == "POST"
    render = client.post(
        "/api/tasks/pets/create-pet/render",
        json={"inputs": {"name": "Rex"}, "environment": "local"},
    )
    assert render.status_code == 200
    assert render.json()["url"].endswith("/pets")
    assert render.json()["body"] == {"name": "Rex"}


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("pets", id="an-api"),
        pytest.param("pets/nope", id="no-such-task"),
        pytest.param("pets/../manifest", id="dot-dot"),
        pytest.param("pets/list-pets/x", id="three-parts"),
        pytest.param("..%2F..%2Fmanifest.json", id="encoded-path"),
        pytest.param("list-pets", id="unqualified-imported"),
    ],
)
def test_anything_but_a_shipped_name_or_an_api_name_ref_is_404(
    client: TestClient, ref: str
) -> None:
    """Refs that are not NAME (shipped) or API/NAME (imported) answer 404, never a file."""
    response = client.get(f"/api/tasks/{ref}")
    assert response.status_code == 404
    assert response.json()["error"]["kind"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"q": "x" * 201}, "q", id="q-too-long"),
        pytest.param({"q": "payout", "limit": 0}, "limit", id="limit-0"),
        pytest.param({"q": "payout", "limit": 101}, "limit", id="limit-101"),
        pytest.param({"q": "payout", "limit": "ten"}, "limit", id="limit-not-a-number"),
    ],
)
def test_a_bad_query_is_one_422_naming_the_parameter(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    """q longer than 200 characters or a limit outside 1..100 is refused, naming it."""
    response = client.get("/api/catalogue", params=params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["error"]["fieldErrors"]] == [field]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param("   ", None, id="blank-is-the-whole-catalogue"),
        pytest.param("the of and", False, id="stop-words-only"),
        pytest.param("zzqx", False, id="no-match"),
        pytest.param("\x00'; zzqx --<script>", False, id="odd-characters"),
        pytest.param("payout 🙂 payout", True, id="emoji-and-repeats"),
    ],
)
def test_odd_queries_answer_200(client: TestClient, query: str, found: bool | None) -> None:
    """Blank means the whole catalogue; nothing matching is an empty list, never an error."""
    response = client.get("/api/catalogue", params={"q": query, "limit": 10})
    assert response.status_code == 200
    answer = response.json()
    if found is None:
        assert answer["hits"] is None
        assert len(_every_task(answer)) == answer["total"]
    else:
        assert bool(answer["hits"]) is found


def test_cancel_payout_finds_the_cancellation_of_an_imported_rebilly(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """With Rebilly's description imported, "cancel payout" ranks its cancellation first."""
    if not REBILLY.is_file():
        pytest.skip(f"no description at {REBILLY}")
    assert (
        main(["catalog", "import", str(REBILLY), "--api", "rebilly-docs", "--tag", "Transactions"])
        == 0
    )
    capsys.readouterr()
    (best,) = client.get("/api/catalogue", params={"q": "cancel payout", "limit": 1}).json()["hits"]
    assert best["operationId"] == "PostPayoutRequestCancellation"
    assert best["api"] in {"rebilly", "rebilly-docs"}


def test_an_imported_task_is_sent_to_an_emulator_of_its_own_api(
    client: TestClient, emulator: Emulator
) -> None:
    """A local test request of `pets/create-pet` goes to an emulator started from the Pet
    Store's kept description (the Rebilly emulator hears nothing); the same one answers the
    next request of that API."""
    sent = client.post(
        "/api/tasks/pets/create-pet/test-request",
        json={"inputs": {"name": "Rex"}, "environment": "local"},
    ).json()
    assert sent["status"] == "COMPLETED"
    assert sent["response"]["statusCode"] == 201
    listed = client.post(
        "/api/tasks/pets/list-pets/test-request", json={"inputs": {}, "environment": "local"}
    ).json()
    assert listed["response"]["statusCode"] == 200
    origin = sent["request"]["url"].removesuffix("/pets")
    assert listed["request"]["url"].startswith(origin)
    assert not origin.startswith(emulator.url)
    assert emulator.requests == []


def test_an_imported_api_without_its_description_says_so_and_sends_nothing(
    client: TestClient,
) -> None:
    """No kept description: a 422 that says what to do, nothing sent."""
    from connector._store import write_api

    template = {
        "name": "ping",
        "title": "Ping",
        "operation": {"api": "bare", "operationId": "ping"},
        "servers": {"local": "http://127.0.0.1:8765"},
        "httpRequest": {"url": "/ping", "method": "GET"},
    }
    write_api("bare", [template])
    answer = client.post("/api/tasks/bare/ping/test-request", json={"environment": "local"})
    assert answer.status_code == 422
    assert "no kept description" in answer.json()["error"]["message"]
