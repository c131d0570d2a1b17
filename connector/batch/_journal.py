"""The journal: a SQLite file that makes a batch resumable without sending anything twice.

One row per input line: its fingerprint, `sending` (committed before the request goes out)
or `done` (with the result line). After Ctrl-C or `kill -9`, the same command reads it back:

- `done`: nothing is sent again; the recorded result is kept.
- `sending`, no answer recorded: the outcome is unknown (the server may have acted). The
  request is sent again only when repeating it is safe (an idempotent method such as PUT,
  or a template that declares `retry.retryNonIdempotent`); otherwise it is reported as
  `UNKNOWN` for the user to reconcile, and it stays so on every later run.
- no row: never attempted; it is sent.

Durability: WAL mode, so a committed row survives a killed process (`kill -9`, Ctrl-C, out of
memory). For a task that is not safe to repeat (`durable_sends`), each `sending` row is also
synced to disk before the request goes out (`synchronous=FULL`: it survives a power cut
too); for a safe one (PUT) a row lost to a power cut only means sending it again, which is
harmless, so no sync is paid per request. A lost `done` row only turns an answered request
back into `sending` (the safe direction). The file is SQLite (stdlib `sqlite3`), readable by
any tool while a run is going (`sqlite3 FILE "select state, count(*) from items group by
state"`).
A journal remembers the task and each line's fingerprint: pointed at another task or at a
changed inputs file it refuses to run (`UsageError`), before anything is sent.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from connector._errors import UsageError

__all__ = ["Journal", "JournalEntry", "journal_path"]

State = Literal["sending", "done"]

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    line INTEGER PRIMARY KEY,
    digest TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'done')),
    record TEXT,
    sent_at REAL,
    done_at REAL
);
"""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What the journal knows of one line (its result line is read by `records`)."""

    digest: str
    state: State


def journal_path(results: Path) -> Path:
    """The journal beside a results file: `payouts.results.jsonl` -> `payouts.results.journal`."""
    return results.with_name(results.stem + ".journal")


class Journal:
    """One batch's journal; thread-safe (one connection, one lock)."""

    def __init__(self, path: Path, *, task: str, durable_sends: bool = True) -> None:
        """Open or create the journal at `path` for `task`.

        Args:
            path: the SQLite file (created if absent).
            task: the task's name; a journal serves one task.
            durable_sends: sync each `sending` row to disk before returning (see above).

        Raises:
            UsageError: the file is not a journal, or belongs to another task.
        """
        self.path = path
        self.durable_sends = durable_sends
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.OperationalError as exc:  # cannot open or write: a full disk, a limit
            raise UsageError(f"cannot write --journal {path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"--journal {path} is not a batch journal ({exc})") from None
        self._claim(task)

    def _claim(self, task: str) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'task'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('task', ?)", (task,))
        elif row[0] != task:
            raise UsageError(
                f"--journal {self.path} belongs to a batch of task '{row[0]}', not '{task}': "
                "name another --journal (or --results) for this batch"
            )

    def entries(self) -> dict[int, JournalEntry]:
        """Every line the journal knows, by line number."""
        with self._lock:
            rows = self._db.execute("SELECT line, digest, state FROM items").fetchall()
        return {line: JournalEntry(digest, state) for line, digest, state in rows}

    def sending(self, line: int, digest: str) -> None:
        """Record, before the request of `line` goes out, that it is being sent."""
        with self._lock:
            if self.durable_sends:
                self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "INSERT INTO items (line, digest, state, sent_at) VALUES (?, ?, 'sending', ?) "
                "ON CONFLICT (line) DO UPDATE SET state = 'sending', sent_at = excluded.sent_at",
                (line, digest, time.time()),
            )
            if self.durable_sends:
                self._db.execute("PRAGMA synchronous=NORMAL")

    def done(self, line: int, digest: str, record: str) -> None:
        """Record the result line of `line` (sent and answered, or never to be sent)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO items (line, digest, state, record, done_at) "
                "VALUES (?, ?, 'done', ?, ?) ON CONFLICT (line) DO UPDATE SET "
                "state = 'done', record = excluded.record, done_at = excluded.done_at",
                (line, digest, record, time.time()),
            )

    def records(self) -> Iterator[str]:
        """The recorded result lines, in input order (read a thousand at a time)."""
        cursor = self._db.execute("SELECT record FROM items WHERE state = 'done' ORDER BY line")
        while True:
            with self._lock:
                rows = cursor.fetchmany(1000)
            if not rows:
                return
            yield from (record for (record,) in rows)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Journal {self.path}>"
