"""What a server's rate-limit headers say about its budget: IETF fields and `X-RateLimit-*`."""

from __future__ import annotations

import pytest

from connector.batch._budget import Budget, budgets

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(
            {"RateLimit": '"default";r=50;t=30', "RateLimit-Policy": '"default";q=100;w=60'},
            [Budget(50, 30.0, 100, 60.0)],
            id="ietf",
        ),
        pytest.param(
            {"RateLimit": '"minute";r=5;t=20, "day";r=900;t=7200'},
            [Budget(5, 20.0), Budget(900, 7200.0)],
            id="ietf-two-policies",
        ),
        pytest.param(
            {"RateLimit": "limit=10, remaining=4, reset=2"}, [Budget(4, 2.0, 10)], id="ietf-dict"
        ),
        pytest.param(
            {"RateLimit-Limit": "10", "RateLimit-Remaining": "3", "RateLimit-Reset": "1.5"},
            [Budget(3, 1.5, 10)],
            id="ietf-separate",
        ),
        pytest.param(
            {"X-RateLimit-Limit": "3000", "X-RateLimit-Remaining": "2990"},
            [Budget(2990, None, 3000)],
            id="rebilly-no-reset",
        ),
        pytest.param(
            {"X-RateLimit-Remaining": "7", "X-RateLimit-Reset": str(int(NOW + 45))},
            [Budget(7, 45.0)],
            id="x-epoch-reset",
        ),
        pytest.param(
            {"X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "12"},
            [Budget(7, 12.0)],
            id="x-seconds-reset",
        ),
    ],
)
def test_budgets_are_read_from_either_family(
    headers: dict[str, str], expected: list[Budget]
) -> None:
    """Each family's remaining count, reset, quota and window."""
    assert budgets(headers, NOW) == expected


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"RateLimit": '"d";r=-1;t=5'}, id="negative"),
        pytest.param({"RateLimit": '"d";r=;t='}, id="malformed"),
        pytest.param({"RateLimit": "x" * 10_000}, id="huge"),
        pytest.param({"RateLimit": '"d";r="ten";t=?1'}, id="wrong-types"),
        pytest.param({"X-RateLimit-Remaining": "nan"}, id="nan"),
        pytest.param({"X-RateLimit-Remaining": "1e999"}, id="infinite"),
        pytest.param({"RateLimit": "\u00e9\u00e9"}, id="not-ascii"),
    ],
)
def test_a_header_that_cannot_be_read_is_ignored(headers: dict[str, str]) -> None:
    """A hostile or broken header reports no budget; it never raises."""
    assert budgets(headers, NOW) == []
