"""Arazzo workflows: read and check, run (offline against emulators by default), plan, export.

    checked = open_workflows(Path("payout.arazzo.yaml"))      # shape + semantic rules
    run = Runner(checked, send).run("payout-lifecycle", {...}) # steps through `send`

The modules, in the order a document flows through them: `_model` (the document's shape),
`_load` (reading it), `_sources` (its source descriptions as tasks), `_expressions`,
`_conditions` and `_criteria` (runtime expressions and criteria), `_bind` (a step's task
inputs), `_flow` (actions and which step can follow which), `_check` (the rules),
`_inputs`, `_runner` (with `_outcome` and `_records`), `_plan`, `_conductor` (with
`_decide` and `_javascript`), `_simworkflow`, `_export` and `_convert`.
"""

from __future__ import annotations

from pathlib import Path

from connector.arazzo._check import Checked, check_document
from connector.arazzo._load import load_document, parse_document
from connector.arazzo._model import Document
from connector.arazzo._runner import Limits, Runner, StepRecord, WorkflowRun
from connector.arazzo._sources import Fetch, Sources, fetch_remote, resolve_sources

__all__ = [
    "Checked",
    "Document",
    "Limits",
    "Runner",
    "Sources",
    "StepRecord",
    "WorkflowRun",
    "check_document",
    "fetch_remote",
    "load_document",
    "open_workflows",
    "parse_document",
    "resolve_sources",
]


def open_workflows(
    path: Path, *, sources: dict[str, str] | None = None, fetch: Fetch | None = None
) -> Checked:
    """Read, resolve and check an Arazzo file.

    Args:
        path: the Arazzo document (YAML or JSON).
        sources: source name -> local path (or URL) used instead of the document's `url`.
        fetch: downloads a remote source; None (the default) refuses remote sources.

    Raises:
        WorkflowError: the document, a source or a rule; each problem by JSON pointer.
    """
    document = load_document(path)
    resolved = resolve_sources(document, path.parent, overrides=sources, fetch=fetch)
    return check_document(document, resolved)
