"""`connector search`: the operation a user's words name ranks first, from a kept index."""

from __future__ import annotations

import json
import random
import tarfile
from functools import cache
from pathlib import Path

import pytest

from connector._search import search_catalogue
from connector._store import remove_api, write_api
from connector.openapi import import_description
from connector.openapi._load import check_openapi, parse_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openapi"
REBILLY = SHARED / "rebilly-openapi.json"
DIRECTORY = SHARED / "directory" / "apis-guru-dev.tar.gz"
QUERIES = Path(__file__).resolve().parents[1] / "benchmarks" / "search_queries.jsonl"


def _text(spec: str) -> str:
    if spec == "rebilly":
        if not REBILLY.is_file():
            pytest.skip(f"no description at {REBILLY}")
        return REBILLY.read_text(encoding="utf-8")
    if not DIRECTORY.is_file():
        pytest.skip(f"no directory at {DIRECTORY}")
    with tarfile.open(DIRECTORY) as archive:
        member = archive.extractfile(f"api/{spec}")
        assert member is not None
        return member.read().decode("utf-8")


@cache
def _catalog(root: Path, *specs: str) -> Path:
    """A catalogue with these descriptions imported (an API named after each spec)."""
    for spec in specs:
        document = parse_text(_text(spec), source=spec)
        check_openapi(document, source=spec)
        api = spec.removesuffix(".json").replace("/", ".").lower()
        result = import_description(document, api=api, check=False)
        write_api(api, (item.template for item in result.imported), catalog=root)
    return root


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rebilly and GitHub's descriptions imported once for the module."""
    return _catalog(tmp_path_factory.mktemp("catalog"), "rebilly", "github.com/api.github.com.json")


def _first(query: str, catalog: Path, api: str, limit: int = 3) -> list[str]:
    hits = search_catalogue(query, limit, api=api, catalog=catalog, meaning=False)
    return [str(hit.row["operationId"]) for hit in hits]


@pytest.mark.parametrize(
    ("query", "api", "want"),
    [
        pytest.param("create issue", "github.com.api.github.com", "issues/create", id="create"),
        pytest.param("create an issue", "github.com.api.github.com", "issues/create", id="an"),
        pytest.param("get a payout request", "rebilly", "GetPayoutRequest", id="get-item"),
        pytest.param("list customers", "rebilly", "GetCustomerCollection", id="list"),
        pytest.param("cancel a payout request", "rebilly", "PostPayoutRequestCancellation", id="x"),
        pytest.param("add a new client", "rebilly", "PostCustomer", id="synonym"),
    ],
)
def test_the_operation_a_query_names_ranks_first(
    catalog: Path, query: str, api: str, want: str
) -> None:
    """Words naming a summary, a verb's intent and a resource put that operation first."""
    assert _first(query, catalog, api, 1) == [want]


def test_delete_a_repository_finds_the_repository_delete(catalog: Path) -> None:
    """A DELETE of the item the query names is in the top three."""
    assert "repos/delete" in _first("delete a repository", catalog, "github.com.api.github.com")


def test_a_seeded_sample_of_labelled_word_queries_finds_its_operation(catalog: Path) -> None:
    """Twenty word queries drawn with a fixed seed from the labelled set (Rebilly, GitHub):
    at least 19 have a right operation in the top three."""
    rows = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines()]
    pool = [r for r in rows if r["kind"] == "words" and r["api"] in {"rebilly", "github"}]
    sample = random.Random(21).sample(pool, 20)
    apis = {"rebilly": "rebilly", "github": "github.com.api.github.com"}
    found = sum(
        bool(set(_first(r["query"], catalog, apis[r["api"]])) & set(r["answers"])) for r in sample
    )
    assert found >= 19


def _pets(*titles: str) -> list[dict[str, object]]:
    return [
        {
            "name": title.lower().replace(" ", "-"),
            "title": title,
            "operation": {"api": "pets", "tags": ["pets"]},
            "httpRequest": {"method": method, "url": url},
        }
        for title, method, url in (
            ("List all pets", "GET", "/pets"),
            ("Create a pet", "POST", "/pets"),
            ("Show a pet", "GET", "/pets/{petId}"),
        )
        if title in titles
    ]


def test_the_kept_index_follows_import_reimport_and_removal(tmp_path: Path) -> None:
    """search_catalogue sees an API imported, imported again smaller, and removed."""
    query = "every pet"
    assert search_catalogue(query, 5, api="pets", catalog=tmp_path, meaning=False) == []
    write_api("pets", _pets("List all pets", "Create a pet"), catalog=tmp_path)
    assert (
        search_catalogue(query, 5, api="pets", catalog=tmp_path, meaning=False)[0].row["name"]
        == "list-all-pets"
    )
    assert (tmp_path / "_search.sqlite").is_file()
    write_api("pets", _pets("Create a pet"), catalog=tmp_path)
    names = [
        hit.row["name"]
        for hit in search_catalogue(query, 5, api="pets", catalog=tmp_path, meaning=False)
    ]
    assert names == ["create-a-pet"]
    remove_api("pets", catalog=tmp_path)
    assert search_catalogue(query, 5, api="pets", catalog=tmp_path, meaning=False) == []


def test_the_verb_chooses_between_a_collection_and_an_item(tmp_path: Path) -> None:
    """'add' is the POST to the collection, 'look up' the GET of an item, 'all' the list."""
    write_api("pets", _pets("List all pets", "Create a pet", "Show a pet"), catalog=tmp_path)
    first = {
        query: search_catalogue(query, 1, api="pets", catalog=tmp_path, meaning=False)[0].row[
            "name"
        ]
        for query in ("add a new pet", "look up one pet", "all the pets")
    }
    assert first == {
        "add a new pet": "create-a-pet",
        "look up one pet": "show-a-pet",
        "all the pets": "list-all-pets",
    }


def test_a_read_only_catalogue_is_searched_from_an_index_in_memory(tmp_path: Path) -> None:
    """Where the index file cannot be written, search still answers."""
    write_api("pets", _pets("List all pets"), catalog=tmp_path)
    (tmp_path / "_search.sqlite").mkdir()  # a directory where the file would go
    hits = search_catalogue("list pets", 5, api="pets", catalog=tmp_path, meaning=False)
    assert [hit.row["name"] for hit in hits] == ["list-all-pets"]


def test_a_query_of_stop_words_finds_nothing(tmp_path: Path) -> None:
    """No searchable word: no hits, no error."""
    write_api("pets", _pets("List all pets"), catalog=tmp_path)
    assert search_catalogue("the of a", 5, catalog=tmp_path, meaning=False) == []
