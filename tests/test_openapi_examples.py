"""Example values generated from schemas are accepted by those schemas."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from connector.openapi import example_for


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "string", "format": "date-time"}, id="date-time"),
        pytest.param({"type": "string", "format": "email"}, id="email"),
        pytest.param({"type": "string", "format": "uuid"}, id="uuid"),
        pytest.param({"type": "string", "pattern": "^[A-Z]{3}$"}, id="currency-pattern"),
        pytest.param({"type": "string", "pattern": r"^\+?[1-9]\d{1,14}$"}, id="phone-pattern"),
        pytest.param({"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"}, id="sid-pattern"),
        pytest.param({"type": "string", "minLength": 12, "maxLength": 14}, id="lengths"),
        pytest.param({"type": "string", "enum": ["b", "c"]}, id="enum"),
        pytest.param(
            {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 3}, id="bounds"
        ),
        pytest.param(
            {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, id="exclusive"
        ),
        pytest.param({"type": "array", "minItems": 2, "items": {"type": "boolean"}}, id="array"),
        pytest.param(
            {
                "type": "object",
                "required": ["a"],
                "properties": {"a": {"type": ["null", "integer"]}},
            },
            id="required",
        ),
        pytest.param(
            {
                "oneOf": [
                    {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
                    {"properties": {"b": {"type": "integer"}}, "additionalProperties": False},
                ]
            },
            id="ambiguous-one-of",
        ),
        pytest.param(
            {"type": "object", "minProperties": 2, "additionalProperties": {"type": "string"}},
            id="min-properties",
        ),
    ],
)
def test_the_generated_example_is_valid(schema: dict[str, Any]) -> None:
    """Formats, patterns, enums, bounds, required fields and one branch of a oneOf."""
    value = example_for(schema)
    assert jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value), value


def test_a_valid_given_example_is_preferred() -> None:
    """The schema's own example is used when it validates, and skipped when it does not."""
    assert example_for({"type": "string", "maxLength": 3, "examples": ["toolong", "abc"]}) == "abc"


def test_recursive_schemas_end() -> None:
    """A required self-reference stops at the depth bound instead of recursing forever."""
    schema = {
        "$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
        "$ref": "#/$defs/N",
    }
    assert isinstance(example_for(schema), dict)
