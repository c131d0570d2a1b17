"""Arazzo JSONPath criteria: jsonpath-rfc9535 (chosen) against python-jsonpath, same author.

    python benchmarks/arazzo_jsonpath.py [N]

Baseline: python-jsonpath, the general library of the same author (RFC 9535 by default, with
extensions). Reported, in one run, for each query the Arazzo specification's criteria use
and two the RFC refuses: whether each library compiles it (a criterion must fail where the
RFC says so), and the time per query of compile + find on a 200-item body (compiled once per
criterion evaluation, as `_criteria` does). The last line is `ratio: X.XX`: chosen over
baseline, total time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import jsonpath as baseline
import jsonpath_rfc9535 as chosen

BODY: dict[str, Any] = {
    "pets": [
        {"id": i, "name": f"pet{i}", "status": "available" if i % 3 else "sold"} for i in range(200)
    ],
    "count": 200,
}
QUERIES = [
    "$.pets[*]",
    "$[?count(@.pets) > 0]",
    "$.pets[?@.status == 'available']",
    "$.pets[?(@.status == 'sold')]",
    "$.pets[?match(@.name, 'pet1.*')]",
]
NON_STANDARD = ["$.pets[?@.name =~ /pet1.*/]", "$.pets[?@.id in [1, 2]]"]


def _accepts(compile_: Callable[[str], Any], query: str) -> bool:
    try:
        compile_(query)
    except Exception:  # noqa: BLE001 - either library's syntax error
        return False
    return True


def _time(find: Callable[[str, Any], Any], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for query in QUERIES:
            find(query, BODY)
    return (time.perf_counter() - started) / (rounds * len(QUERIES))


def main(rounds: int) -> None:
    """Print acceptance, time per query for each library, and the ratio."""
    for query in QUERIES + NON_STANDARD:
        ours, theirs = _accepts(chosen.compile, query), _accepts(baseline.compile, query)
        print(f"{query:40} rfc9535={ours!s:5} python-jsonpath={theirs!s:5}")
    mine = _time(lambda q, b: chosen.compile(q).find(b), rounds)
    base = _time(lambda q, b: baseline.compile(q).findall(b), rounds)
    print(f"jsonpath-rfc9535: {mine * 1e6:.1f} us per query")
    print(f"python-jsonpath:  {base * 1e6:.1f} us per query")
    print(f"ratio: {mine / base:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
