"""The palette's search: the kept catalogue index against building the index per query.

    python benchmarks/search.py [N]

The catalogue is the shipped tasks plus Rebilly's whole description imported (read from
../shared/openapi/, the benchmark stops if it is absent) into a temporary catalogue.
Baseline: what `connector search` did per call before the index was kept, `Index(all_rows())`
then `.search()`. Reported side by side, best of 5 runs of N queries each:
  - baseline: read every row, build the BM25 index, rank;
  - kept:     `search_catalogue()`: stat the catalogue's files, rank with the kept index;
  - the service's `/api/catalogue` answer for the whole catalogue and for one query (size).
The last line is `ratio: X.XX`, baseline per query over kept per query.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from connector._search import Index, search_catalogue
from connector._store import all_rows, write_api
from connector.openapi import import_description, load_description

ROOT = Path(__file__).resolve().parent.parent
REBILLY = ROOT.parent / "shared" / "openapi" / "rebilly-openapi.json"
QUERIES = ["cancel payout", "list customers", "approve a batch of payouts", "refund a charge"]


def per_call(function: Callable[[], object], n: int) -> float:
    """Best of 5 runs of n calls, in seconds per call."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            function()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def main() -> None:
    """Print both costs per query, the answer sizes, and the ratio last."""
    if not REBILLY.is_file():
        sys.exit(f"no description at {REBILLY}")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as folder:
        catalog = Path(folder)
        result = import_description(load_description(REBILLY), api="rebilly-docs", check=False)
        write_api("rebilly-docs", (item.template for item in result.imported), catalog=catalog)
        rows = len(all_rows(catalog=catalog))
        queries = iter(QUERIES * (n * 5 + 1))
        for query in QUERIES:  # same answers, both ways
            kept = search_catalogue(query, 20, catalog=catalog)
            assert kept == Index(all_rows(catalog=catalog)).search(query, 20)
        base = per_call(lambda: Index(all_rows(catalog=catalog)).search(next(queries), 20), n)
        ours = per_call(lambda: search_catalogue(next(queries), 20, catalog=catalog), n)
        whole, hits = _answer_sizes(catalog)
    print(f"catalogue: {rows} tasks")
    print(f"baseline (index built per query): {base * 1e3:8.2f} ms per query")
    print(f"kept index (search_catalogue):    {ours * 1e3:8.2f} ms per query")
    print(f"/api/catalogue answer: whole catalogue {whole / 1024:.0f} KiB, one query {hits} B")
    print(f"ratio: {base / ours:.2f}")


def _answer_sizes(catalog: Path) -> tuple[int, int]:
    from starlette.testclient import TestClient

    from connector.service import LocalTarget, create_app

    os.environ["CONNECTOR_CATALOG"] = str(catalog)
    with TestClient(create_app(local=LocalTarget(), environ={})) as client:
        whole = len(client.get("/api/catalogue").content)
        hits = len(client.get("/api/catalogue", params={"q": "cancel payout"}).content)
    return whole, hits


if __name__ == "__main__":
    main()
