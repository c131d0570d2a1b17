"""The search index kept with the catalogue: SQLite FTS5, one file beside the APIs.

    $CONNECTOR_CATALOG/_search.sqlite

Each task row is indexed once, when its API is imported (or first searched after a change),
as the terms `_search_text` makes of it, in one FTS5 column per field, so BM25 weighs a title
word above a description word (`COLUMN_WEIGHTS`). A search then reads only the posting lists
of its own terms, however large the catalogue: `connector search` neither reads every row nor
tokenises anything but the query.

The index follows the catalogue by itself: it records, for the shipped tasks and for each
imported API, the identity of the row file it was built from (inode, size, modification
time), and before each search re-indexes exactly the APIs whose file changed, appeared or
disappeared (an import, a re-import, a removal, by any means). A catalogue that cannot be
written is indexed in memory instead.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from connector._search_meaning import Embed, operation_text
from connector._search_text import Operation
from connector._store import INDEX, RESERVED, SHIPPED_INDEX, catalog_dir, shipped_rows

FILE = "_search.sqlite"
SCHEMA_VERSION = "1"
FIELDS = ("title", "operation", "path", "intent", "tags", "parameters", "description")
COLUMN_WEIGHTS = (4.0, 3.0, 2.0, 1.5, 1.0, 0.5, 0.3)
"""BM25 weight of each field, in FIELDS' order (chosen on the tuning queries only)."""
EMBED_BATCH = 256

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, mark TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS task (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, api TEXT NOT NULL, row TEXT NOT NULL,
    intent TEXT NOT NULL, actions TEXT NOT NULL, resource TEXT NOT NULL,
    depth INTEGER NOT NULL, names TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS task_source ON task (source);
CREATE TABLE IF NOT EXISTS vector (id INTEGER PRIMARY KEY, v BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5 ({", ".join(FIELDS)}, tokenize='ascii');
"""


def _marks(root: Path) -> dict[str, str]:
    """The identity of each row file now: `shipped` and `api:NAME` to `inode:size:mtime`
    (one directory listing and one stat per API: at 1,300 APIs, ~5 ms where a glob took 35)."""
    files = {"shipped": str(SHIPPED_INDEX)}
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if entry.name not in RESERVED and entry.is_dir():
                    files[f"api:{entry.name}"] = os.path.join(entry.path, INDEX)  # noqa: PTH118 - str: speed
    except OSError:
        pass  # no catalogue yet: the shipped tasks alone
    marks = {}
    for key, path in sorted(files.items()):
        try:
            stat = os.stat(path)  # noqa: PTH116 - no Path per API: speed
        except OSError:
            continue
        marks[key] = f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}:{SCHEMA_VERSION}"
    return marks


def _rows(root: Path, key: str) -> list[dict[str, Any]]:
    if key == "shipped":
        return [{**row, "source": "shipped"} for row in shipped_rows()]
    try:
        loaded = json.loads((root / key.removeprefix("api:") / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # a damaged row file: the API is left out until it is imported again
    if not isinstance(loaded, list):
        return []
    return [
        {**row, "source": "imported"} for row in loaded if isinstance(row, dict) and "name" in row
    ]


Model = tuple[str, Embed]
"""A sentence-embedding model: its name, and what embeds texts (see `_search_meaning`)."""


def connect(catalog: Path | None = None, model: Model | None = None) -> sqlite3.Connection:
    """The catalogue's index, brought up to date with its row files (and, with a model, every
    task's embedding)."""
    root = catalog or catalog_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(root / FILE, timeout=30)
        connection.executescript(_SCHEMA)
    except (OSError, sqlite3.Error):
        connection = sqlite3.connect(":memory:")  # a read-only catalogue: index in memory
        connection.executescript(_SCHEMA)
    sync(connection, root, model)
    return connection


def refresh_index(catalog: Path | None = None, *, meaning: bool = True) -> None:
    """Bring the catalogue's index up to date now (after an import), not at the next search;
    with the `semantic` extra installed (and `meaning`), embeddings too."""
    from connector._search_meaning import default_embedder  # noqa: PLC0415 - see the module

    connection = connect(catalog, default_embedder() if meaning else None)
    connection.close()


def sync(connection: sqlite3.Connection, root: Path, model: Model | None = None) -> list[str]:
    """Re-index the row files that changed since the index was built (and embed the tasks
    that have no embedding yet, with a model); returns the keys re-indexed."""
    stale = _sync_terms(connection, root)
    if model is not None:
        _sync_vectors(connection, model)
    return stale


def _sync_terms(connection: sqlite3.Connection, root: Path) -> list[str]:
    now = _marks(root)
    kept = dict(connection.execute("SELECT key, mark FROM meta WHERE key != 'model'").fetchall())
    stale = sorted(key for key in {*now, *kept} if now.get(key) != kept.get(key))
    if not stale:
        return []
    with connection:
        for key in stale:
            _drop(connection, key)
            if key in now:
                _add(connection, key, _rows(root, key))
                connection.execute("INSERT INTO meta VALUES (?, ?)", (key, now[key]))
    return stale


def _sync_vectors(connection: sqlite3.Connection, model: Model) -> None:
    """Embed every task that has no embedding by this model yet."""
    name, embed = model
    with connection:
        if connection.execute("SELECT mark FROM meta WHERE key = 'model'").fetchone() != (name,):
            connection.execute("DELETE FROM vector")
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?)", (name,))
        missing = connection.execute(
            "SELECT id, row FROM task WHERE id NOT IN (SELECT id FROM vector)"
        ).fetchall()
        for start in range(0, len(missing), EMBED_BATCH):
            batch = missing[start : start + EMBED_BATCH]
            vectors = embed([operation_text(json.loads(row)) for _, row in batch])
            connection.executemany(
                "INSERT INTO vector VALUES (?, ?)",
                [(key, vector) for (key, _), vector in zip(batch, vectors, strict=True)],
            )


def _drop(connection: sqlite3.Connection, key: str) -> None:
    ids = "SELECT id FROM task WHERE source = ?"
    connection.execute(f"DELETE FROM terms WHERE rowid IN ({ids})", (key,))  # noqa: S608
    connection.execute(f"DELETE FROM vector WHERE id IN ({ids})", (key,))  # noqa: S608
    connection.execute("DELETE FROM task WHERE source = ?", (key,))
    connection.execute("DELETE FROM meta WHERE key = ?", (key,))


def _add(connection: sqlite3.Connection, key: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        op = Operation(row)
        names = "|".join(
            " ".join(terms) for terms in (*op.name_terms, op.fields["path"], op.fields["tags"])
        )
        cursor = connection.execute(
            "INSERT INTO task (source, api, row, intent, actions, resource, depth, names) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, str(row.get("api") or "").lower(), json.dumps(row), *op.summary(), names),
        )
        texts = [" ".join(op.fields[field]) for field in FIELDS]
        connection.execute(
            f"INSERT INTO terms (rowid, {', '.join(FIELDS)}) VALUES (?{', ?' * len(FIELDS)})",  # noqa: S608
            (cursor.lastrowid, *texts),
        )
