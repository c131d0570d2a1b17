"""Reading a batch's inputs: JSON Lines, a JSON array or CSV, one `InputItem` per input.

    read_inputs(path, schema=task.input_schema())  -> Iterator[InputItem]

Each item carries the line of the file where its input starts (a CSV record: its first line;
an array element: the line of its `{`), so every result and every message can point at it.
An input that cannot be read (not JSON, not an object, a CSV cell that is not of its column's
type) is an item with `errors` instead of `inputs`: it is reported and never sent, and the
rest of the batch goes on. Only a file that cannot be read at all (missing, a broken JSON
array, not UTF-8, a line or CSV record over the size cap of `connector._read`) raises
`UsageError` naming the line: then nothing is sent. The file is read one line at a time, so
a batch may be longer than the cap; each line (and a JSON array file as a whole) may not.

CSV has no types, so each cell is typed through the task's input schema: `number` and
`integer` columns are parsed as numbers, `boolean` as true/false, `object`/`array` cells as
JSON, and anything else stays a string. An empty cell leaves the input out (CSV cannot tell an
empty value from a missing one); `null` is written `null` in a column that accepts null.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from connector._errors import FieldError, UsageError
from connector._json import MAX_DEPTH, depth_over, loads
from connector._read import max_input_bytes, read_text

__all__ = ["InputFormat", "InputItem", "detect_format", "read_inputs"]

InputFormat = Literal["jsonl", "json", "csv"]

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


@dataclass(frozen=True, slots=True)
class InputItem:
    """One input of the batch: where it starts in the file, and its inputs or why not."""

    line: int
    inputs: dict[str, Any] | None
    errors: tuple[FieldError, ...] = ()
    text: str = ""
    """The raw text of an input that could not be read (for its fingerprint)."""

    @property
    def digest(self) -> str:
        """A fingerprint of the input, so a resumed run can tell that the file changed."""
        data = self.text if self.inputs is None else _canonical(self.inputs)
        return hashlib.sha256(data.encode()).hexdigest()[:32]


def detect_format(path: Path) -> InputFormat:
    """`csv` by extension; otherwise a JSON array when the file starts with `[`, else JSON Lines."""
    if path.suffix.lower() in {".csv", ".tsv"}:
        return "csv"
    with _open(path) as handle:
        while chunk := handle.read(4096):
            stripped = chunk.lstrip(b"\xef\xbb\xbf \t\r\n")
            if stripped:
                return "json" if stripped.startswith(b"[") else "jsonl"
    return "jsonl"


def read_inputs(
    path: Path,
    *,
    schema: Mapping[str, Any] | None = None,
    input_format: InputFormat | None = None,
) -> Iterator[InputItem]:
    """The inputs of `path`, in file order.

    Args:
        path: a JSON Lines, JSON array or CSV file.
        schema: the task's input schema (`Task.input_schema()`), to type CSV cells.
        input_format: the format; detected from the file when None.

    Raises:
        UsageError: the file cannot be read as a whole (nothing should be sent).
    """
    try:
        chosen = input_format or detect_format(path)
        if chosen == "csv":
            yield from _csv_items(path, schema or {})
        elif chosen == "json":
            yield from _array_items(path)
        else:
            yield from _jsonl_items(path)
    except OSError as exc:
        raise UsageError(f"cannot read --inputs {path}: {exc.strerror or exc}") from None


def _open(path: Path) -> Any:
    try:
        return path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read --inputs {path}: {exc.strerror or exc}") from None


def _lines(path: Path) -> Iterator[str]:
    """The file's lines as text (line ends kept), each capped and decoded on its own, so
    an endless line or a byte that is not UTF-8 is named by its line."""
    cap = max_input_bytes()
    with _open(path) as handle:
        for number, raw in enumerate(iter(lambda: handle.readline(cap + 1), b""), start=1):
            if len(raw) > cap:
                raise UsageError(
                    f"--inputs {path}: line {number} is longer than the {cap:,}-byte limit "
                    "(set CONNECTOR_MAX_INPUT_SIZE to raise it)"
                )
            data = raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw
            try:
                yield data.decode("utf-8")
            except UnicodeDecodeError as exc:
                where = f"line {number}, column {exc.start + 1}"
                raise UsageError(f"--inputs {path} is not UTF-8 text ({where})") from None


# -- JSON ------------------------------------------------------------------------------------


def _jsonl_items(path: Path) -> Iterator[InputItem]:
    for number, line in enumerate(_lines(path), start=1):
        if line.strip():
            yield _json_item(number, line)


def _json_item(number: int, text: str) -> InputItem:
    try:
        value = loads(text)
    except ValueError as exc:
        return _broken(number, text, f"not valid JSON: {_json_reason(exc)}")
    return _object_item(number, value, text)


def _object_item(number: int, value: Any, text: str) -> InputItem:
    if not isinstance(value, dict):
        return _broken(number, text, "an input must be a JSON object")
    return InputItem(number, value)


def _array_items(path: Path) -> Iterator[InputItem]:
    """Each element of a JSON array, with the line where it starts (found by raw_decode)."""
    text = read_text(path, label="--inputs", error=UsageError)
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        raise UsageError(f"--inputs {path}: a JSON array must start with '['")
    position = _skip_space(text, position + 1)
    line, counted = 1, 0
    while not text.startswith("]", position):
        try:
            value, end = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as exc:
            reason = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise UsageError(f"--inputs {path} is not a valid JSON array: {reason}") from None
        line += text.count("\n", counted, position)
        counted = position
        yield _depth_checked(line, value, text[position:end])
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("]", position):
            raise UsageError(f"--inputs {path}: expected ',' or ']' at character {position}")


def _depth_checked(line: int, value: Any, text: str) -> InputItem:
    if depth_over(value, MAX_DEPTH):  # the same depth rule as a JSON Lines input
        return _broken(line, text, f"not valid JSON: it nests deeper than {MAX_DEPTH} levels")
    return _object_item(line, value, text)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _json_reason(exc: ValueError) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


# -- CSV -------------------------------------------------------------------------------------


def _csv_items(path: Path, schema: Mapping[str, Any]) -> Iterator[InputItem]:
    properties = schema.get("properties", {})
    csv.field_size_limit(max_input_bytes())  # a cell may be as long as a line may be
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(_lines(path), delimiter=delimiter)
    rows = _csv_rows(reader, path)
    header = next(rows, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    start = reader.line_num + 1
    for row in rows:
        if any(cell.strip() for cell in row):
            yield _csv_item(start, names, row, properties)
        start = reader.line_num + 1


def _csv_rows(reader: Iterable[list[str]], path: Path) -> Iterator[list[str]]:
    """The reader's records; a record CSV cannot read is a `UsageError` naming its line."""
    records = iter(reader)
    while True:
        try:
            row = next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", 0)
            raise UsageError(f"--inputs {path}: line {line} is not valid CSV: {exc}") from None
        yield row


def _csv_item(
    number: int, names: list[str], row: list[str], properties: Mapping[str, Any]
) -> InputItem:
    if len(row) > len(names):
        return _broken(number, ",".join(row), f"{len(row)} cells but {len(names)} columns")
    inputs: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, cell in zip(names, row, strict=False):
        if cell == "":
            continue
        try:
            inputs[name] = typed_cell(cell, properties.get(name, {}))
        except ValueError as exc:
            errors.append(FieldError(field=name, message=str(exc)))
    if errors:
        return InputItem(number, None, tuple(errors), ",".join(row))
    return InputItem(number, inputs)


def typed_cell(cell: str, schema: Mapping[str, Any]) -> Any:
    """One CSV cell as the JSON value its column's schema asks for.

    Raises:
        ValueError: the cell is not of the column's type (the message says what it should be).
    """
    types = _types(schema)
    if cell.strip() == "null" and "null" in types:
        return None
    for kind in ("integer", "number", "boolean", "object", "array"):
        if kind in types:
            try:
                return _PARSERS[kind](cell.strip())
            except ValueError:
                if "string" not in types:
                    raise ValueError(f"{cell!r} is not {_ARTICLES[kind]}") from None
    return cell


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(kind) for kind in declared}
    found: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            if isinstance(option, Mapping):
                found |= _types(option)
    return found or {"string"}


def _integer(text: str) -> int:
    number = _number(text)
    if isinstance(number, float) and not number.is_integer():
        raise ValueError(text)
    return int(number)


def _number(text: str) -> int | float:
    """A JSON number; an integer keeps every digit (a float past 1e308 is refused)."""
    value = loads(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(text)  # noqa: TRY004 - a cell of the wrong type is a value error
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(text)
    return value


def _boolean(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(text)


def _json_of(kind: type) -> Any:
    def parse(text: str) -> Any:
        value = loads(text)
        if not isinstance(value, kind):
            raise ValueError(text)  # noqa: TRY004 - a cell of the wrong type is a value error
        return value

    return parse


_PARSERS: dict[str, Any] = {
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "object": _json_of(dict),
    "array": _json_of(list),
}
_ARTICLES = {
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "a JSON object",
    "array": "a JSON array",
}


def _broken(number: int, text: str, message: str) -> InputItem:
    return InputItem(number, None, (FieldError(field="", message=message),), text)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
