"""Variable names the importer gives: namespaced per API, coined words kept whole."""

from __future__ import annotations

from typing import Any

import pytest

from connector.openapi import import_description
from connector.openapi._names import check_prefix, env_name, env_prefix


@pytest.mark.parametrize(
    ("api", "prefix"),
    [("github", "CONNECTOR_GITHUB"), ("rebilly-rest-api", "CONNECTOR_REBILLY_REST_API")],
)
def test_every_api_prefix_is_namespaced(api: str, prefix: str) -> None:
    """No API's default prefix is a bare well-known name (`GITHUB`, `AWS`)."""
    assert env_prefix(api) == prefix


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("OAuth2", "CONNECTOR_ACME_OAUTH2"),
        ("openIDConnect", "CONNECTOR_ACME_OPENID_CONNECT"),
        ("AcmeKey", "CONNECTOR_ACME_KEY"),
        ("X-API-Key", "CONNECTOR_ACME_X_API_KEY"),
    ],
)
def test_names_are_normalised(text: str, name: str) -> None:
    """`OAuth2` is one word; the API's own name is not repeated."""
    assert env_name("CONNECTOR_ACME", text) == name


@pytest.mark.parametrize("bad", ["", "1ABC", "A-B", "A B"])
def test_a_prefix_that_cannot_start_a_variable_is_refused(bad: str) -> None:
    """--env-prefix takes letters, digits and '_' after a letter."""
    with pytest.raises(ValueError, match="is not a variable prefix"):
        check_prefix(bad)


def test_an_oauth2_scheme_reads_oauth2_not_o_auth2() -> None:
    """An implicit-flow scheme `OAuth2` of API acme reads CONNECTOR_ACME_OAUTH2_TOKEN."""
    flows = {"implicit": {"authorizationUrl": "https://acme.test/auth", "scopes": {}}}
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Acme", "version": "1"},
        "components": {"securitySchemes": {"OAuth2": {"type": "oauth2", "flows": flows}}},
        "security": [{"OAuth2": []}],
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }
    result = import_description(document)
    assert set(result.bindings) == {"CONNECTOR_ACME_OAUTH2_TOKEN"}
    chosen = import_description(document, prefix="ACME")
    assert set(chosen.bindings) == {"ACME_OAUTH2_TOKEN"}
