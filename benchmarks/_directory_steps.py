"""The steps a user takes with a newly imported API, run through the `connector` command line
in this process (`connector.cli.main`: the same parser and handlers as the installed command,
without a new interpreter per command). Used by `benchmarks/directory.py`.

Each step of one API gives a `Step`: the operations it tried and how each ended
(`ok`, `refused`: exit 2 with a message that says what to do, `failed`: anything else, with a
cause). A step of an API succeeds when every operation it tried did.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.cli import main

STEPS = (
    "import",
    "list",
    "describe",
    "dry-run",
    "test-request",
    "create-read",
    "export-import",
    "batch",
    "search",
)
SAMPLED = 5
"""Operations per API sampled for export/import and search (the CRUD picks come first)."""
REFUSALS = (
    # the documented refusals (README, "Bring your own API"): exit 2, nothing sent or
    # written, and the message says what to do
    "is not an OpenAPI 3",  # Swagger 2.0 and others: convert it first
    "would be sent over plain http",  # a credential to a non-loopback http:// server
    "cannot base64-encode",  # basic auth on an engine that cannot encode at run time
    "cannot fetch an OAuth2 token",  # client credentials: fetch it in the workflow
    "bodies are not exported",  # an XML body: run the step with the connector's worker
    "no operation to import",  # none described, or every one skipped (the reasons named)
    "has no text form in the engine",  # an array in a required query or header parameter
)
"""A usage answer counts as a refusal only when it is one of these; any other is a failure."""


@dataclass
class Step:
    """How one step went for one API: counts per outcome, and (cause, example) of failures."""

    ok: int = 0
    refused: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)

    def tried(self) -> int:
        return self.ok + self.refused + len(self.failed)


@dataclass
class Run:
    """What one command printed and returned."""

    code: int
    out: str
    err: str
    crash: str | None = None

    def json(self) -> Any:
        return json.loads(self.out)


def cli(*argv: str) -> Run:
    """Run one `connector` command here; an exception escaping it is a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except MemoryError:
            raise
        except BaseException as exc:  # noqa: BLE001 - a traceback is what is measured
            where = traceback.extract_tb(exc.__traceback__)[-1]
            crash = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"
            return Run(-1, out.getvalue(), err.getvalue(), crash=crash)
    return Run(code, out.getvalue(), err.getvalue())


def cause(text: str) -> str:
    """A failure message with its particulars blanked, so that alike failures group."""
    text = text.strip().splitlines()[0] if text.strip() else "(no message)"
    text = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "'…'", text)
    text = re.sub(r"https?://\S+", "URL", text)
    text = re.sub(r"\d+", "N", text)
    return text[:160]


def judge(step: Step, run: Run, what: str, check: str | None = None) -> bool:
    """Count one command: ok (exit 0 and `check` is None), a refusal, or a failure."""
    if run.crash:
        step.failed.append((f"traceback: {run.crash}", what))
        return False
    message = _message(run)
    if run.code == 0 and check is None:
        step.ok += 1
        return True
    if run.code == 0:
        step.failed.append((check, what))
    elif run.code == 2 and any(r in message for r in REFUSALS) and _refusal_kind(run):
        step.refused += 1
        step.refusals.append((cause(message), f"{what}: {message[:300]}"))
    else:
        step.failed.append((f"exit {run.code}: {cause(message)}", f"{what}: {message[:300]}"))
    return False


def _refusal_kind(run: Run) -> bool:
    """A refusal is a usage answer (nothing wrong with the input or the template)."""
    try:
        kind = run.json().get("error", {}).get("kind")
    except (ValueError, AttributeError):
        return True  # a command without --json: the message itself is matched
    return kind == "usage"


def _message(run: Run) -> str:
    try:
        body = run.json()
    except ValueError:
        return run.err or run.out
    if isinstance(body, dict):
        error = body.get("error") or {}
        fields = error.get("fieldErrors") or []
        detail = "; ".join(f"{f.get('field')}: {f.get('message')}" for f in fields[:2])
        message = str(error.get("message") or body.get("status") or "")
        return f"{message} {detail}".strip() or run.err or run.out[:300]
    return run.err or run.out[:300]


def example(template: dict[str, Any]) -> dict[str, Any]:
    """The template's first example: a complete input set (empty when it has none)."""
    examples = template.get("examples") or [{}]
    return dict(examples[0]) if isinstance(examples[0], dict) else {}
