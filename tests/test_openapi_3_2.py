"""OpenAPI 3.2 descriptions: what 3.2 adds, imported and dry-run (tests/data/openapi-3.2)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from connector._errors import InputError
from connector._idempotency import retry_allowed
from connector._store import index_row
from connector._task import Task
from connector._template import parse_template
from connector.openapi import ImportResult, import_description, load_description
from connector.service._palette import entry

FEATURES = Path(__file__).parent / "data" / "openapi-3.2" / "features.yaml"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "openapi" / "corpus"
HOSTS = ["sandbox.example.test", "auth.example.test", "login.example.test"]
ENVIRON = {
    "CONNECTOR_NOTES_API_KEY": "k",
    "CONNECTOR_NOTES_OAUTH_CLIENT_ID": "i",
    "CONNECTOR_NOTES_OAUTH_CLIENT_SECRET": "s",
    "CONNECTOR_NOTES_DISCOVERED_CLIENT_ID": "i",
    "CONNECTOR_NOTES_DISCOVERED_CLIENT_SECRET": "s",
}


@cache
def _imported() -> ImportResult:
    return import_description(load_description(FEATURES))


def _template(name: str) -> dict[str, Any]:
    return next(i.template for i in _imported().imported if i.name == name)


def _task(name: str) -> Task:
    return Task(parse_template(_template(name), source=name), source=name)


def _dry_run(name: str, inputs: dict[str, Any]) -> Any:
    return _task(name).prepare(inputs, environment="staging", environ=ENVIRON, allow_hosts=HOSTS)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_a_3_2_description_using_nothing_new_imports_as_3_1_does() -> None:
    """The same 3.1 description relabelled 3.2.0 gives the same templates and skips."""
    document = json.loads((CORPUS / "adyen-PayoutService-v68.json").read_text())
    before = import_description(document)
    after = import_description({**document, "openapi": "3.2.0"})
    assert [i.template for i in after.imported] == [i.template for i in before.imported]
    assert after.skipped == before.skipped and len(after.imported) == 6


def test_every_operation_is_imported_but_the_remote_ref() -> None:
    """QUERY, both additional methods and both querystring operations are templates."""
    names = {i.name for i in _imported().imported}
    assert names == {"query-notes", "purge-notes", "link-notes", "search-notes", "find-notes"}
    [skip] = _imported().skipped
    assert "refers outside the description" in skip.reason and "other.example.test" in skip.reason


def test_query_sends_its_body_with_the_query_method_and_is_retried() -> None:
    """QUERY dry-runs with its JSON body; HTTP defines it as idempotent, so it is retried."""
    prepared = _dry_run("query-notes", {"text": "milk", "limit": 2})
    assert prepared.method == "QUERY"
    assert prepared.url == "https://sandbox.example.test/v2/notes"
    assert json.loads(prepared.content or b"") == {"text": "milk", "limit": 2}
    assert retry_allowed(_task("query-notes").template).allowed


def test_additional_operations_are_retried_only_when_declared_idempotent() -> None:
    """PURGE is not repeated after a response; LINK declares `x-idempotent` and is."""
    purge, link = _task("purge-notes").template, _task("link-notes").template
    assert (purge.http_request.method, link.http_request.method) == ("PURGE", "LINK")
    assert not retry_allowed(purge).allowed
    assert retry_allowed(link).allowed


def test_trace_is_never_imported_from_additional_operations() -> None:
    """A method that echoes the request back is skipped with a pointer, however declared."""
    document = {
        "openapi": "3.2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"additionalOperations": {"TRACE": {"responses": {}}, "bad m": {}}}},
    }
    reasons = [s.reason for s in import_description(document).skipped]
    assert len(reasons) == 2
    assert all("is not supported (at #/paths/~1a/additionalOperations/" in r for r in reasons)


@pytest.mark.parametrize(
    ("name", "value", "query"),
    [
        pytest.param(
            "search-notes", {"text": "a b", "limit": 2}, "text=a%20b&limit=2", id="form-urlencoded"
        ),
        pytest.param(
            "find-notes",
            {"text": "a b"},
            "%7B%22text%22%3A%22a%20b%22%7D",
            id="json",
        ),
    ],
)
def test_a_querystring_input_is_the_whole_query_written_by_its_media_type(
    name: str, value: dict[str, Any], query: str
) -> None:
    """One input becomes the entire query string: form pairs, or percent-encoded JSON."""
    key = next(iter(_template(name)["parameters"]))
    prepared = _dry_run(name, {key: value})
    assert prepared.url.split("?", 1)[1] == query


def test_a_querystring_input_is_validated_against_its_schema() -> None:
    """The value is checked against the media type's schema before anything is sent."""
    with pytest.raises(InputError, match="filter"):
        _dry_run("search-notes", {"filter": {"limit": 0}})


def test_cookie_style_sends_values_unescaped_joined_by_semicolons() -> None:
    """`style: cookie, explode: true` writes `n=a; n=b`; a value needing escapes is refused."""
    prepared = _dry_run("link-notes", {"session": ["a1", "b2"]})
    assert prepared.headers["Cookie"] == "session=a1; session=b2"
    with pytest.raises(InputError, match="unescaped"):
        _dry_run("link-notes", {"session": ["a b"]})


def test_nested_navigation_tags_give_the_palette_group() -> None:
    """A badge tag is passed over; the nav tag is filed under its parent's path."""
    template = _template("query-notes")
    assert template["operation"]["group"] == "notes / search"
    assert entry(index_row(template), {}).tag == "notes / search"
    assert "group" not in _template("purge-notes")["operation"]


def test_server_names_name_the_environments() -> None:
    """3.2's server `name` names the environment (not its description)."""
    assert list(_template("find-notes")["servers"]) == ["staging", "production", "local"]


def test_self_refs_are_local_and_other_uris_are_not() -> None:
    """A ref written as `$self`'s URI or relative to it resolves inside the document."""
    assert set(_template("query-notes")["bodySchema"]["properties"]) == {"text", "limit"}
    assert _template("search-notes")["parameters"]["filter"]["schema"]["type"] == "object"


def test_a_sequential_media_type_is_read_whole() -> None:
    """A response with `itemSchema` keeps its media type and is read whole (no JSON schema)."""
    response = _template("query-notes")["responses"]["200"]
    assert response["contentType"] == "application/jsonl" and "schema" not in response


def test_oauth2_scheme_with_metadata_url_binds_the_token_host() -> None:
    """The token endpoint's host is bound to the client credentials, and only the API's hosts."""
    bindings = _imported().bindings["CONNECTOR_NOTES_OAUTH_CLIENT_ID"]
    assert bindings == {"auth.example.test", "api.example.test", "sandbox.example.test"}


def test_without_a_token_url_the_metadata_url_is_read_for_it() -> None:
    """`oauth2MetadataUrl` alone: the scheme reads the token endpoint from it; its host is bound."""
    [scheme] = _template("find-notes")["auth"]["schemes"].values()
    assert scheme["metadataUrl"].startswith("https://login.example.test/")
    assert "tokenUrl" not in scheme
    bound = _imported().bindings["CONNECTOR_NOTES_DISCOVERED_CLIENT_SECRET"]
    assert bound == {"login.example.test", "api.example.test", "sandbox.example.test"}
    assert _imported().hosts["login.example.test"] == "OAuth2 metadata URL"  # shown at import
