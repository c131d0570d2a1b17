"""What every command shares: reading input, printing results, failing the same way."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from connector._errors import ConnectorError

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2


def print_json(value: Any) -> None:
    """Pretty JSON on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def fail(kind: str, message: str, *, as_json: bool, field_errors: Any = ()) -> int:
    """Report a failure where nothing was sent; returns exit code 2."""
    if as_json:
        errors = [{"field": e.field, "message": e.message} for e in field_errors]
        error = {"kind": kind, "message": message, "fieldErrors": errors}
        print_json({"status": "FAILED", "response": None, "error": error})
    else:
        lines = [
            f"error: {message}",
            *(f"  {e.field or '(input)'}: {e.message}" for e in field_errors),
        ]
        sys.stderr.write("\n".join(lines) + "\n")
    return EXIT_USAGE


def fail_with(error: ConnectorError, *, as_json: bool) -> int:
    """Report a definition-time error (template, render, validation)."""
    task = f"task '{error.task}': " if error.task else ""
    return fail(error.kind, task + error.message, as_json=as_json, field_errors=error.field_errors)


def read_input(source: str) -> Any:
    """The task input parameters JSON from a file, or stdin for `-`.

    Raises:
        ValueError: the text is not JSON (NaN and Infinity are not JSON either).
        OSError: the file cannot be read.
    """
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text, parse_constant=_reject)


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
