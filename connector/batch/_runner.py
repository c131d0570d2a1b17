"""The batch runner: every input of a file through the executor, on N threads, journaled.

    plan = check_inputs(read_inputs(path, schema=...), journal)   # nothing sent yet (_plan)
    runner = BatchRunner(task, journal, target=Target("sandbox"), pacer=Pacer(rate))
    outcome = runner.run(read_inputs(path, schema=...), progress, plan)

The calling thread reads the inputs and decides per input from the journal, which knows
inputs by their identity (content, not line; `_journal.identify`):

- done before: skipped (its result line is kept);
- unreadable or invalid: recorded FAILED `validation`, never sent;
- new, but sitting where the journal records an input that took effect and that the file no
  longer has (or carrying the idempotency key of one): it changed after it was sent, so it
  is reported FAILED `changed` (not journaled) and not sent, unless `resend_changed`;
- sent by an interrupted run (outcome unknown): sent again when `retry_allowed` (a keyed
  request with the same key), else resolved by the read-back when `resolve`, else UNKNOWN;
- new: sent (a keyed request gets a fresh key, journaled before the first send).

The rest go through a bounded queue to `concurrency` worker threads, each with its own
`Executor` over its own `PacedSession`. `stop()` hands out no more work (requests on the wire
finish and are recorded); `abandon()` stops waiting for them too (they stay `sending` in the
journal and are resolved next time). A journal that cannot be written (a full disk) stops
the run (`Outcome.halted`) before the input it could not record is sent.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from connector._clock import SYSTEM_CLOCK, Clock
from connector._errors import DefinitionError, JournalError
from connector._executor import Executor
from connector._idempotency import key_input, retry_allowed, with_key
from connector._request import PreparedRequest
from connector._result import TaskResult
from connector._retry import SendPolicy
from connector._task import Task
from connector.batch._inputs import InputItem
from connector.batch._journal import Journal, JournalEntry, identify
from connector.batch._pacing import PacedSession, Pacer, PacerClosedError
from connector.batch._plan import Plan
from connector.batch._progress import Progress
from connector.batch._resolve import read_back, read_back_task
from connector.batch._results import changed_record, invalid_record, line_record, unknown_record

__all__ = ["BatchRunner", "Outcome", "Target"]

NOT_SENT_KINDS: Final = frozenset({"validation", "render", "template", "usage", "changed"})
_POLL_SECONDS: Final = 0.1


@dataclass(frozen=True, slots=True)
class Target:
    """Where the batch sends: an environment of the template, or a base URL."""

    environment: str | None = None
    base_url: str | None = None
    environ: Mapping[str, str] | None = None


@dataclass(slots=True)
class Outcome:
    """How a run ended: the inputs it sent, how long it took, whether it was interrupted."""

    sent: set[str] = field(default_factory=set)
    elapsed_seconds: float = 0.0
    interrupted: bool = False
    halted: JournalError | None = None
    """The journal could not be written: the run stopped there."""
    in_flight: int = 0
    """Requests abandoned on the wire (`abandon`): resolved by the next run."""
    unjournaled: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Result lines of this run that are not journaled (an input changed after it was sent)."""


@dataclass(frozen=True, slots=True)
class _Job:
    identity: str
    item: InputItem
    key: str | None = None
    resolve: bool = False


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
        resolve: bool = False,
        resend_changed: bool = False,
    ) -> None:
        """Args:
        task, journal: what to run, and where its progress is recorded.
        target: where to send. pacer: the shared pace (one for all workers).
        concurrency: worker threads (one session and executor each).
        clock: for the executors' retries and the run's timing; tests fake it.
        resolve: look unknown outcomes up with the template's read-back before resending.
        resend_changed: send inputs that changed after they were sent (else reported).
        """
        self.task, self.journal, self.target, self.pacer = task, journal, target, pacer
        self.concurrency = concurrency
        self.policy = SendPolicy.for_template(task.template)
        self.verdict = retry_allowed(task.template)
        self.key_name = key_input(task.template)
        self.lookup = read_back_task(task) if resolve else None
        self.resend_changed = resend_changed
        self._clock = clock
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=concurrency * 4)
        self._stopping = threading.Event()
        self._abandoned = threading.Event()
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._crash: BaseException | None = None
        self._outcome = Outcome()
        self._busy = 0

    def run(self, items: Iterable[InputItem], progress: Progress, plan: Plan) -> Outcome:
        """Send every input `plan` does not show as done; returns when all are recorded
        (or at once after `abandon`)."""
        self._progress = progress
        started = self._clock.monotonic()
        workers = [
            threading.Thread(target=self._work, name=f"batch-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        for worker in workers:
            worker.start()
        try:
            self._feed(identify(items), plan)
        except KeyboardInterrupt:
            self.stop()
        finally:
            for _ in workers:
                self._put(None)
        for worker in workers:
            while worker.is_alive() and not self._abandoned.is_set():
                worker.join(_POLL_SECONDS)
        self._outcome.elapsed_seconds = self._clock.monotonic() - started
        self._outcome.interrupted = self._stopping.is_set() and self._outcome.halted is None
        self._outcome.in_flight = self._busy if self._abandoned.is_set() else 0
        if self._crash is not None and not self._abandoned.is_set():
            raise self._crash
        return self._outcome

    def stop(self) -> None:
        """Hand out no more work; waiting workers give up their slot."""
        self._stopping.set()
        self.pacer.close()

    def abandon(self) -> None:
        """Stop, and stop waiting for the requests on the wire (they stay `sending`)."""
        self.stop()
        self._abandoned.set()

    # -- the calling thread --------------------------------------------------------------

    def _feed(self, items: Iterable[tuple[str, InputItem]], plan: Plan) -> None:
        for identity, item in items:
            if self._stopping.is_set():
                return
            entry = plan.entries.get(identity)
            if entry is not None and entry.state == "done" and entry.status != "UNKNOWN":
                continue
            if item.inputs is None:
                self._record(identity, item, invalid_record(item.line, item.errors))
            elif entry is None:
                self._new(identity, item, plan)
            else:
                self._unknown(identity, item, entry)

    def _new(self, identity: str, item: InputItem, plan: Plan) -> None:
        replaced = None if self.resend_changed else plan.changed(item, self.key_name)
        if replaced is None:
            self._put(_Job(identity, item))
            return
        record = changed_record(item.line, replaced.line)
        with self._lock:
            self._outcome.unjournaled[identity] = record
        self._advance(record)

    def _unknown(self, identity: str, item: InputItem, entry: JournalEntry) -> None:
        """An input sent by a run that stopped before its answer was recorded."""
        if self.verdict.allowed and entry.state == "sending":
            self._put(_Job(identity, item, key=entry.key))  # the same key again
        elif self.lookup is not None:
            self._put(_Job(identity, item, key=entry.key, resolve=True))
        elif entry.state == "sending":
            method = self.task.template.http_request.method
            self._record(identity, item, unknown_record(item.line, method))
        else:  # UNKNOWN since an earlier run: kept as it is
            why = f"line {item.line}: still unknown (--resolve or --mark settles it)"
            self._advance({"status": "UNKNOWN", "line": item.line, "error": {"message": why}})

    def _put(self, job: _Job | None) -> None:
        while not self._abandoned.is_set():
            if job is not None and self._stopping.is_set():
                return
            try:
                self._queue.put(job, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return

    # -- the workers ---------------------------------------------------------------------

    def _work(self) -> None:
        session = PacedSession(self.pacer)
        executor = Executor(session, environ=self.target.environ, clock=self._clock)
        with session, executor:
            while (job := self._queue.get()) is not None:
                if self._stopping.is_set():
                    continue  # queued, never sent: the next run sends it
                try:
                    self._send(executor, session, job)
                except PacerClosedError:
                    continue  # a retry given up on stop: `sending` stays, resolved next run
                except JournalError as error:
                    self._outcome.halted = error
                    self.stop()
                except Exception as exc:  # noqa: BLE001 - a bug: stop the batch, raise it in `run`
                    self._crash = exc
                    self.stop()

    def _send(self, executor: Executor, session: PacedSession, job: _Job) -> None:
        item = job.item
        assert item.inputs is not None
        inputs, key = with_key(self.task.template, item.inputs, job.key)
        if job.resolve and self.lookup is not None:
            method = self.task.template.http_request.method
            found = read_back(
                executor, self.lookup, inputs, line=item.line, method=method, prepare=self._prepare
            )
            if found is not None:
                self._record(job.identity, item, found)
                return  # settled by the read-back; not found (None): it is sent below
        try:
            request = self._prepare(self.task, inputs)
        except DefinitionError as error:
            self._record(job.identity, item, line_record(item.line, TaskResult.from_error(error)))
            return
        if not self.pacer.acquire():
            return  # stopping before it went out: no journal row, the next run sends it
        session.prepaid = True
        self.journal.sending(job.identity, item.line, item.digest, key)
        with self._lock:
            self._busy += 1
        result = executor.execute(request, self.policy)
        with self._lock:
            self._busy -= 1
        self._record(job.identity, item, line_record(item.line, result), sent=True)

    def _prepare(self, task: Task, inputs: Mapping[str, Any]) -> PreparedRequest:
        return task.prepare(
            inputs,
            environment=self.target.environment,
            base_url=self.target.base_url,
            environ=self.target.environ,
        )

    def _record(
        self, identity: str, item: InputItem, record: dict[str, Any], *, sent: bool = False
    ) -> None:
        if self._abandoned.is_set():
            return  # the run has moved on: the journal keeps `sending`, the truth
        self.journal.done(identity, item.line, item.digest, record)
        with self._lock:
            if sent:
                self._outcome.sent.add(identity)
        self._advance(record)

    def _advance(self, record: Mapping[str, Any]) -> None:
        with self._lock:
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
