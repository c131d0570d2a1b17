"""The batch runner: every input of a file through the executor, on N threads, journaled.

    plan = check_inputs(read_inputs(path, schema=...), journal)   # nothing sent yet
    runner = BatchRunner(task, journal, target=Target("sandbox"), pacer=Pacer(rate))
    outcome = runner.run(read_inputs(path, schema=...), progress)

The calling thread reads the inputs and decides per line from the journal (done before:
skipped; unreadable: recorded as FAILED `validation`; sent by an interrupted run and not safe
to repeat: recorded as `UNKNOWN`); the rest go through a bounded queue to `concurrency`
worker threads. Each worker has its own `Executor` over its own `PacedSession` (one
connection pool per thread, one pacer for all). Per input a worker renders and validates (an
invalid input is recorded and never sent), waits for a send slot, records `sending` in the
journal, sends under the template's retry policy and records the result line.

Ctrl-C (KeyboardInterrupt in the calling thread) stops handing out work and closes the pacer;
requests on the wire finish and are recorded, queued ones are left for the next run. A second
Ctrl-C leaves at once (what was in flight is `sending` in the journal: resolved next time).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from connector._clock import SYSTEM_CLOCK, Clock
from connector._errors import DefinitionError, UsageError
from connector._executor import Executor
from connector._result import TaskResult
from connector._retry import SendPolicy, is_safe_to_repeat
from connector._task import Task
from connector.batch._inputs import InputItem
from connector.batch._journal import Journal, JournalEntry
from connector.batch._pacing import PacedSession, Pacer, PacerClosedError
from connector.batch._progress import Progress
from connector.batch._results import invalid_record, line_record, unknown_record

__all__ = ["BatchRunner", "Outcome", "Plan", "Target", "check_inputs"]

NOT_SENT_KINDS: Final = frozenset({"validation", "render", "template", "usage"})
_POLL_SECONDS: Final = 0.1


@dataclass(frozen=True, slots=True)
class Target:
    """Where the batch sends: an environment of the template, or a base URL."""

    environment: str | None = None
    base_url: str | None = None
    environ: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """What the inputs and the journal say before anything is sent."""

    total: int
    done: int
    entries: dict[int, JournalEntry]


@dataclass(slots=True)
class Outcome:
    """How a run ended: the lines it sent, how long it took, whether it was interrupted."""

    sent: set[int] = field(default_factory=set)
    elapsed_seconds: float = 0.0
    interrupted: bool = False


def check_inputs(items: Iterable[InputItem], journal: Journal) -> Plan:
    """Count the inputs and check them against the journal.

    Raises:
        UsageError: a line the journal knows has changed since (nothing is sent).
    """
    entries = journal.entries()
    total = done = 0
    seen: set[int] = set()
    for item in items:
        total += 1
        seen.add(item.line)
        entry = entries.get(item.line)
        if entry is None:
            continue
        if entry.digest != item.digest:
            raise UsageError(
                f"line {item.line} of the inputs is not the input the journal {journal.path} "
                "recorded: the file changed since the batch started; restore it, or name "
                "another --journal to run it as a new batch"
            )
        done += entry.state == "done"
    unknown = entries.keys() - seen
    if unknown:
        raise UsageError(
            f"the journal {journal.path} records line {min(unknown)}, which the inputs no "
            "longer have: restore the file, or name another --journal"
        )
    return Plan(total=total, done=done, entries=entries)


class BatchRunner:
    """Runs one batch of one task; see the module docstring."""

    def __init__(
        self,
        task: Task,
        journal: Journal,
        *,
        target: Target,
        pacer: Pacer,
        concurrency: int = 4,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """Args:
        task, journal: what to run, and where its progress is recorded.
        target: where to send. pacer: the shared pace (one for all workers).
        concurrency: worker threads (one session and executor each).
        clock: for the executors' retries and the run's timing; tests fake it.
        """
        self.task, self.journal, self.target, self.pacer = task, journal, target, pacer
        self.concurrency = concurrency
        self.policy = SendPolicy.for_template(task.template)
        template = task.template
        self.safe = is_safe_to_repeat(template.http_request.method, template.retry)
        self._clock = clock
        self._queue: queue.Queue[InputItem | None] = queue.Queue(maxsize=concurrency * 4)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._crash: BaseException | None = None
        self._outcome = Outcome()

    def run(self, items: Iterable[InputItem], progress: Progress, plan: Plan) -> Outcome:
        """Send every input `plan` does not show as done; returns when all are recorded."""
        self._progress = progress
        started = self._clock.monotonic()
        workers = [
            threading.Thread(target=self._work, name=f"batch-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        for worker in workers:
            worker.start()
        try:
            self._feed(items, plan.entries)
        except KeyboardInterrupt:
            self.stop()
            self._outcome.interrupted = True
        finally:
            for _ in workers:
                self._put(None)
        for worker in workers:
            while worker.is_alive():
                worker.join(_POLL_SECONDS)
        self._outcome.elapsed_seconds = self._clock.monotonic() - started
        if self._crash is not None:
            raise self._crash
        return self._outcome

    def stop(self) -> None:
        """Hand out no more work; waiting workers give up their slot."""
        self._stopping.set()
        self.pacer.close()

    # -- the calling thread --------------------------------------------------------------

    def _feed(self, items: Iterable[InputItem], entries: Mapping[int, JournalEntry]) -> None:
        for item in items:
            if self._stopping.is_set():
                return
            entry = entries.get(item.line)
            if entry is not None and entry.state == "done":
                continue
            if item.inputs is None:
                self._record(item, invalid_record(item.line, item.errors))
            elif entry is not None and not self.safe:
                method = self.task.template.http_request.method
                self._record(item, unknown_record(item.line, method))
            else:
                self._put(item)

    def _put(self, item: InputItem | None) -> None:
        while True:
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return

    # -- the workers ---------------------------------------------------------------------

    def _work(self) -> None:
        session = PacedSession(self.pacer)
        executor = Executor(
            session,
            environ=self.target.environ,
            clock=self._clock,
        )
        with session, executor:
            while (item := self._queue.get()) is not None:
                if self._stopping.is_set():
                    continue  # queued, never sent: the next run sends it
                try:
                    self._send(executor, session, item)
                except PacerClosedError:
                    continue  # a retry given up on stop: `sending` stays, resolved next run
                except Exception as exc:  # noqa: BLE001 - a bug: stop the batch, raise it in `run`
                    self._crash = exc
                    self.stop()

    def _send(self, executor: Executor, session: PacedSession, item: InputItem) -> None:
        assert item.inputs is not None
        try:
            request = self.task.prepare(
                item.inputs,
                environment=self.target.environment,
                base_url=self.target.base_url,
                environ=self.target.environ,
            )
        except DefinitionError as error:
            self._record(item, line_record(item.line, TaskResult.from_error(error)))
            return
        if not self.pacer.acquire():
            return  # stopping before it went out: no journal row, the next run sends it
        session.prepaid = True
        self.journal.sending(item.line, item.digest)
        result = executor.execute(request, self.policy)
        self._record(item, line_record(item.line, result), sent=True)

    def _record(self, item: InputItem, record: dict[str, Any], *, sent: bool = False) -> None:
        self.journal.done(item.line, item.digest, json.dumps(record, ensure_ascii=False))
        with self._lock:
            if sent:
                self._outcome.sent.add(item.line)
            if self._progress is not None:
                self._progress.advance(str(record["status"]))
                for text in _notes(record):
                    self._progress.note(text)


def _notes(record: Mapping[str, Any]) -> list[str]:
    """Message lines for an input that was never sent or whose outcome is unknown."""
    error = record.get("error") or {}
    if record["status"] == "UNKNOWN":
        return [f"unknown: {error['message']}"]
    if record["status"] != "FAILED" or error.get("kind") not in NOT_SENT_KINDS:
        return []
    message = str(error["message"])
    if not message.startswith("line "):
        message = f"line {record['line']}: {message}"
    fields = [f"  {e['field'] or '(input)'}: {e['message']}" for e in error.get("fieldErrors", [])]
    return [f"not sent: {message}", *fields]
