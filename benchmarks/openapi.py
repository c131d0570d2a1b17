"""Importing OpenAPI descriptions: time against `json.loads` of the same file, and the corpus.

    python benchmarks/openapi.py            # Rebilly's description and the largest corpus file
    python benchmarks/openapi.py --corpus   # per file: operations, imported, skipped, dry-run valid

The timing compares, for the same file, the median of N runs of `json.loads` (the baseline:
what reading the file costs at least) with the median of building every template
(`import_description(check=False)`) and with building and loading every template as a task
(`check=True`, what `connector catalog import` does). Goal: import within 10x the parse.
The corpus figures use openapi-core as the independent validator of each dry run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "openapi"
sys.path.insert(0, str(ROOT))

from connector.openapi import import_description, load_description  # noqa: E402


def _median(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timing(repeat: int) -> None:
    """Print the import time of Rebilly's and the largest corpus JSON file against json.loads."""
    largest = max(SHARED.glob("corpus/*.json"), key=lambda p: p.stat().st_size)
    head = f"{'file':<28} {'ops':>5} {'json.loads':>11} {'build':>9} {'x':>6}"
    print(f"{head} {'build+load':>11} {'x':>6}")
    ratios = []
    for path in (SHARED / "rebilly-openapi.json", largest):
        text = path.read_text(encoding="utf-8")
        parse = _median(lambda t=text: json.loads(t), repeat)
        build = _median(lambda t=text: import_description(json.loads(t), check=False), repeat)
        check = _median(
            lambda t=text: import_description(json.loads(t), check=True), max(1, repeat // 2)
        )
        ops = len(import_description(json.loads(text), check=False).imported)
        print(
            f"{path.name:<28} {ops:>5} {parse * 1000:>9.0f}ms {build * 1000:>7.0f}ms "
            f"{build / parse:>5.1f}x {check * 1000:>9.0f}ms {check / parse:>5.1f}x"
        )
        ratios.append(build / parse)
    print(f"ratio: {max(ratios):.2f}  (build / json.loads, the larger of the two; goal <= 10)")


def corpus() -> None:
    """Per description: operations, imported, skipped by reason, dry runs openapi-core accepts."""
    sys.path.insert(0, str(ROOT / "tests"))
    from _openapi_check import Checker

    from connector._task import Task
    from connector._template import parse_template

    print(f"{'file':<32} {'ops':>5} {'imported':>8} {'skipped':>7} {'dry-run valid':>14}")
    totals: Counter[str] = Counter()
    for path in sorted([SHARED / "rebilly-openapi.json", *SHARED.glob("corpus/*")]):
        document = load_description(path)
        result = import_description(document, check=False)
        checker = Checker(document)
        valid, failures = 0, Counter[str]()
        for item in result.imported:
            task = Task(parse_template(item.template, source=item.name))
            problem = checker.dry_run_problem(task, [])
            valid += problem is None
            if problem is not None:
                failures[problem.split(":", 1)[0]] += 1
        ops = len(result.imported) + len(result.skipped)
        share = f"{valid}/{len(result.imported)}" if result.imported else "-"
        counts = f"{ops:>5} {len(result.imported):>8} {len(result.skipped):>7}"
        print(f"{path.name:<32} {counts} {share:>14}")
        reasons = Counter(s.reason.split(": ", 1)[-1].split(" (at")[0] for s in result.skipped)
        for reason, count in reasons.items():
            print(f"    skipped {count}: {reason}")
        for kind, count in failures.most_common():
            print(f"    dry run not valid {count}: {kind}")
        totals.update(ops=ops, imported=len(result.imported), valid=valid)
    skipped = totals["ops"] - totals["imported"]
    counts = f"{totals['ops']:>5} {totals['imported']:>8} {skipped:>7}"
    print(f"{'total':<32} {counts} {totals['valid']:>8}/{totals['imported']}")


def main() -> None:
    """Timing by default; the corpus figures with --corpus."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="print the per-file figures")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (5)")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"no descriptions at {SHARED}")
    if args.corpus:
        corpus()
    else:
        timing(args.repeat)


if __name__ == "__main__":
    main()
