"""Resolving an input whose outcome is unknown (sent by a run that stopped before the answer).

Two ways, both recorded in the journal so the input is never sent twice:

- the read-back (`connector run --resolve`): the template's `idempotency.readBack` is a GET of
  the resource by the client's id or by the idempotency key. Found (2xx): the first request
  took effect, the input is COMPLETED with the read-back's answer. Not found (404): it did
  not, and the request is sent (once). Any other answer: still UNKNOWN.
- the user's word (`connector run --mark LINE=completed|failed`), after checking on the
  server: COMPLETED (it took effect) or FAILED kind `marked` (it did not; not sent again).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal

from connector._errors import DefinitionError, UsageError
from connector._executor import Executor
from connector._request import PreparedRequest
from connector._result import TaskResult
from connector._retry import SendPolicy
from connector._task import Task
from connector._template import parse_template
from connector.batch._inputs import InputItem
from connector.batch._journal import Journal, identify
from connector.batch._results import line_record, unknown_record

__all__ = ["Mark", "look_up", "mark", "parse_mark", "read_back", "read_back_task"]

Mark = tuple[int, Literal["completed", "failed"]]
_PLACEHOLDER: Final = re.compile(r"<<\s*([A-Za-z_][\w.\-]*)\s*>>")
_NOT_FOUND: Final = 404


def read_back_task(task: Task) -> Task | None:
    """The GET the template declares as its read-back, as a task of its own (None: none)."""
    declared = task.template.idempotency.read_back
    if declared is None:
        return None
    data = task.template.to_json()
    keep = {
        n: p for n, p in data.get("parameters", {}).items() if p.get("in") in {"path", "header"}
    }
    for name in _PLACEHOLDER.findall(declared.url + " ".join(task.template.base_urls.values())):
        keep.setdefault(name, {"in": "path", "required": True, "schema": {"type": "string"}})
    data.update(
        name=task.template.name,
        parameters=keep,
        httpRequest={
            "url": declared.url,
            "method": "GET",
            "headers": {"Accept": "application/json"},
        },
        successStatusCodes=["2XX"],
        retry={"maxAttempts": 3},
    )
    for dropped in ("bodySchema", "idempotency", "examples", "responses", "maxBodyBytes"):
        data.pop(dropped, None)
    return Task(parse_template(data, source=f"{task.name} readBack"))


def look_up(
    executor: Executor,
    lookup: Task,
    inputs: Mapping[str, Any],
    *,
    method: str,
    prepare: Callable[[Task, Mapping[str, Any]], PreparedRequest],
) -> TaskResult | str | None:
    """What the read-back finds: the GET's COMPLETED result (the request took effect), None
    (404: it did not, send it), or why it cannot tell (the outcome stays unknown)."""
    wanted = {name: value for name, value in inputs.items() if name in lookup.template.parameters}
    try:
        request = prepare(lookup, wanted)
    except DefinitionError as error:
        return f"its read-back could not be built ({error})"
    result = executor.execute(request, SendPolicy.for_template(lookup.template))
    status = result.response.status_code if result.response is not None else None
    if status == _NOT_FOUND:
        return None
    if result.status != "COMPLETED":
        return f"its read-back answered {status or result.status}"
    note = f"resolved by read-back: GET {request.public_url()} found it, the {method} took effect"
    return result.model_copy(update={"warnings": [*result.warnings, note]})


def read_back(
    executor: Executor,
    lookup: Task,
    inputs: Mapping[str, Any],
    *,
    line: int,
    method: str,
    prepare: Callable[[Task, Mapping[str, Any]], PreparedRequest],
) -> dict[str, Any] | None:
    """The result line the read-back settles on, or None when the resource is not there
    (the request did not take effect: send it)."""
    found = look_up(executor, lookup, inputs, method=method, prepare=prepare)
    if isinstance(found, str):
        return unknown_record(line, method, found)
    return None if found is None else line_record(line, found)


def parse_mark(text: str) -> Mark:
    """`12=completed` (or `12=done`) or `12=failed` (the `--mark` option).

    Raises:
        ValueError: anything else (the message says what is expected).
    """
    line, _, verdict = text.partition("=")
    said = verdict.strip().lower()
    if not line.strip().isdigit() or said not in {"completed", "done", "failed"}:
        raise ValueError(f"{text!r}: expected LINE=completed (or done) or LINE=failed")
    return int(line), "failed" if said == "failed" else "completed"


def mark(journal: Journal, items: Iterable[InputItem], marks: Iterable[Mark], method: str) -> None:
    """Settle UNKNOWN inputs as the user says, by their line in the inputs file.

    Raises:
        UsageError: a line is not in the file, or its outcome is not unknown.
    """
    wanted = dict(marks)
    entries = journal.entries()
    for identity, item in identify(items):
        verdict = wanted.pop(item.line, None)
        if verdict is None:
            continue
        entry = entries.get(identity)
        if entry is None or not (entry.state == "sending" or entry.status == "UNKNOWN"):
            raise UsageError(f"--mark {item.line}: the journal records no unknown outcome there")
        journal.done(identity, item.line, item.digest, _marked(item.line, method, verdict))
    if wanted:
        raise UsageError(f"--mark {min(wanted)}: the inputs have no input starting on that line")


def _marked(line: int, method: str, verdict: str) -> dict[str, Any]:
    record = unknown_record(line, method)
    if verdict == "completed":
        note = f"marked completed (--mark): the {method} took effect"
        return {**record, "status": "COMPLETED", "error": None, "warnings": [note]}
    message = f"line {line}: marked failed (--mark): the {method} did not take effect"
    return {
        **record,
        "status": "FAILED",
        "error": {**record["error"], "kind": "marked", "message": message},
    }
