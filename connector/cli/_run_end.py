"""The end of a batch run: the results file, the summary, and what the user does next.

Whatever ended the run (all done, Ctrl-C once or more, a journal it could not write), the
results file is written in the order of the inputs as they are now, the summary is printed,
and stderr says how to resume (the command line, ready to type again). A results file that
cannot be written (a full disk) is reported the same way: the journal holds every result.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from connector.cli._output import EXIT_FAILED, EXIT_OK, print_json

if TYPE_CHECKING:
    from connector.batch import InputItem, Journal, Outcome, Summary

__all__ = ["EXIT_INTERRUPTED", "end_of_run", "finish", "show_summary"]

EXIT_INTERRUPTED = 130


def end_of_run(
    journal: Journal, results: Path, outcome: Outcome, items: Iterable[InputItem], *, as_json: bool
) -> int:
    """Write the results, print the summary and what to do next; the exit code."""
    try:
        summary = finish(journal, results, outcome, items)
    except OSError as exc:  # a full disk: the journal holds every result, nothing is lost
        sys.stderr.write(
            f"error: cannot write the results file {results}: {exc.strerror or exc}; the "
            "journal holds every result: free disk space, then run the same command again: "
            f"{_command()}\n"
        )
        return EXIT_FAILED
    show_summary(summary, as_json=as_json)
    return _ending(outcome, summary)


def _ending(outcome: Outcome, summary: Summary) -> int:
    """What the user must know after the summary, and the exit code."""
    resume = f"to resume, run the same command again: {_command()}"
    if outcome.halted is not None:
        sys.stderr.write(f"stopped: {outcome.halted.message}\n{resume}\n")
        return EXIT_FAILED
    if outcome.interrupted:
        if outcome.in_flight:
            sys.stderr.write(
                f"{outcome.in_flight} request(s) were on the wire when the run stopped waiting: "
                "the journal records them as sent, the next run resolves them\n"
            )
        sys.stderr.write(f"interrupted: {resume}\n")
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok else EXIT_FAILED


def _command() -> str:
    """The command line of this process, as it can be typed again."""
    return shlex.join(["connector", *sys.argv[1:]])


def finish(
    journal: Journal, results: Path, outcome: Outcome, items: Iterable[InputItem]
) -> Summary:
    """Write the results file in the order of the inputs as they are now (each with its
    line now), from the journal and this run's unjournaled lines; count the summary."""
    from connector.batch import Tally, identify, write_results

    tally = Tally()
    total = 0

    def lines() -> Iterator[str]:
        nonlocal total
        for identity, item in identify(items):
            total += 1
            record = journal.record_of(identity) or outcome.unjournaled.get(identity)
            if record is None:
                continue  # not reached: the next run sends it
            tally.add(record, sent=identity in outcome.sent)
            yield json.dumps({**record, "line": item.line}, ensure_ascii=False)

    write_results(results, lines())
    return tally.summary(
        outcome.elapsed_seconds,
        total=total,
        interrupted=outcome.interrupted or outcome.halted is not None,
        results=str(results),
        journal=str(journal.path),
    )


def show_summary(summary: Summary, *, as_json: bool) -> None:
    """The summary on stdout: readable lines, or the `Summary` JSON."""
    from connector.batch import summary_lines

    if as_json:
        print_json(summary.model_dump(mode="json", by_alias=True))
    else:
        sys.stdout.write("".join(f"{line}\n" for line in summary_lines(summary)))
