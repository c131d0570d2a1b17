"""The journal: one run at a time, inputs known by content, and no damaged journal taken for a
fresh start. (The end-to-end cases, with real processes, are in test_run_cli_journal.py.)"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from connector._errors import JournalError
from connector.batch import InputItem, Journal, check_inputs, identify

TASK = "create-payout"


def item(line: int, **inputs: object) -> InputItem:
    """An input on `line`."""
    return InputItem(line, {"id": f"p-{line}", "amount": 10, **inputs})


def journal_with_rows(path: Path) -> None:
    """A closed journal that records two inputs: one done, one sending."""
    with Journal(path, task=TASK) as journal:
        (one, first), (two, second) = identify([item(1), item(2)])
        journal.done(one, 1, first.digest, {"status": "COMPLETED", "line": 1})
        journal.sending(two, 2, second.digest, "key-2")


def test_a_second_run_on_a_journal_is_refused_naming_the_first(tmp_path: Path) -> None:
    """While one run holds the journal, opening it again fails at once with its pid."""
    path = tmp_path / "run.journal"
    with Journal(path, task=TASK):
        with pytest.raises(JournalError) as refused:
            Journal(path, task=TASK)
        assert f"in use by another run (process {os.getpid()}, started " in str(refused.value)
    Journal(path, task=TASK).close()  # released: the next run gets in


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database, " * 100)


def _emptied(path: Path) -> None:
    path.write_bytes(b"")


def _halved(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _sql(statement: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        with sqlite3.connect(path) as db:
            db.execute(statement)
        db.close()

    return damage


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        pytest.param(_garbage, "is not a batch journal", id="not-sqlite"),
        pytest.param(_emptied, "it is empty", id="emptied"),
        pytest.param(_halved, "cannot be trusted", id="truncated"),
        pytest.param(_sql("DROP TABLE items"), "it lacks count_rows, items", id="dropped-table"),
        pytest.param(_sql("DELETE FROM items"), "rows were deleted", id="rows-deleted"),
        pytest.param(
            _sql("UPDATE meta SET value = '1' WHERE key = 'format'"), "format", id="format"
        ),
        pytest.param(_sql("DELETE FROM meta WHERE key = 'format'"), "earlier version", id="old"),
    ],
)
def test_a_damaged_journal_is_refused_never_a_fresh_start(
    tmp_path: Path, damage: Callable[[Path], None], said: str
) -> None:
    """Each kind of damage stops the run with a message that names the journal."""
    path = tmp_path / "run.journal"
    journal_with_rows(path)
    damage(path)
    with pytest.raises(JournalError) as refused:
        Journal(path, task=TASK)
    assert said in str(refused.value)
    assert str(path) in str(refused.value)


def test_a_journal_copied_without_its_wal_after_a_crash_is_refused(tmp_path: Path) -> None:
    """A journal left open by its run, copied without `-wal`, has lost rows: it is refused."""
    path = tmp_path / "run.journal"
    journal = Journal(path, task=TASK)
    (one, first), *_ = identify([item(1)])
    journal.done(one, 1, first.digest, {"status": "COMPLETED", "line": 1})
    copy = tmp_path / "copy" / "run.journal"
    copy.parent.mkdir()
    shutil.copy(path, copy)  # the run is still going (as after kill -9): its rows are in -wal
    journal.close()
    with pytest.raises(JournalError, match=r"run\.journal-wal is missing"):
        Journal(copy, task=TASK)
    with Journal(path, task=TASK) as reopened:  # the original, closed properly, is fine
        assert reopened.record_of(one) is not None


def test_inputs_are_known_by_content_so_identical_lines_stay_two_inputs() -> None:
    """An identity is the content's fingerprint and its occurrence."""
    identities = [identity for identity, _ in identify([item(1), item(1), item(2)])]
    assert identities[0] != identities[1]
    assert identities[0].split(".")[0] == identities[1].split(".")[0]


def test_a_journal_of_other_inputs_is_refused(tmp_path: Path) -> None:
    """None of the inputs it records as sent is in the file: another batch's journal."""
    path = tmp_path / "run.journal"
    journal_with_rows(path)
    with Journal(path, task=TASK) as journal:
        assert check_inputs([item(2), item(1)], journal).done == 1
        with pytest.raises(JournalError, match="belongs to other inputs"):
            check_inputs([item(5), item(6)], journal)


def test_the_key_recorded_first_is_kept_on_every_later_send(tmp_path: Path) -> None:
    """`sending` again (a resumed run) never replaces the journaled key."""
    with Journal(tmp_path / "run.journal", task=TASK) as journal:
        (one, first), *_ = identify([item(1)])
        journal.sending(one, 1, first.digest, "key-a")
        journal.sending(one, 1, first.digest, "key-b")
        assert journal.entries()[one].key == "key-a"


@pytest.mark.parametrize(
    "record", ["not json", "[1]", '{"line": 1}'], ids=["text", "list", "no-status"]
)
def test_a_result_line_that_is_not_one_is_refused_when_read(tmp_path: Path, record: str) -> None:
    """An edited record is one JournalError when read, never a traceback or a wrong result."""
    path = tmp_path / "run.journal"
    journal_with_rows(path)
    _sql(f"UPDATE items SET record = '{record}' WHERE state = 'done'")(path)
    with Journal(path, task=TASK) as journal:
        (one, _), *_ = identify([item(1)])
        with pytest.raises(JournalError, match="a recorded result in the journal is not"):
            journal.record_of(one)
