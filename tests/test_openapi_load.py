"""Reading descriptions: JSON or YAML 1.2, and a clear refusal of anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector._errors import DescriptionError
from connector.openapi import check_openapi, load_description, parse_text


def test_yaml_is_read_with_the_1_2_core_schema() -> None:
    """Dates and yes/no stay strings, 010 is ten, 0o10 is eight, and keys are strings."""
    document = parse_text(
        "created: 2024-01-01\nanswer: no\nten: 010\neight: 0o10\nsexagesimal: 1:20\n"
        "200: ok\ntrue: yes\nnothing: ~\nbig: 1e3\n",
        source="s.yaml",
    )
    assert document == {
        "created": "2024-01-01",
        "answer": "no",
        "ten": 10,
        "eight": 8,
        "sexagesimal": "1:20",
        "200": "ok",
        "true": "yes",
        "nothing": None,
        "big": 1000.0,
    }


def test_json_is_read_as_json() -> None:
    """A JSON document is parsed as JSON (NaN is not JSON)."""
    assert parse_text('{"openapi": "3.1.0"}', source="s.json") == {"openapi": "3.1.0"}
    with pytest.raises(DescriptionError, match="neither JSON nor YAML"):
        parse_text('{"a": NaN', source="s.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("swagger: '1.2'\n", "Swagger '1.2' is not 2.0", id="swagger-1"),
        pytest.param("info: {}\n", "no 'openapi' key", id="no-openapi"),
        pytest.param("openapi: 4.0.0\n", "'4.0.0' is not supported", id="future-version"),
        pytest.param("openapi: 3.1.0\npaths: []\n", "'paths' must be a mapping", id="bad-paths"),
        pytest.param("- a\n- b\n", "not a mapping", id="a-list"),
        pytest.param("a: [\n", "neither JSON nor YAML", id="broken-yaml"),
    ],
)
def test_what_is_not_an_openapi_description_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    """Each way a file is not OpenAPI 3.0/3.1 is one DescriptionError saying why."""
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(DescriptionError, match=message):
        load_description(path)


def test_nesting_beyond_what_a_parser_can_hold_is_a_clear_error() -> None:
    """A pathologically deep document is refused with a message, not a RecursionError."""
    with pytest.raises(DescriptionError, match="nested too deeply"):
        parse_text("[" * 100_000 + "]" * 100_000, source="deep.json")


def test_a_missing_file_is_a_description_error(tmp_path: Path) -> None:
    """A file that cannot be read names itself."""
    with pytest.raises(DescriptionError, match="cannot read"):
        load_description(tmp_path / "absent.json")


def test_check_openapi_returns_the_version() -> None:
    """The version string is what the importer branches on (3.0 nullable, 3.1 types)."""
    assert check_openapi({"openapi": "3.0.3"}, source="x") == "3.0.3"
