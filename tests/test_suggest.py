"""Did-you-mean: one function for every suggestion, bounded for names of any length."""

from __future__ import annotations

import tracemalloc

import pytest

from connector import InputError, load_task
from connector._suggest import MAX_SHOWN, did_you_mean, shown


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        pytest.param("amout", ["amount", "currency"], " (did you mean 'amount'?)", id="typo"),
        pytest.param("AMOUNT", ["amount"], " (did you mean 'amount'?)", id="case"),
        pytest.param("zzz", ["amount"], "", id="nothing-close"),
        pytest.param("a" * 10_000_000, ["amount"], "", id="ten-megabytes"),
    ],
)
def test_did_you_mean(value: str, options: list[str], expected: str) -> None:
    """The closest known name, a case-insensitive match, or nothing."""
    assert did_you_mean(value, options) == expected


def test_a_long_name_is_cut_and_a_surrogate_escaped_when_shown() -> None:
    """What a message repeats of a name is short and always printable as UTF-8."""
    assert len(shown("k" * 10_000_000)) < MAX_SHOWN + 40
    assert shown("a\udc80").encode("utf-8") == b"a\\udc80"


def test_a_ten_megabyte_unknown_key_costs_little_and_is_not_echoed(
    minimal: dict[str, object],
) -> None:
    """The unknown-key error for a 10 MB key is cheap to build and short to print."""
    key = "x" * 10_000_000
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as caught:
            load_task("upsert-payout-request").prepare({**minimal, key: 1}, environ={})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000
    assert len(str(caught.value)) < 1000
    assert "unknown input parameter" in str(caught.value)
