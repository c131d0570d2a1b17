"""The journal: a SQLite file that makes a batch resumable without sending anything twice.

One row per input, found by the input's identity (`identify`: a fingerprint of its content,
and which occurrence of that content it is), not by its line number, so an edited file can
be run again: corrected lines are new inputs, completed ones are found wherever they moved.
A row is `sending` (committed before the request goes out, with the idempotency key the
request carries) or `done` (with the result line and its status).

Durability: WAL mode, so a committed row survives a killed process. For a step that is not
idempotent by its method (a keyed or an unkeyed POST: `durable_sends`), each `sending` row is
also synced to disk before the request goes out (`synchronous=FULL`): a key lost to a power
cut would mean a new key, and a second payment.

A journal is refused (`JournalError`, nothing sent), never taken for a fresh start, when:
another run holds it (`_lock`; the message names its process id and start time); it is not
a journal or is damaged (`PRAGMA quick_check`); it is empty (a new journal is built aside and
renamed into place, so an empty file is always damage); a table was dropped or rows deleted
(an insert trigger counts rows into `meta.rows`); it was left open by a run and its `-wal`
file is missing (a copy without it has lost the latest rows); it belongs to another task; or
it cannot be written (a full disk: the run stops before sending the input it could not
record; `_journal_open` holds these checks). Every read of a recorded result line goes
through `record_of` and `records`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from connector._errors import JournalError, UsageError
from connector.batch._inputs import InputItem
from connector.batch._journal_open import check, connect, create, hold, owner, wal, write_error
from connector.batch._results import parse_record

__all__ = ["Journal", "JournalEntry", "identify", "journal_path"]

State = Literal["sending", "done"]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What the journal knows of one input (its result line is read by `record_of`)."""

    identity: str
    line: int
    digest: str
    state: State
    status: str | None = None
    key: str | None = None


def journal_path(results: Path) -> Path:
    """The journal beside a results file: `payouts.results.jsonl` -> `payouts.results.journal`."""
    return results.with_name(results.stem + ".journal")


def identify(items: Iterable[InputItem]) -> Iterator[tuple[str, InputItem]]:
    """Each input with its identity: its fingerprint and which occurrence of that content it
    is in the file (`<digest>.<n>`), so two identical lines stay two inputs."""
    seen: Counter[str] = Counter()
    for item in items:
        seen[item.digest] += 1
        yield f"{item.digest}.{seen[item.digest]}", item


class Journal:
    """One batch's journal, held by this run alone; thread-safe (one connection, one lock)."""

    def __init__(self, path: Path, *, task: str, durable_sends: bool = True) -> None:
        """Open (or create) the journal at `path` for `task`, and hold it until `close`.

        Raises:
            JournalError: another run holds it, or it is damaged or of another task.
        """
        self.path = path
        self.durable_sends = durable_sends
        self._lock = threading.Lock()
        if not path.exists():
            create(path, task)
        self._held = hold(path)
        try:
            had_wal = wal(path).exists()
            self._db = connect(path)
            check(self._db, path, task, had_wal=had_wal)
            with self._writing():
                self._set({"state": "open", "owner": owner()})
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # `open` reaches the file
        except BaseException:
            self._held.release()
            raise

    def entries(self) -> dict[str, JournalEntry]:
        """Every input the journal knows, by identity."""
        with self._lock:
            rows = self._db.execute(
                "SELECT identity, line, digest, state, status, key FROM items"
            ).fetchall()
        return {row[0]: JournalEntry(*row) for row in rows}

    def sending(self, identity: str, line: int, digest: str, key: str | None = None) -> None:
        """Record, before the request goes out, that it is being sent (with its key).

        Raises:
            JournalError: the row could not be written (the request must not be sent).
        """
        with self._lock, self._writing():
            if self.durable_sends:
                self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "INSERT INTO items (identity, line, digest, key, state, sent_at) "
                "VALUES (?, ?, ?, ?, 'sending', ?) ON CONFLICT (identity) DO UPDATE SET "
                "state = 'sending', line = excluded.line, sent_at = excluded.sent_at, "
                "key = coalesce(items.key, excluded.key)",
                (identity, line, digest, key, time.time()),
            )
            if self.durable_sends:
                self._db.execute("PRAGMA synchronous=NORMAL")

    def done(self, identity: str, line: int, digest: str, record: Mapping[str, Any]) -> None:
        """Record the result line of an input (sent and answered, or never to be sent).

        Raises:
            JournalError: the row could not be written.
        """
        text = json.dumps(record, ensure_ascii=False)
        with self._lock, self._writing():
            self._db.execute(
                "INSERT INTO items (identity, line, digest, state, status, record, done_at) "
                "VALUES (?, ?, ?, 'done', ?, ?, ?) ON CONFLICT (identity) DO UPDATE SET "
                "state = 'done', line = excluded.line, status = excluded.status, "
                "record = excluded.record, done_at = excluded.done_at",
                (identity, line, digest, str(record["status"]), text, time.time()),
            )

    def record_of(self, identity: str) -> dict[str, Any] | None:
        """The recorded result line of one input, or None.

        Raises:
            JournalError: the recorded line is not a result line (the journal was edited).
        """
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM items WHERE identity = ? AND state = 'done'", (identity,)
            ).fetchone()
        return None if row is None else self._parsed(row[0])

    def _parsed(self, text: object) -> dict[str, Any]:
        """A recorded result line read back through the one bounded, checked reader."""
        try:
            return parse_record(text if isinstance(text, str) else "")
        except UsageError as exc:
            raise JournalError(f"{exc.message} (journal {self.path})") from None

    def records(self) -> Iterator[str]:
        """Every recorded result line, by line (read a thousand at a time)."""
        cursor = self._db.execute("SELECT record FROM items WHERE state = 'done' ORDER BY line")
        while True:
            with self._lock:
                rows = cursor.fetchmany(1000)
            if not rows:
                return
            yield from (record for (record,) in rows)

    def meta(self, key: str) -> str | None:
        """One value of the journal's `meta` table."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set one value of the `meta` table."""
        with self._lock, self._writing():
            self._set({key: value})

    def close(self) -> None:
        """Mark the journal closed (checkpointed, so it no longer needs its `-wal`), release it."""
        with self._lock:
            try:
                self._set({"state": "closed", "owner": ""})
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # a full disk: left `open`, with its -wal beside it; the next run reads both
            finally:
                self._db.close()
                self._held.release()

    def _set(self, values: Mapping[str, str]) -> None:
        self._db.executemany(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def _writing(self) -> _Writing:
        return _Writing(self.path)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Journal {self.path}>"


class _Writing:
    """Turns a failed write (a full disk, an I/O error) into one `JournalError`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, sqlite3.Error):
            raise write_error(self.path, exc) from None
