"""`connector search` and the page's palette: one ranking of the catalogue's tasks.

Candidates come from the kept full-text index (`_search_index`: SQLite FTS5, BM25 with a
weight per field); each is then scored on what the query and the operation mean:
  - exact: the query's words are the summary's or the operationId's words (it comes first);
  - intent: the query's verb names what the operation does ("add" a POST to a collection,
    "show" a GET of an item, "all" a GET of a collection, "remove" a DELETE, "cancel" a
    `/cancellation`), a conflicting verb counts against it;
  - resource: the thing the query names is the one the path ends in (an issue, not an
    issue's comment);
  - coverage: how many of the query's other words the title, operationId and path hold;
  - meaning (with the optional `semantic` extra, `_search_meaning`): the cosine similarity
    of the query's and the task's sentence embeddings; the most similar tasks join the
    candidates even when they share no word with the query.
The weights were chosen on the tuning two thirds of `benchmarks/search_queries.jsonl`;
`python benchmarks/search.py` reports the held-out third. Nothing is downloaded.
"""

from __future__ import annotations

import _thread
import json
import sqlite3
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from connector._search_index import COLUMN_WEIGHTS, Model, connect, sync
from connector._search_meaning import (
    NEAR_ENOUGH,
    NEIGHBOURS,
    Embed,
    default_embedder,
    similarities,
)
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
    "meaning": 8.0,
}


_COLUMNS = "task.id, task.row, task.intent, task.actions, task.resource, task.depth, task.names"
_SELECT = (
    f"SELECT {_COLUMNS}, -bm25(terms, {', '.join(map(str, COLUMN_WEIGHTS))}) AS score "  # noqa: S608 - constants
    "FROM terms JOIN task ON task.id = terms.rowid WHERE terms MATCH ? "
)
_BY_ID = f"SELECT {_COLUMNS}, 0.0 FROM task WHERE task.id = ?"  # noqa: S608 - constants


class Hit(NamedTuple):
    """One ranked task and its score (a NamedTuple: `dataclasses` would add a third of a
    `python -c pass` to the command's start-up)."""

    row: Mapping[str, Any]
    score: float


class Candidate(NamedTuple):
    """A row the index found, with what scoring needs of it."""

    id: int
    row: Mapping[str, Any]
    text: float
    intent: str
    actions: frozenset[str]
    resource: str
    names: Sequence[frozenset[str]]
    depth: int
    meaning: float = 0.0


def search_catalogue(
    query: str,
    limit: int = 10,
    *,
    api: str | None = None,
    catalog: Path | None = None,
    meaning: Model | bool | None = True,
) -> list[Hit]:
    """The one ranking of the catalogue (shipped then imported tasks, optionally of one API):
    `connector search` and the page's palette both call it.

    Args:
        meaning: the sentence-embedding model: True for the `semantic` extra's when it is
            installed, False or None for lexical ranking only, or a (name, embed) pair.
    """
    parsed = Query(query)
    model = default_embedder() if meaning is True else meaning or None
    if not parsed.terms or limit < 1:  # nothing but stop words: nothing to find
        return []
    connection = _connection(catalog or catalog_dir(), model)
    found = candidates(connection, parsed, api)
    if model:
        found = with_meaning(connection, query, found, api, model[1])
    return rank(parsed, found)[:limit]


def candidates(connection: sqlite3.Connection, query: Query, api: str | None) -> list[Candidate]:
    """The index's best rows for any of the query's terms or their synonyms (BM25)."""
    match = " OR ".join(f'"{term}"' for term in query.matched)
    sql = _SELECT + ("AND task.api = ? " if api else "") + "ORDER BY score DESC, task.id LIMIT ?"
    params: tuple[Any, ...] = (match, api.lower(), CANDIDATES) if api else (match, CANDIDATES)
    return [_candidate(record) for record in connection.execute(sql, params)]


def _candidate(record: Sequence[Any], meaning: float = 0.0) -> Candidate:
    key, row, intent, actions, resource, depth, names, text = record
    parts = [frozenset(n.split()) for n in str(names).split("|")]
    return Candidate(
        key,
        json.loads(row),
        text,
        intent,
        frozenset(actions.split()),
        resource,
        parts,
        depth,
        meaning,
    )


def with_meaning(
    connection: sqlite3.Connection,
    query: str,
    found: list[Candidate],
    api: str | None,
    embed: Embed,
) -> list[Candidate]:
    """The candidates with their similarity to the query, and the most similar tasks added."""
    sql = "SELECT task.id, vector.v FROM vector JOIN task ON task.id = vector.id"
    kept = connection.execute(
        sql + (" WHERE task.api = ?" if api else ""), (api.lower(),) if api else ()
    )
    records = kept.fetchall()
    vectors = similarities(embed([query])[0], [vector for _, vector in records])
    near = {key: similarity for (key, _), similarity in zip(records, vectors, strict=True)}
    have = {c.id for c in found}
    best = sorted(
        (key for key in near if key not in have and near[key] >= NEAR_ENOUGH),
        key=lambda key: -near[key],
    )
    added = [connection.execute(_BY_ID, (key,)).fetchone() for key in best[:NEIGHBOURS]]
    return [c._replace(meaning=near.get(c.id, 0.0)) for c in found] + [
        _candidate(record, near[record[0]]) for record in added
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
        + WEIGHTS["meaning"] * found.meaning
    )


def _matched(term: str, names: frozenset[str] | set[str]) -> float:
    """How well a query term is among names: 1 itself, SYNONYM_WEIGHT a synonym, else 0."""
    if term in names:
        return 1.0
    return max((w for other, w in expansions(term).items() if other in names), default=0.0)


_OPENED: dict[tuple[Path, int], sqlite3.Connection] = {}
"""Each thread's open indexes, by catalogue and thread (an SQLite connection serves only the
thread that opened it; `_thread` is used for its id: `threading` costs start-up)."""


def _connection(root: Path, model: Model | None) -> sqlite3.Connection:
    """The catalogue's index, opened once per thread and brought up to date per search."""
    key = (root, _thread.get_ident())
    if key not in _OPENED:
        _OPENED[key] = connect(root, model)
    else:
        sync(_OPENED[key], root, model)
    return _OPENED[key]


def catalogue_size(catalog: Path | None = None) -> int:
    """How many tasks the catalogue holds (shipped and imported)."""
    return len(catalogue_rows(catalog))


def catalogue_rows(catalog: Path | None = None) -> list[dict[str, Any]]:
    """Every task of the catalogue, shipped then imported (the palette lists them), kept
    while the catalogue's files are unchanged."""
    root = catalog or catalog_dir()
    return _rows_of(root, fingerprint(root))


@lru_cache(maxsize=4)
def _rows_of(root: Path, _fingerprint: object) -> list[dict[str, Any]]:
    return all_rows(catalog=root)
