"""`connector search` and the page's palette: one ranking of the catalogue's tasks.

Candidates come from the kept full-text index (`_search_index`: SQLite FTS5, BM25 with a
weight per field); each is then scored on what the query and the operation mean:
  - exact: the query's words are the summary's or the operationId's words (it comes first);
  - intent: the query's verb names what the operation does ("add" a POST to a collection,
    "show" a GET of an item, "all" a GET of a collection, "remove" a DELETE, "cancel" a
    `/cancellation`), a conflicting verb counts against it;
  - resource: the thing the query names is the one the path ends in (an issue, not an
    issue's comment);
  - coverage: how many of the query's other words the title, operationId and path hold.
The weights were chosen on the tuning two thirds of `benchmarks/search_queries.jsonl`;
`python benchmarks/search.py` reports the held-out third. Nothing is downloaded.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from connector._search_index import COLUMN_WEIGHTS, connect, sync
from connector._search_text import Query, expansions
from connector._store import all_rows, catalog_dir, fingerprint

CANDIDATES = 200
"""How many of the full-text index's best rows are scored on meaning."""

WEIGHTS: Mapping[str, float] = {
    "text": 0.5,
    "exact": 3.0,
    "intent": 0.6,
    "conflict": 0.6,
    "resource": 0.8,
    "coverage": 1.0,
    "depth": 0.1,
    "specific": 0.5,
}


_SELECT = (
    f"SELECT task.row, -bm25(terms, {', '.join(map(str, COLUMN_WEIGHTS))}) AS score, "  # noqa: S608 - constants
    "task.intent, task.actions, task.resource, task.depth, task.names "
    "FROM terms JOIN task ON task.id = terms.rowid WHERE terms MATCH ? "
)


@dataclass(frozen=True)
class Hit:
    """One ranked task and the parts of its score."""

    row: Mapping[str, Any]
    score: float


@dataclass(frozen=True)
class Candidate:
    """A row the full-text index found, with what scoring needs of it."""

    row: Mapping[str, Any]
    text: float
    intent: str
    actions: frozenset[str]
    resource: str
    names: Sequence[frozenset[str]]
    depth: int


def search_catalogue(
    query: str, limit: int = 10, *, api: str | None = None, catalog: Path | None = None
) -> list[Hit]:
    """The one ranking of the catalogue (shipped then imported tasks, optionally of one API):
    `connector search` and the page's palette both call it."""
    parsed = Query(query)
    if not parsed.terms or limit < 1:
        return []
    connection = _connection(catalog or catalog_dir())
    found = candidates(connection, parsed, api)
    return rank(parsed, found)[:limit]


def candidates(connection: sqlite3.Connection, query: Query, api: str | None) -> list[Candidate]:
    """The index's best rows for any of the query's terms (BM25, fields weighted)."""
    match = " OR ".join(f'"{term}"' for term in query.expanded)
    sql = _SELECT + ("AND task.api = ? " if api else "") + "ORDER BY score DESC, task.id LIMIT ?"
    params: tuple[Any, ...] = (match, api.lower(), CANDIDATES) if api else (match, CANDIDATES)
    return [
        Candidate(
            json.loads(row),
            score,
            intent,
            frozenset(actions.split()),
            resource,
            [frozenset(n.split()) for n in names.split("|")],
            depth,
        )
        for row, score, intent, actions, resource, depth, names in connection.execute(sql, params)
    ]


def rank(query: Query, found: Sequence[Candidate]) -> list[Hit]:
    """The candidates scored on text and meaning, best first (ties keep index order)."""
    top = max((c.text for c in found), default=1.0) or 1.0
    scored = [(score(query, c, top), position, c) for position, c in enumerate(found)]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [Hit(c.row, round(s, 4)) for s, _, c in scored]


def score(query: Query, found: Candidate, top: float) -> float:
    """One candidate's score: its text score (scaled to the best) plus meaning."""
    terms = set(query.terms)
    title, operation, path, _tags = found.names
    exact = 1.0 if terms in (set(title), set(operation)) else 0.0
    if not exact and len(terms) > 2 and min(len(terms ^ title), len(terms ^ operation)) == 1:
        exact = 0.4  # near-exact: one word more or less than the summary or operationId
    verb = max((query.verb.get(action, 0.0) for action in found.actions), default=0.0)
    intent = max(float(query.intent is not None and query.intent == found.intent), verb)
    conflict = not intent and query.intent is not None and found.intent != "action"
    conflict = conflict and {query.intent, found.intent} != {"get", "list"}  # reads, both
    names = title | operation | path
    objects = query.objects
    resource = max((_matched(o, {found.resource}) for o in objects), default=0.0)
    covered = sum(_matched(o, names) for o in objects) / len(objects) if objects else 0.0
    name = title or operation
    specific = len(terms & name) / len(name) if name else 0.0
    return (
        WEIGHTS["text"] * found.text / top
        + WEIGHTS["exact"] * exact
        - WEIGHTS["depth"] * found.depth
        + WEIGHTS["intent"] * intent
        - WEIGHTS["conflict"] * conflict
        + WEIGHTS["resource"] * resource
        + WEIGHTS["coverage"] * covered
        + WEIGHTS["specific"] * specific
    )


def _matched(term: str, names: frozenset[str] | set[str]) -> float:
    """How well a query term is among names: 1 itself, SYNONYM_WEIGHT a synonym, else 0."""
    if term in names:
        return 1.0
    return max((w for other, w in expansions(term).items() if other in names), default=0.0)


_LOCAL = threading.local()
"""Each thread's open indexes (an SQLite connection serves the thread that opened it)."""


def _connection(root: Path) -> sqlite3.Connection:
    """The catalogue's index, opened once per thread and brought up to date per search."""
    opened: dict[Path, sqlite3.Connection] = _LOCAL.__dict__.setdefault("opened", {})
    if root not in opened:
        opened[root] = connect(root)
    else:
        sync(opened[root], root)
    return opened[root]


def catalogue_size(catalog: Path | None = None) -> int:
    """How many tasks the catalogue holds (shipped and imported), from the kept index."""
    (count,) = _connection(catalog or catalog_dir()).execute("SELECT count(*) FROM task").fetchone()
    return int(count)


def catalogue_rows(catalog: Path | None = None) -> list[dict[str, Any]]:
    """Every task of the catalogue, shipped then imported (the palette lists them), kept
    while the catalogue's files are unchanged."""
    root = catalog or catalog_dir()
    return _rows_of(root, fingerprint(root))


@lru_cache(maxsize=4)
def _rows_of(root: Path, _fingerprint: object) -> list[dict[str, Any]]:
    return all_rows(catalog=root)
