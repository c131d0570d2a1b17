"""OpenAPI schemas as self-contained JSON Schemas: refs, allOf, nullable, cycles, discriminators."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from connector.openapi import Refs, SchemaBuilder, SchemaError, example_for


def _build(components: dict[str, Any], schema: Any, mode: str = "request") -> Any:
    document = {"components": {"schemas": components}}
    return SchemaBuilder(Refs(document)).build(schema, "/x", mode)  # type: ignore[arg-type]


def test_all_of_is_merged_deeply_with_the_union_of_required() -> None:
    """Properties met in several parts merge; required is the union; the result is one object."""
    base = {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    schema = {
        "allOf": [
            {"$ref": "#/components/schemas/Base"},
            {
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "address": {"required": ["city"], "properties": {"zip": {"type": "string"}}},
                },
            },
        ]
    }
    built = _build({"Base": base}, schema)
    assert "allOf" not in built
    assert built["required"] == ["id", "name"]
    assert built["properties"]["address"]["required"] == ["city"]
    assert set(built["properties"]["address"]["properties"]) == {"city", "zip"}


def test_read_only_properties_are_left_out_of_request_bodies() -> None:
    """readOnly goes (with its required entry) in requests; writeOnly goes in responses."""
    schema = {
        "type": "object",
        "required": ["id", "secret", "name"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "secret": {"type": "string", "writeOnly": True},
            "name": {"type": "string"},
        },
    }
    request = _build({}, schema, "request")
    response = _build({}, schema, "response")
    assert set(request["properties"]) == {"secret", "name"}
    assert request["required"] == ["secret", "name"]
    assert set(response["properties"]) == {"id", "name"}


def test_openapi_3_0_nullable_and_example_become_json_schema() -> None:
    """`nullable: true` adds null to the type (and enum); `example` becomes `examples`."""
    built = _build({}, {"type": "string", "enum": ["a"], "nullable": True, "example": "a"})
    assert built == {"type": ["string", "null"], "enum": ["a", None], "examples": ["a"]}


def test_exclusive_bounds_of_3_0_become_numbers() -> None:
    """3.0's boolean exclusiveMinimum turns into the 2020-12 number form."""
    built = _build({}, {"type": "integer", "minimum": 0, "exclusiveMinimum": True})
    assert built == {"type": "integer", "exclusiveMinimum": 0}


def test_cycles_are_kept_as_recursive_definitions() -> None:
    """A schema that contains itself is written once under $defs, and validation recurses."""
    node = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    built = _build({"Node": node}, {"$ref": "#/components/schemas/Node"})
    assert built["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert "Node" in built["$defs"]
    validator = jsonschema_rs.validator_for(built)
    assert validator.is_valid({"name": "a", "children": [{"name": "b", "children": []}]})
    assert not validator.is_valid({"name": "a", "children": [{"name": 1}]})


def test_a_discriminated_one_of_accepts_each_branch_and_only_its_own() -> None:
    """Each branch requires its discriminator value, so exactly one branch matches."""
    components = {
        "Cat": {
            "type": "object",
            "required": ["petType"],
            "properties": {"petType": {"type": "string"}, "meows": {"type": "boolean"}},
        },
        "Dog": {
            "type": "object",
            "required": ["petType"],
            "properties": {"petType": {"type": "string"}, "barks": {"type": "boolean"}},
        },
    }
    schema = {
        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        "discriminator": {
            "propertyName": "petType",
            "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
        },
    }
    built = _build(components, schema)
    validator = jsonschema_rs.validator_for(built)
    assert validator.is_valid({"petType": "cat", "meows": True})
    assert validator.is_valid({"petType": "dog"})
    assert not validator.is_valid({"petType": "cow"})
    example = example_for(built)
    assert validator.is_valid(example)
    assert example["petType"] in {"cat", "dog"}


def test_an_implicit_discriminator_mapping_uses_the_schema_names() -> None:
    """Without a mapping, a branch's value is its component name."""
    components = {"Cat": {"type": "object", "properties": {"kind": {"type": "string"}}}}
    built = _build(
        components,
        {
            "oneOf": [{"$ref": "#/components/schemas/Cat"}],
            "discriminator": {"propertyName": "kind"},
        },
    )
    assert built["oneOf"][0]["properties"]["kind"] == {"type": "string", "const": "Cat"}


def test_vendor_extensions_and_non_json_schema_keywords_are_dropped() -> None:
    """x-*, xml and externalDocs do not reach the template."""
    built = _build(
        {}, {"type": "string", "x-internal": True, "xml": {"name": "a"}, "externalDocs": {}}
    )
    assert built == {"type": "string"}


def test_a_schema_nested_beyond_the_bound_is_refused() -> None:
    """Work is bounded: a very deep schema is a SchemaError naming where."""
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(200):
        schema = {"type": "array", "items": schema}
    with pytest.raises(SchemaError, match="nested deeper"):
        _build({}, schema)
