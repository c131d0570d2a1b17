"""Pattern matching: the linear engine the connector uses against backtracking ones.

    python benchmarks/patterns.py

For `^(a+)+$` against `a` * n + `!` (n = 16..24, then 31 and 10,000 for the linear engine
only) and for the Rebilly id rule on an ordinary id, the time of one match with:
  - baseline: Python's `re` (backtracking; what path ids were checked with before);
  - fancy:    jsonschema-rs's default `fancy-regex` engine (backtracking, with a step limit);
  - linear:   jsonschema-rs with `RegexOptions` (Rust's `regex` crate: finite automata),
              which `connector._validators` builds every validator with.
The linear engine needs no new dependency (jsonschema-rs already validates every body).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import jsonschema_rs

from connector._paths import ID_RULE

EVIL = "^(a+)+$"


def _seconds(check: Callable[[str], object], text: str, repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        check(text)
    return (time.perf_counter() - started) / repeat


def _engines(pattern: str) -> dict[str, Callable[[str], object]]:
    schema = {"type": "string", "pattern": pattern}
    fancy = jsonschema_rs.validator_for(schema)
    linear = jsonschema_rs.validator_for(schema, pattern_options=jsonschema_rs.RegexOptions())
    return {
        "baseline re": re.compile(pattern).search,
        "fancy": fancy.is_valid,
        "linear": linear.is_valid,
    }


def main() -> None:
    engines = _engines(EVIL)
    for n in (16, 18, 20, 22, 24):
        text = "a" * n + "!"
        row = {name: _seconds(check, text) for name, check in engines.items()}
        print(f"{EVIL} n={n:>2}: " + ", ".join(f"{k} {v * 1e3:9.3f} ms" for k, v in row.items()))
    for n in (31, 10_000):
        print(f"{EVIL} n={n}: linear {_seconds(engines['linear'], 'a' * n + '!') * 1e3:.3f} ms")
    ordinary = _engines(ID_RULE)
    row = {name: _seconds(check, "po-2026-0001", 20_000) for name, check in ordinary.items()}
    print("id rule, one id: " + ", ".join(f"{k} {v * 1e6:.2f} us" for k, v in row.items()))


if __name__ == "__main__":
    main()
