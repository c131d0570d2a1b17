"""Reading a file or stream from outside: bounded in size, decoded with the place named.

Every file and stream the connector reads (descriptions, templates, task inputs, engine
documents, workflow files, stdin) comes through `read_bytes`/`read_text`/`read_json`:

- at most `max_input_bytes()` bytes are read (64 MiB unless `CONNECTOR_MAX_INPUT_SIZE`
  says otherwise, e.g. `256M`); a longer file, `/dev/zero` or an endless pipe is refused
  after that many bytes, never read to the end;
- text is UTF-8 (a byte-order mark is dropped); bytes that are not are named by line and
  column;
- JSON nests at most as deep as the caller allows (`connector._json.loads`).

Each error is the caller's kind of `ConnectorError` (a template file raises `TemplateError`,
a description `DescriptionError`, anything else `UsageError`) with one message naming the file.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import IO, Any, Final

from connector._errors import ConnectorError, UsageError
from connector._json import MAX_DEPTH, loads, problems

SIZE_ENV: Final = "CONNECTOR_MAX_INPUT_SIZE"
"""The environment variable that raises (or lowers) the size cap: bytes, or `64K`/`256M`/`2G`."""

DEFAULT_MAX_BYTES: Final = 64 << 20
"""The default size cap: ten times the largest public OpenAPI description."""

_UNITS: Final = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
_CHUNK: Final = 1 << 20
STDIN: Final = "-"


def max_input_bytes(environ: Any = None) -> int:
    """The size cap in bytes: `CONNECTOR_MAX_INPUT_SIZE` when set, else 64 MiB.

    Raises:
        UsageError: the variable is not a size.
    """
    text = (os.environ if environ is None else environ).get(SIZE_ENV, "").strip().upper()
    if not text:
        return DEFAULT_MAX_BYTES
    number, unit = (text[:-1], text[-1]) if text[-1] in _UNITS else (text, "")
    unit_size = _UNITS[unit.removesuffix("B")] if unit else 1
    if not number.isdigit() or len(number) > 15 or int(number) == 0:
        raise UsageError(f"{SIZE_ENV}={text!r} is not a size (write bytes, or 64K, 256M, 2G)")
    return int(number) * unit_size


def name_of(source: str | Path, label: str = "") -> str:
    """How a source is named in messages: `stdin` for `-`, else the path, after `label`
    (an option such as `--input`) when one is given."""
    name = "stdin" if str(source) == STDIN else str(source)
    return f"{label} {name}" if label else name


def read_bytes(
    source: str | Path,
    *,
    error: type[ConnectorError] = UsageError,
    limit: int | None = None,
    label: str = "",
) -> bytes:
    """The bytes of a file, or of stdin for `-`, refused past the size cap.

    Raises:
        error: the file cannot be opened or read, or is larger than the cap.
    """
    cap = max_input_bytes() if limit is None else limit
    name = name_of(source, label)
    try:
        if str(source) == STDIN:
            return _bounded(_stdin(), cap, name, error)
        with Path(source).open("rb") as handle:
            return _bounded(handle, cap, name, error)
    except OSError as exc:
        raise error(f"cannot read {name}: {exc.strerror or exc}") from None


def _stdin() -> IO[bytes]:
    """stdin's bytes (a text stream put in its place, as tests do, is read as UTF-8)."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is not None:
        return binary  # type: ignore[no-any-return]
    return io.BytesIO(sys.stdin.read().encode("utf-8", "surrogatepass"))


def _bounded(handle: IO[bytes], cap: int, name: str, error: type[ConnectorError]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := handle.read(min(_CHUNK, cap + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            raise error(
                f"{name} is larger than the {cap:,}-byte limit on what is read "
                f"(set {SIZE_ENV} to raise it, e.g. {SIZE_ENV}=512M)"
            )
    return b"".join(chunks)


def decode(data: bytes, name: str, *, error: type[ConnectorError] = UsageError) -> str:
    """UTF-8 text (a leading byte-order mark dropped); `error` names the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{name} is not UTF-8 text ({where(data, exc.start)})") from None


def where(data: bytes, offset: int) -> str:
    """`line L, column C` of byte `offset` in `data` (both counted from 1)."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def read_text(
    source: str | Path,
    *,
    error: type[ConnectorError] = UsageError,
    limit: int | None = None,
    label: str = "",
) -> str:
    """The UTF-8 text of a file or of stdin (`-`), size-capped."""
    data = read_bytes(source, error=error, limit=limit, label=label)
    return decode(data, name_of(source, label), error=error)


def read_json(
    source: str | Path,
    *,
    error: type[ConnectorError] = UsageError,
    max_depth: int = MAX_DEPTH,
    label: str = "",
    surrogates: bool = False,
) -> Any:
    """The JSON value of a file or of stdin (`-`): size-capped, UTF-8, depth-bounded.

    Raises:
        error: unreadable, too large, not UTF-8, not JSON (line and column), too deep, or
            holding a lone surrogate (unless `surrogates`).
    """
    text = read_text(source, error=error, label=label)
    name = name_of(source, label)
    return parse_json(text, name, error=error, max_depth=max_depth, surrogates=surrogates)


def parse_json(
    text: str | bytes,
    name: str,
    *,
    error: type[ConnectorError] = UsageError,
    max_depth: int = MAX_DEPTH,
    surrogates: bool = False,
) -> Any:
    """`text` parsed as JSON; `error` names `name`, and the line and column where it breaks.
    A lone surrogate (`"\\ud800"`, valid JSON but not Unicode) is refused naming its field,
    unless `surrogates` (task inputs report it per field themselves)."""
    try:
        value = loads(text, max_depth=max_depth)
    except ValueError as exc:
        raise error(f"{name} is not JSON: {exc}") from None
    if not surrogates:
        for problem in problems(value, max_depth=max_depth + 1):
            raise error(f"{name}: {problem.field or 'the document'} {problem.message}")
    return value
