"""Opening a journal: create it aside, take the run's lock, refuse what cannot be trusted.

The checks of `_journal`'s docstring, in the order a run meets them: a missing file is
created (built aside and linked into place, so an empty journal is always damage); the lock
(`_lock`) is taken at once or refused naming its holder; then the file must be SQLite, whole
(`PRAGMA quick_check`), of this format, with every table and every counted row, not left open
by a run without its `-wal`, and of this task. Every failure is one `JournalError`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Final

from connector._errors import JournalError
from connector.batch._lock import JournalLock, try_lock

__all__ = ["FORMAT", "check", "connect", "create", "hold", "owner", "wal", "write_error"]

FORMAT: Final = "2"

SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (
    identity TEXT PRIMARY KEY,
    line INTEGER NOT NULL,
    digest TEXT NOT NULL,
    key TEXT,
    state TEXT NOT NULL CHECK (state IN ('sending', 'done')),
    status TEXT,
    record TEXT,
    sent_at REAL,
    done_at REAL
);
CREATE TRIGGER count_rows AFTER INSERT ON items
BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'rows'; END;
"""
_COLUMNS: Final = ("identity", "line", "digest", "key", "state", "status", "record")


def write_error(path: Path, exc: sqlite3.Error) -> JournalError:
    """The error for a write the journal could not take (a full disk, an I/O error)."""
    return JournalError(
        f"cannot write the journal {path} ({exc}): the run stops here, and nothing was sent "
        "that the journal does not record; free disk space, then run the same command again"
    )


def wal(path: Path) -> Path:
    """The journal's write-ahead log beside it."""
    return path.with_name(path.name + "-wal")


def create(path: Path, task: str) -> None:
    """Build a new journal aside and link it into place (a racing run's journal wins)."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside.unlink(missing_ok=True)
        db = sqlite3.connect(aside, isolation_level=None)
        try:
            db.executescript(SCHEMA)
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            meta = {"format": FORMAT, "task": task, "rows": "0", "state": "closed"}
            db.executemany("INSERT INTO meta VALUES (?, ?)", [*meta.items(), ("created", created)])
        finally:
            db.close()
        os.link(aside, path)
    except FileExistsError:
        pass
    except sqlite3.Error as exc:
        raise write_error(path, exc) from None
    except OSError as exc:
        raise JournalError(f"cannot create the journal {path}: {exc.strerror or exc}") from None
    finally:
        aside.unlink(missing_ok=True)


def hold(path: Path) -> JournalLock:
    """This run's exclusive lock on the journal, or a refusal naming the run that holds it."""
    try:
        held = try_lock(path)
    except OSError as exc:
        raise JournalError(f"cannot open the journal {path}: {exc.strerror or exc}") from None
    if held is None:
        raise JournalError(
            f"the journal {path} is in use by another run ({_holder(path)}): one run per "
            "journal; wait for it to finish, or stop it and run the same command again"
        )
    return held


def _holder(path: Path) -> str:
    """`process 4242, started 2026-01-01T10:00:00Z`, read from the journal without locking."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
        owner = json.loads(row[0]) if row else {}
        return f"process {int(owner['pid'])}, started {str(owner['started'])[:40]}"
    except (sqlite3.Error, ValueError, KeyError, TypeError):
        return "process unknown"


def owner() -> str:
    """This run, as the journal records its holder."""
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({"pid": os.getpid(), "started": started})


def connect(path: Path) -> sqlite3.Connection:
    """The journal's connection (WAL), or a refusal of a file that is not a journal."""
    if path.stat().st_size == 0:
        raise JournalError(_damaged(path, "it is empty (0 bytes)"))
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        raise JournalError(_damaged(path, f"it is not a batch journal ({exc})")) from None
    return db


def check(db: sqlite3.Connection, path: Path, task: str, *, had_wal: bool) -> None:
    """Refuse a journal that is damaged, incomplete, or of another task."""
    try:
        (verdict,) = db.execute("PRAGMA quick_check").fetchone()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise JournalError(_damaged(path, f"it is not a batch journal ({exc})")) from None
    if verdict != "ok":
        raise JournalError(_damaged(path, f"SQLite finds it damaged ({str(verdict)[:200]})"))
    if {"meta", "items"} <= tables and not _formatted(db):
        raise JournalError(
            f"the journal {path} was written by an earlier version of the connector (it knows "
            "inputs by line): finish that batch with that version, or name another --journal"
        )
    missing = {"meta", "items", "count_rows"} - tables
    if missing:
        raise JournalError(_damaged(path, f"it lacks {', '.join(sorted(missing))}"))
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    columns = tuple(row[1] for row in db.execute("PRAGMA table_info(items)"))
    if meta.get("format") != FORMAT or columns[: len(_COLUMNS)] != _COLUMNS:
        raise JournalError(_damaged(path, "it is not a journal of this format"))
    (rows,) = db.execute("SELECT count(*) FROM items").fetchone()
    if str(rows) != meta.get("rows"):
        counted = f"it records {meta.get('rows')} inputs but holds {rows}"
        raise JournalError(_damaged(path, f"rows were deleted ({counted})"))
    if meta.get("state") == "open" and not had_wal:
        raise JournalError(
            _damaged(path, f"its last run did not close it and its log {wal(path).name} is missing")
        )
    if meta.get("task") != task:
        raise JournalError(
            f"the journal {path} belongs to a batch of task '{meta.get('task')}', not '{task}': "
            "name another --journal (or --results) for this batch"
        )


def _formatted(db: sqlite3.Connection) -> bool:
    """Whether the journal says which format it is (every format since inputs by content)."""
    return db.execute("SELECT 1 FROM meta WHERE key = 'format'").fetchone() is not None


def _damaged(path: Path, why: str) -> str:
    return (
        f"the journal {path} cannot be trusted: {why}. It is not used as a fresh start (that "
        "could send completed inputs again): restore it (with its -wal file), or name another "
        "--journal once you know which inputs took effect"
    )
