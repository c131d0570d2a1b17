"""Swagger 2.0 descriptions, imported through their conversion to OpenAPI 3.0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector._errors import DescriptionError
from connector.openapi import import_description, load_description, parse_text
from connector.openapi._swagger2 import CONVERTED, to_openapi3

DATA = Path(__file__).parent / "data" / "swagger2"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "openapi" / "corpus"


def _features() -> dict[str, Any]:
    return load_description(DATA / "features.yaml")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_the_petstore_in_2_0_imports_as_its_3_0_edition_does() -> None:
    """The same API written in 2.0 and in 3.0 gives the same templates, skips and bindings."""
    old = import_description(load_description(DATA / "petstore.yaml"))
    new = import_description(load_description(CORPUS / "oai-petstore.yaml"))
    assert [i.template for i in old.imported] == [i.template for i in new.imported]
    assert len(old.imported) == 3
    assert (old.skipped, old.bindings) == (new.skipped, new.bindings)


def test_the_conversion_is_noted_in_info() -> None:
    """`info` says the description was converted from Swagger 2.0; its own keys are kept."""
    info = _features()["info"]
    assert info[CONVERTED] == {"format": "swagger", "version": "2.0"}
    assert info["title"] == "Features"


def test_host_base_path_and_schemes_become_one_server_per_scheme() -> None:
    """`schemes: [https, http]` on one host gives two servers, in that order."""
    urls = [s["url"] for s in _features()["servers"]]
    assert urls == ["https://api.example.test/v2", "http://api.example.test/v2"]


def test_collection_formats_become_styles() -> None:
    """multi, pipes and csv (in a header) are form/explode, pipeDelimited and simple."""
    imported = {i.name: i.template for i in import_description(_features()).imported}
    parameters = imported["list-notes"]["parameters"]
    assert (parameters["ids"]["style"], parameters["ids"]["explode"]) == ("form", True)
    assert (parameters["tags"]["style"], parameters["tags"]["explode"]) == ("pipeDelimited", False)
    assert parameters["X-Ids"]["style"] == "simple"
    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1, "default": 1}


@pytest.mark.parametrize(
    ("operation", "content_type", "fields"),
    [
        pytest.param("create-note", "application/json", {"text", "parent"}, id="shared-body"),
        pytest.param("log-note", "application/json", {"text", "parent"}, id="path-level-body"),
        pytest.param(
            "send-form", "application/x-www-form-urlencoded", {"name", "count"}, id="form"
        ),
        pytest.param("upload", "multipart/form-data", {"file", "caption"}, id="file-upload"),
    ],
)
def test_body_and_form_parameters_become_the_request_body(
    operation: str, content_type: str, fields: set[str]
) -> None:
    """A body parameter (shared, or on the path item) or formData fields are the body."""
    imported = {i.name: i.template for i in import_description(_features()).imported}
    request = imported[operation]["httpRequest"]
    assert request["contentType"] == content_type
    assert set(request["body"]) == fields


def test_a_file_field_is_binary_and_x_nullable_is_nullable() -> None:
    """`type: file` is a binary string; `x-nullable` is 3.0's `nullable`."""
    document = _features()
    upload = document["paths"]["/uploads"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["properties"]["file"] == {
        "type": "string",
        "format": "binary",
    }
    parent = document["components"]["schemas"]["Note"]["properties"]["parent"]
    assert parent == {"type": "string", "nullable": True}


def test_security_definitions_become_schemes_with_3_0_flows() -> None:
    """basic is http basic; each OAuth2 flow takes its 3.0 name and keeps its URLs."""
    schemes = _features()["components"]["securitySchemes"]
    assert schemes["basic"] == {"type": "http", "scheme": "basic"}
    assert schemes["key"] == {"type": "apiKey", "in": "header", "name": "X-Key"}
    assert list(schemes["implicit"]["flows"]) == ["implicit"]
    assert list(schemes["password"]["flows"]) == ["password"]
    assert list(schemes["application"]["flows"]) == ["clientCredentials"]
    assert schemes["code"]["flows"]["authorizationCode"] == {
        "authorizationUrl": "https://auth.example.test/a",
        "tokenUrl": "https://auth.example.test/t",
        "scopes": {},
    }


def test_skips_give_the_same_reasons_naming_the_2_0_documents_places() -> None:
    """A remote and a dangling `$ref` are skipped as in 3.0; the ref is shown as written."""
    skipped = {s.operation_id: s.reason for s in import_description(_features()).skipped}
    assert set(skipped) == {"remoteRef", "brokenRef"}
    assert "refers outside the description" in skipped["remoteRef"]
    assert "'#/definitions/Missing' points nowhere" in skipped["brokenRef"]
    assert "(at #/paths/~1broken/get/responses/200" in skipped["brokenRef"]


def test_a_parsed_2_0_document_is_converted_by_import_description_too() -> None:
    """`import_description` takes a parsed 2.0 document as `load_description` gives a 3.0 one."""
    document = parse_text((DATA / "petstore.yaml").read_text(), source="petstore.yaml")
    assert len(import_description(document).imported) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("swagger: '2.0'\npaths: []\n", "'paths' must be a mapping", id="bad-paths"),
        pytest.param("swagger: '1.2'\n", "Swagger '1.2' is not 2.0", id="swagger-1.2"),
    ],
)
def test_a_broken_2_0_document_is_refused_with_one_message(
    tmp_path: Path, text: str, message: str
) -> None:
    """What cannot be converted or read after conversion is one DescriptionError."""
    path = tmp_path / "swagger.yaml"
    path.write_text(text)
    with pytest.raises(DescriptionError, match=message):
        load_description(path)


def test_a_deeply_nested_2_0_document_is_refused_not_crashed() -> None:
    """Nesting deeper than the conversion can walk is a DescriptionError naming the source."""
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["items"] = {}
        node = node["items"]
    with pytest.raises(DescriptionError, match=r"s\.yaml: nested too deeply"):
        to_openapi3({"swagger": "2.0", "paths": {}, "definitions": {"D": deep}}, source="s.yaml")


def test_hostile_shapes_are_tolerated_and_reported_by_the_importer() -> None:
    """Non-mapping path items, parameters and responses do not stop the conversion."""
    document = {
        "swagger": "2.0",
        "info": "not a mapping",
        "paths": {"/a": [], "/b": {"get": {"parameters": [1, None], "responses": {"200": 3}}}},
        "securityDefinitions": {"x": "nope"},
        "parameters": [],
    }
    result = import_description(document)
    assert len(result.imported) + len(result.skipped) == 1
