"""`connector run` given files an attacker or an accident writes: each is one clear message on
stderr, exit 2 (or a per-line problem in the results), never a traceback. Run as a user runs
it, against the emulator on loopback."""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from connector.emulator import Emulator
from tests.test_run_cli import command, environ, payout, results, run, write_jsonl

TASK = "upsert-payout-request"


def _csv(path: Path, cell: str) -> Path:
    path.write_text(
        "id,organizationId,websiteId,customerId,currency,amount,description\n"
        f"po-1,org-1,web-1,cust-1,USD,{cell}\n"
    )
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "latin.jsonl",
            b'{"id": "caf\xe9"}\n',
            "not UTF-8 text (line 1, column 12)",
            id="latin-1",
        ),
        pytest.param(
            "deep.jsonl",
            b'{"id": "po-1"}\n' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"\n",
            None,
            id="nested-100000-deep",
        ),
    ],
)
def test_an_unreadable_inputs_file_is_one_message(
    emulator: Emulator, tmp_path: Path, name: str, content: bytes, message: str | None
) -> None:
    """A file that is not UTF-8 is refused naming the line and column; a line nested
    100,000 deep is that line's problem in the results; neither is a traceback."""
    inputs = tmp_path / name
    inputs.write_bytes(content)
    done = run(command(TASK, inputs, emulator), tmp_path)
    assert "Traceback" not in done.stderr
    if message is not None:
        assert done.returncode == 2
        assert message in done.stderr
    else:
        assert done.returncode == 1
        assert "nests deeper" in done.stderr


def test_a_csv_cell_over_the_csv_field_limit_is_read(emulator: Emulator, tmp_path: Path) -> None:
    """A description of 200,000 characters (the csv module refuses 131,072 by default) is
    read as one cell and judged by the schema, not a traceback."""
    inputs = _csv(tmp_path / "wide.csv", "10," + "x" * 200_000)
    done = run(command(TASK, inputs, emulator), tmp_path)
    assert "Traceback" not in done.stderr
    assert done.returncode in {0, 1}
    assert len(results(tmp_path / "wide.results.jsonl")) == 1


def test_a_400_digit_number_is_one_failed_line(emulator: Emulator, tmp_path: Path) -> None:
    """A 400-digit amount in CSV and in JSON Lines is read whole (JSON has no size for
    numbers) and that line FAILS with the server's 422 (the emulator refuses a number no
    double holds, as an API would); no traceback on either side."""
    for inputs in (
        _csv(tmp_path / "big.csv", "9" * 400 + ",x"),
        write_jsonl(tmp_path / "huge.jsonl", [payout(1, amount=int("9" * 400))]),
    ):
        done = run(command(TASK, inputs, emulator), tmp_path)
        assert "Traceback" not in done.stderr
        assert done.returncode == 1
        [result] = results(inputs.with_name(f"{inputs.stem}.results.jsonl"))
        assert result["status"] == "FAILED"
        assert result["response"]["statusCode"] == 422
        assert "out of range" in json.dumps(result["response"]["body"])


@pytest.mark.parametrize(
    "record",
    ["not json", "[]", '{"line": "one", "status": "COMPLETED"}', '{"line": 1, "status": 7}'],
    ids=["not-json", "array", "line-not-a-number", "status-not-known"],
)
def test_a_hand_edited_journal_record_is_one_message(
    emulator: Emulator, tmp_path: Path, record: str
) -> None:
    """A journal whose recorded result was edited by hand: one message naming the journal's
    record, exit 2."""
    inputs = write_jsonl(tmp_path / "in.jsonl", [payout(1)])
    assert run(command(TASK, inputs, emulator), tmp_path).returncode == 0
    journal = tmp_path / "in.results.journal"
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE items SET record = ?", (record,))
    done = run(command(TASK, inputs, emulator), tmp_path)
    assert done.returncode == 2
    assert "error: a recorded result in the journal is not" in done.stderr
    assert "Traceback" not in done.stderr


def _small_files() -> None:
    """The child may write files of 64 KiB at most (a full disk, as the writer sees it)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))


def test_a_full_disk_is_one_message(emulator: Emulator, tmp_path: Path) -> None:
    """Writing the journal or the results fails part way (RLIMIT_FSIZE): one message saying
    which file and that the same command finishes the batch, no traceback."""
    items = [payout(n, description="x" * 400) for n in range(1, 200)]
    inputs = write_jsonl(tmp_path / "in.jsonl", items)
    done = subprocess.run(
        command(TASK, inputs, emulator),
        cwd=tmp_path,
        env=environ(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_small_files,
        check=False,
    )
    # the journal fills first: the run stops before it sends what it could not record (exit
    # 1: some inputs were sent), and says the same command finishes the batch
    assert done.returncode == 1, done.stderr[-500:]
    assert "cannot write" in done.stderr
    assert "run the same command again" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(inputs.read_text().splitlines()[0])["id"] == "po-1"


def test_inputs_that_are_not_a_file_keep_their_results_in_the_working_directory(
    tmp_path: Path,
) -> None:
    """Inputs read from a device or a pipe put the results and the journal in the working
    directory, never beside the device (in /dev)."""
    from connector.cli._run import default_results

    assert default_results(Path("/dev/stdin")) == Path("stdin.results.jsonl")
    regular = tmp_path / "payouts.jsonl"
    regular.write_text("{}\n")
    assert default_results(regular) == tmp_path / "payouts.results.jsonl"
