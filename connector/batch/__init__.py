"""Batch runs on one machine: a file of inputs through one task, paced, journaled, resumable.

The pieces, one module each, reusable by any engine that runs a batch (`connector run
--engine ...` writes the same results and summary and shows the same progress):

    _inputs     read_inputs(path, schema=task.input_schema()) -> InputItem per input
                (JSON Lines, a JSON array or CSV typed through the input schema)
    _pacing     Rate, parse_rate, Pacer (a shared rate lowered by the server's headers, paused
                by a 429), PacedSession (a requests.Session that waits for its slot)
    _journal    Journal: SQLite, inputs by content; `sending` (and the key) committed before
                the request, `done` with the result; one run per journal (`_lock`);
                damaged journals refused (`_journal_open`)
    _resolve    read_back (an unknown outcome looked up), mark (settled by the user)
    _results    line_record / invalid_record / unknown_record, write_results (JSON Lines in
                input order), Tally -> Summary, summary_lines
    _progress   open_progress: rich's bar on a terminal, plain lines otherwise
    _plan       check_inputs -> Plan: the inputs matched with the journal, nothing sent
    _runner     BatchRunner: the inputs over N threads, one Executor each

`connector run` (connector/cli/_run.py) wires them together.
"""

from __future__ import annotations

from connector.batch._inputs import InputFormat, InputItem, detect_format, read_inputs, typed_cell
from connector.batch._journal import Journal, JournalEntry, identify, journal_path
from connector.batch._pacing import (
    KNOWN_LIMITS,
    PacedSession,
    Pacer,
    PacerClosedError,
    Rate,
    parse_rate,
)
from connector.batch._plan import Plan, check_inputs
from connector.batch._progress import PlainProgress, Progress, RichProgress, open_progress
from connector.batch._resolve import Mark, mark, parse_mark, read_back, read_back_task
from connector.batch._results import (
    Latency,
    Summary,
    Tally,
    changed_record,
    invalid_record,
    line_record,
    summary_lines,
    unknown_record,
    write_results,
)
from connector.batch._runner import BatchRunner, Outcome, Target

__all__ = [
    "KNOWN_LIMITS",
    "BatchRunner",
    "InputFormat",
    "InputItem",
    "Journal",
    "JournalEntry",
    "Latency",
    "Mark",
    "Outcome",
    "PacedSession",
    "Pacer",
    "PacerClosedError",
    "PlainProgress",
    "Plan",
    "Progress",
    "Rate",
    "RichProgress",
    "Summary",
    "Tally",
    "Target",
    "changed_record",
    "check_inputs",
    "detect_format",
    "identify",
    "invalid_record",
    "journal_path",
    "line_record",
    "mark",
    "open_progress",
    "parse_mark",
    "parse_rate",
    "read_back",
    "read_back_task",
    "read_inputs",
    "summary_lines",
    "typed_cell",
    "unknown_record",
    "write_results",
]
