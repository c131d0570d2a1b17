"""`$ref`s: local ones are followed lazily; remote and file refs are refused, never fetched."""

from __future__ import annotations

import builtins
import socket
from typing import Any

import pytest

from connector.openapi import RefError, Refs, import_description


def _description(ref: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Refs", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": ref}}}},
                    "responses": {"201": {"description": "created"}},
                },
                "get": {
                    "operationId": "listThings",
                    "responses": {"200": {"description": "ok"}},
                },
            }
        },
    }


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("https://schemas.example.com/thing.json#/Thing", id="remote"),
        pytest.param("file:///etc/passwd", id="file-url"),
        pytest.param("other.yaml#/components/schemas/Thing", id="relative-file"),
    ],
)
def test_remote_and_file_refs_are_refused_without_a_connection_or_a_file_read(
    ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operation is skipped with a reason naming it and the pointer; nothing is opened."""
    opened: list[object] = []

    def no_connect(*args: object, **kwargs: object) -> None:
        opened.append(args)
        raise AssertionError("the importer opened a connection")

    def no_open(*args: object, **kwargs: object) -> None:
        opened.append(args)
        raise AssertionError("the importer opened a file")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    monkeypatch.setattr(socket, "create_connection", no_connect)
    monkeypatch.setattr(builtins, "open", no_open)
    result = import_description(_description(ref), check=False)
    assert opened == []
    assert [i.operation_id for i in result.imported] == ["listThings"]
    (skipped,) = result.skipped
    assert skipped.operation_id == "createThing"
    assert "createThing (POST /things)" in skipped.reason
    assert "refers outside the description" in skipped.reason
    assert "#/paths/~1things/post/requestBody/content/application~1json/schema" in skipped.reason


def test_a_ref_to_nowhere_is_a_skip_with_its_pointer() -> None:
    """A local ref that points nowhere names the ref and where it is written."""
    result = import_description(_description("#/components/schemas/Missing"), check=False)
    (skipped,) = result.skipped
    assert "points nowhere" in skipped.reason
    assert "(at #/paths/~1things/post" in skipped.reason


def test_local_refs_are_looked_up_with_escaping() -> None:
    """`~1`, `~0` and percent-encoding in a pointer are decoded."""
    refs = Refs({"components": {"a/b": {"c~d": {"e f": 1}}}})
    assert refs.lookup("#/components/a~1b/c~0d/e%20f", "/x") == ("/components/a~1b/c~0d/e f", 1)


def test_ref_chains_that_loop_are_refused() -> None:
    """A ref to a ref to itself is an error, not a hang."""
    refs = Refs({"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}})
    with pytest.raises(RefError, match="loops back"):
        refs.deref({"$ref": "#/a"}, "/start")
