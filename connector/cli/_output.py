"""What every command shares: reading input, printing results, failing the same way.

The error contract of every command: a failure that sent nothing prints one message on
stderr (`error: …`, then one line per field) and exits 2; with `--json` it prints instead the
one structured response on stdout, `status: FAILED` with `request: null` and the error — the
same shape `test-request --json` prints for every outcome.
"""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    from typing import Any, Final

    from connector._errors import ConnectorError

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_CANNOT_LISTEN: Final = 3

EXIT_CODES: Final = """exit codes:
  0    success (COMPLETED, or the command did what it says)
  1    the request was sent and FAILED (the result says why and whether a retry may help)
  2    nothing was sent or built: invalid input, template, option or usage
  3    a server (serve, emulator) could not listen on its address or port
  130  interrupted (Ctrl-C)"""


def print_json(value: Any) -> None:
    """Pretty JSON on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def fail(kind: str, message: str, *, as_json: bool, field_errors: Any = ()) -> int:
    """Report a failure where nothing was sent; returns exit code 2."""
    if as_json:
        from typing import get_args

        from connector._result import ErrorInfo, ErrorKind, TaskResult

        # a kind the result format has no name for (a description error) is a usage error
        shown = kind if kind in get_args(ErrorKind) else "usage"
        error = ErrorInfo(kind=shown, message=message, field_errors=list(field_errors))
        print_json(TaskResult(status="FAILED", error=error).to_json())
    else:
        lines = [
            f"error: {message}",
            *(f"  {e.field or '(input)'}: {e.message}" for e in field_errors),
        ]
        sys.stderr.write("\n".join(lines) + "\n")
    return EXIT_USAGE


def cannot_listen(host: str, port: int, error: OSError) -> int:
    """Report a server that could not bind its address; returns exit code 3."""
    reason = os.strerror(error.errno) if error.errno else str(error)
    sys.stderr.write(f"error: cannot listen on {host}:{port}: {reason}\n")
    return EXIT_CANNOT_LISTEN


def fail_with(error: ConnectorError, *, as_json: bool) -> int:
    """Report a definition-time error (template, render, validation)."""
    task = f"task '{error.task}': " if error.task else ""
    return fail(error.kind, task + error.message, as_json=as_json, field_errors=error.field_errors)


def read_input(source: str) -> Any:
    """The task input parameters JSON from a file, or stdin for `-` (size-capped, UTF-8,
    depth-bounded: `connector._read`).

    Raises:
        UsageError: the input cannot be read, is too large, or is not JSON.
    """
    from connector._read import read_json

    return read_json(source, label="--input", surrogates=True)  # named per field later
