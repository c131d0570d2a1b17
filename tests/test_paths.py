"""Path parameters as one URL path segment: the id rule and percent-encoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector._paths import path_segment

ID_RULE = r"^[@~\-\.\w]+$"


@given(st.text(min_size=1, max_size=80))
def test_no_value_can_leave_its_segment(text: str) -> None:
    """Whatever the value, its encoding holds no `/`, `?` or `#`, and `..` never passes."""
    encoded, problems = path_segment(text, 2048, 1, None)
    assert not set("/?#") & set(encoded)
    if text in {".", ".."}:
        assert problems


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        pytest.param("po_1.a@b~c-d", True, id="every-allowed-character"),
        pytest.param("x" * 50, True, id="max-length"),
        pytest.param("x" * 51, False, id="too-long"),
        pytest.param("é", False, id="unicode-word-character"),
        pytest.param("a b", False, id="space"),
        pytest.param("..", False, id="dot-dot"),
    ],
)
def test_the_id_rule_is_read_with_ascii_word_characters(text: str, ok: bool) -> None:
    """`\\w` in the published pattern means ASCII letters, digits and underscore, as in ECMA-262."""
    _, problems = path_segment(text, 50, 1, ID_RULE)
    assert (not problems) is ok


@pytest.mark.parametrize(
    ("text", "pattern", "ok"),
    [
        pytest.param("abc\n", ID_RULE, False, id="trailing-newline"),
        pytest.param("abc", ID_RULE, True, id="plain"),
        pytest.param("xabcx", "abc", True, id="unanchored-is-a-search"),
        pytest.param("ab$", r"^ab[$]$", True, id="dollar-in-a-class"),
        pytest.param("ab$", r"^ab\$$", True, id="escaped-dollar"),
        pytest.param("ab$\n", r"^ab\$$", False, id="escaped-dollar-then-newline"),
    ],
)
def test_a_pattern_dollar_is_the_end_of_the_value_as_in_ecma_262(
    text: str, pattern: str, ok: bool
) -> None:
    """`$` ends the value (Python's own `$` would let a final newline through as `%0A`)."""
    _, problems = path_segment(text, 50, 1, pattern)
    assert (not problems) is ok
