"""`connector search`: ranking quality on labelled queries, and speed at scale.

    python benchmarks/search.py [--split heldout|tune|all] [--scale N] [--catalog DIR]

Quality. `benchmarks/search_queries.jsonl` holds 317 queries over 15 large APIs (14 from the
development half of the directory, ../shared/openapi/directory/apis-guru-dev.tar.gz, read
here at run time, and Rebilly's description), each with the operationIds that count as
right: word queries, and paraphrases sharing no content word with the operation's summary.
Every third query of each kind and API is held out: the weights were chosen on the others,
and the held-out third is what this reports by default. Each query searches its own API
(`--api`), as a user who knows which API they work with does. Side by side:
  - baseline: the ranking before this one (`_baseline_search.py`: BM25 over a hand-written
    index with the API-vocabulary thesaurus, rebuilt from every row per search);
  - ours:     `search_catalogue()`, the function `connector search` and the palette call,
              lexical only, and with the `semantic` extra's model when it is installed.
Reported: top-1, top-3 (a right operation among the first three) and mean reciprocal rank
(over the first 20), for word queries and paraphrases separately.

Speed. A catalogue of at least N operations (default 10,000: the APIs above, then more of
the directory's in archive order), imported with `write_api` and indexed as `catalog import`
indexes it; then:
  - the index build (what import adds; with the model, the embeddings too), its size on disk;
  - the model's load in a new process, and one query's embedding (with the extra);
  - a warm search (the median of the labelled queries, each run in the same process);
  - `connector search` as a user runs it (a new process; median of 5) beside
    `python -c pass`, and its imports alone (`python -c "import connector._search"`).
The baseline's per-search cost (read every row, build its index, rank) is printed beside.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _baseline_search import Index

from connector._search import search_catalogue
from connector._search_index import FILE, Model, refresh_index
from connector._search_meaning import default_embedder
from connector._store import all_rows, write_api
from connector.openapi import import_description
from connector.openapi._load import check_openapi, parse_text

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "openapi"
DIRECTORY = SHARED / "directory" / "apis-guru-dev.tar.gz"
REBILLY = SHARED / "rebilly-openapi.json"
QUERIES = Path(__file__).resolve().parent / "search_queries.jsonl"
DEPTH = 20


def api_name(spec: str) -> str:
    """The catalogue name of a labelled query's API."""
    return re.sub(r"[^a-z0-9_.-]", "-", spec.removesuffix(".json").replace("/", ".").lower())[:64]


def descriptions(specs: set[str]) -> Iterator[tuple[str, str]]:
    """(spec, text) of the labelled APIs first, then the rest of the directory."""
    yield "rebilly", REBILLY.read_text(encoding="utf-8")
    with tarfile.open(DIRECTORY) as archive:
        members = [m for m in archive.getmembers() if m.isfile() and m.name.startswith("api/")]
        members.sort(key=lambda m: m.name.removeprefix("api/") not in specs)
        for member in members:
            handle = archive.extractfile(member)
            if handle is not None:
                yield member.name.removeprefix("api/"), handle.read().decode("utf-8", "replace")


def build(catalog: Path, specs: set[str], scale: int) -> int:
    """Import the labelled APIs, then more, until the catalogue has `scale` operations."""
    count = 0
    for spec, text in descriptions(specs):
        if count >= scale and spec not in specs:
            break
        try:
            document = parse_text(text, source=spec)
            check_openapi(document, source=spec)
            result = import_description(document, api=api_name(spec), check=False)
        except Exception:  # noqa: BLE001 - a description the importer refuses is left out
            continue
        templates = [item.template for item in result.imported]
        write_api(api_name(spec), templates, catalog=catalog)
        count += len(templates)
    return count


def quality(
    queries: list[dict[str, Any]], rank: Callable[[str, str], list[str]]
) -> dict[str, tuple[float, float, float, int]]:
    """top-1, top-3, MRR and count, for word queries and for paraphrases."""
    out = {}
    for kind in ("words", "paraphrase"):
        ranks = []
        for query in (q for q in queries if q["kind"] == kind):
            found = rank(query["query"], api_name(query["spec"]))
            ranks.append(next((i + 1 for i, o in enumerate(found) if o in query["answers"]), 0))
        n = len(ranks) or 1
        out[kind] = (
            sum(r == 1 for r in ranks) / n,
            sum(0 < r <= 3 for r in ranks) / n,
            sum(1 / r for r in ranks if r) / n,
            len(ranks),
        )
    return out


def baseline_ranker(catalog: Path) -> Callable[[str, str], list[str]]:
    """The previous ranking, one index per API (as `--api` gave it)."""
    indexes: dict[str, Index] = {}

    def rank(query: str, api: str) -> list[str]:
        if api not in indexes:
            indexes[api] = Index(r for r in all_rows(catalog=catalog) if r.get("api") == api)
        return [str(hit.row.get("operationId")) for hit in indexes[api].search(query, DEPTH)]

    return rank


def our_ranker(catalog: Path, meaning: Model | None) -> Callable[[str, str], list[str]]:
    """`search_catalogue`, one API at a time, with or without the model."""

    def rank(query: str, api: str) -> list[str]:
        hits = search_catalogue(query, DEPTH, api=api, catalog=catalog, meaning=meaning)
        return [str(hit.row.get("operationId")) for hit in hits]

    return rank


def wall(argv: list[str], env: dict[str, str] | None = None, runs: int = 5) -> float:
    """Median wall time of a new process, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print quality side by side, then speed at scale."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="heldout", choices=["heldout", "tune", "all"])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--catalog", type=Path, help="reuse (or fill) this catalogue")
    parser.add_argument("--lexical", action="store_true", help="leave the model out")
    args = parser.parse_args()
    if not (DIRECTORY.is_file() and REBILLY.is_file()):
        sys.exit(f"needs {DIRECTORY} and {REBILLY}")
    queries = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines()]
    specs = {q["spec"] for q in queries}
    with tempfile.TemporaryDirectory() as folder:
        catalog = args.catalog or Path(folder)
        start = time.perf_counter()
        count = build(catalog, specs, args.scale) if not (catalog / FILE).exists() else 0
        imported = time.perf_counter() - start
        start = time.perf_counter()
        (catalog / FILE).unlink(missing_ok=True)
        refresh_index(catalog, meaning=not args.lexical)
        indexed = time.perf_counter() - start
        if not args.lexical:
            load_model()
        report(queries, args.split, catalog, lexical=args.lexical)
        speed(queries, catalog, (count, imported, indexed), lexical=args.lexical)


def load_model() -> None:
    """The model's load (the `semantic` extra), in a new process, and one query's embedding."""
    code = "from connector._search_meaning import default_embedder as d; d()"
    bare = wall([sys.executable, "-c", "import connector._search_meaning"], runs=3)
    loaded = wall([sys.executable, "-c", code], runs=3)
    model = default_embedder()
    if model is None:
        print("model: the semantic extra is not installed (lexical ranking only)")
        return
    start = time.perf_counter()
    model[1](["give the money back for a payment"])
    embed = time.perf_counter() - start
    load = loaded - bare
    print(f"model {model[0]}: load {load:.2f} s (new process), one query {embed * 1e3:.0f} ms")


def report(queries: list[dict[str, Any]], split: str, catalog: Path, *, lexical: bool) -> None:
    """The quality table."""
    chosen = [q for q in queries if split == "all" or q["split"] == split]
    print(f"queries: {len(chosen)} ({split}); a right operation in the first 1 / 3; MRR@{DEPTH}")
    rankers = {"baseline": baseline_ranker(catalog), "ours": our_ranker(catalog, None)}
    model = None if lexical else default_embedder()
    if model:
        rankers[f"ours + {model[0]}"] = our_ranker(catalog, model)
    for name, ranker in rankers.items():
        for kind, (top1, top3, mrr, n) in quality(chosen, ranker).items():
            print(
                f"  {name:<9}{kind:<11} top-1 {top1:6.1%}  top-3 {top3:6.1%}  MRR {mrr:.3f}  n={n}"
            )


def speed(
    queries: list[dict[str, Any]],
    catalog: Path,
    figures: tuple[int, float, float],
    *,
    lexical: bool,
) -> None:
    """The speed figures."""
    count, imported, indexed = figures
    rows = len(all_rows(catalog=catalog))
    print(f"catalogue: {rows} tasks (imported now: {count} in {imported:.1f} s)")
    size = (catalog / FILE).stat().st_size
    print(f"index build (as at import): {indexed:.1f} s, {size / 2**20:.1f} MiB on disk")
    texts = [q["query"] for q in queries]
    for meaning in (False, True) if not lexical and default_embedder() else (False,):
        for text in texts:
            search_catalogue(text, 10, catalog=catalog, meaning=meaning)  # warm
        times = []
        for text in texts:
            start = time.perf_counter()
            search_catalogue(text, 10, catalog=catalog, meaning=meaning)
            times.append(time.perf_counter() - start)
        median = statistics.median(times) * 1e3
        what = "with the model" if meaning else "lexical"
        print(f"warm search, {what} (whole catalogue, median of {len(times)}): {median:.1f} ms")
    start = time.perf_counter()
    Index(all_rows(catalog=catalog)).search(texts[0], 10)
    base = (time.perf_counter() - start) * 1e3
    print(f"baseline per search (read rows, build, rank): {base:.0f} ms")
    env = {"CONNECTOR_CATALOG": str(catalog), "PATH": "/usr/bin:/bin"}
    bare = wall([sys.executable, "-c", "pass"])
    imports = wall([sys.executable, "-c", "import connector._search"])
    print(f"python -c pass: {bare * 1e3:.0f} ms; imports of search: {imports * 1e3:.0f} ms")
    argv = [sys.executable, "-m", "connector", "search", "create an issue"]
    for flags in (
        (["--no-meaning"], []) if not lexical and default_embedder() else (["--no-meaning"],)
    ):
        command = wall(argv + flags, env)
        ratio = command / bare
        name = " ".join(["connector search", *flags])
        print(f"{name} (new process): {command * 1e3:.0f} ms = {ratio:.1f}x python -c pass")


if __name__ == "__main__":
    main()
