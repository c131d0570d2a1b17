"""Bounded JSON from outside: parsing, depth, and what in a task input cannot be sent."""

from __future__ import annotations

from typing import Any

import pytest

from connector._json import MAX_DEPTH, loads, problems


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_loads_refuses_constants_and_depth() -> None:
    """NaN is not JSON, and text nested past the limit is refused, never a RecursionError."""
    with pytest.raises(ValueError, match="NaN is not a JSON value"):
        loads('{"a": NaN}')
    with pytest.raises(ValueError, match=f"deeper than {MAX_DEPTH}"):
        loads("[" * 5000 + "]" * 5000)


def test_a_deep_value_is_named_by_its_field() -> None:
    """By default the top field under `field` is named (the input the user wrote)."""
    found = list(problems({"ok": 1, "description": _nested(200)}))
    assert [(e.field, e.message) for e in found] == [
        ("description", f"nests deeper than {MAX_DEPTH} levels")
    ]
    assert [e.field for e in problems({"d": _nested(200)}, "body")] == ["body.d"]


def test_full_path_names_the_way_down_to_the_limit() -> None:
    """`full_path` names the path down to the limit, cut for the message."""
    (found,) = problems({"description": _nested(200)}, full_path=True)
    assert found.field.startswith("description.a.a.a")
    assert found.field.endswith("characters)")
    assert len(found.field) < 120


def test_a_lone_surrogate_is_named_in_a_value_and_in_a_key() -> None:
    """No UTF-8 request can carry a lone surrogate: its field is named, key or value."""
    found = list(problems({"a": {"b": "\ud800"}, "\udc00": 1}))
    assert sorted(e.field for e in found) == ["\\udc00", "a.b"]
    assert all("lone surrogate" in e.message for e in found)
