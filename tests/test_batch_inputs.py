"""Reading a batch's inputs: JSON Lines, a JSON array, CSV typed by the input schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector import Task
from connector._errors import UsageError
from connector.batch import detect_format, read_inputs, typed_cell


def write(path: Path, text: str) -> Path:
    """Write a file and return its path."""
    path.write_text(text, encoding="utf-8")
    return path


def test_json_lines_skip_blank_lines_and_keep_line_numbers(tmp_path: Path) -> None:
    """Each non-blank line is one input, numbered by its line in the file."""
    items = list(read_inputs(write(tmp_path / "a.jsonl", '{"a": 1}\n\n{"a": 2}\n')))
    assert [(item.line, item.inputs) for item in items] == [(1, {"a": 1}), (3, {"a": 2})]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param('{"a": ', "not valid JSON", id="broken"),
        pytest.param("[1, 2]", "an input must be a JSON object", id="not-an-object"),
        pytest.param('{"a": NaN}', "not valid JSON", id="nan"),
    ],
)
def test_an_unreadable_line_is_an_item_with_an_error(
    tmp_path: Path, line: str, message: str
) -> None:
    """A bad line does not stop the reading: it is an item with its problem."""
    items = list(read_inputs(write(tmp_path / "a.jsonl", f'{{"a": 1}}\n{line}\n{{"a": 3}}\n')))
    assert [item.line for item in items] == [1, 2, 3]
    assert items[1].inputs is None
    assert message in items[1].errors[0].message


def test_a_json_array_gives_each_element_the_line_it_starts_on(tmp_path: Path) -> None:
    """Array elements are numbered by the line of their opening brace."""
    text = '[\n  {"a": 1},\n  {"a": 2,\n   "b": 3},\n  "x"\n]\n'
    items = list(read_inputs(write(tmp_path / "a.json", text)))
    assert [item.line for item in items] == [2, 3, 5]
    assert items[1].inputs == {"a": 2, "b": 3}
    assert items[2].inputs is None


def test_a_broken_json_array_is_a_usage_error(tmp_path: Path) -> None:
    """A file that cannot be read as a whole stops the run before anything is sent."""
    with pytest.raises(UsageError, match="not a valid JSON array"):
        list(read_inputs(write(tmp_path / "a.json", '[{"a": 1}, {"a": ]')))


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    """A file that does not exist is named in the error."""
    with pytest.raises(UsageError, match="cannot read --inputs"):
        list(read_inputs(tmp_path / "missing.jsonl"))


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param("a.csv", "a,b\n", "csv", id="csv-extension"),
        pytest.param("a.json", '  [{"a": 1}]', "json", id="array"),
        pytest.param("a.json", '{"a": 1}\n', "jsonl", id="lines-named-json"),
        pytest.param("a.txt", "", "jsonl", id="empty"),
    ],
)
def test_the_format_is_detected(tmp_path: Path, name: str, text: str, expected: str) -> None:
    """CSV by extension; a leading `[` is an array; anything else is JSON Lines."""
    assert detect_format(write(tmp_path / name, text)) == expected


def test_csv_cells_are_typed_through_the_task_input_schema(tmp_path: Path, task: Task) -> None:
    """Numbers, booleans and strings as the task's inputs declare them; empty cells left out."""
    text = (
        "id,organizationId,websiteId,customerId,currency,amount,blocked,description\n"
        'po-1,org-1,web-1,cust-1,USD,10.50,true,"Weekly, with a comma"\n'
        "po-2,org-1,web-1,cust-1,USD,7,,\n"
    )
    items = list(read_inputs(write(tmp_path / "a.csv", text), schema=task.input_schema()))
    assert [item.line for item in items] == [2, 3]
    assert items[0].inputs is not None
    assert items[0].inputs["amount"] == 10.5
    assert items[0].inputs["blocked"] is True
    assert items[0].inputs["description"] == "Weekly, with a comma"
    assert items[0].inputs["id"] == "po-1"
    assert items[1].inputs == {
        "id": "po-2",
        "organizationId": "org-1",
        "websiteId": "web-1",
        "customerId": "cust-1",
        "currency": "USD",
        "amount": 7,
    }


def test_a_csv_cell_of_the_wrong_type_names_its_column(tmp_path: Path, task: Task) -> None:
    """The item carries one error per bad cell, by column name, and nothing to send."""
    text = "id,amount,blocked\npo-1,ten,maybe\n"
    (item,) = read_inputs(write(tmp_path / "a.csv", text), schema=task.input_schema())
    assert item.inputs is None
    assert [(e.field, e.message) for e in item.errors] == [
        ("amount", "'ten' is not a number"),
        ("blocked", "'maybe' is not a boolean (true or false)"),
    ]


def test_a_csv_record_over_several_lines_is_numbered_by_its_first_line(tmp_path: Path) -> None:
    """A quoted newline keeps the record together; the next record's line is right."""
    text = 'id,description\npo-1,"two\nlines"\npo-2,one\n'
    items = list(read_inputs(write(tmp_path / "a.csv", text)))
    assert [(item.line, item.inputs) for item in items] == [
        (2, {"id": "po-1", "description": "two\nlines"}),
        (4, {"id": "po-2", "description": "one"}),
    ]


@pytest.mark.parametrize(
    ("cell", "schema", "expected"),
    [
        pytest.param("12", {"type": "integer"}, 12, id="integer"),
        pytest.param("1.0", {"type": "integer"}, 1, id="integral-float"),
        pytest.param("1e3", {"type": "number"}, 1000.0, id="exponent"),
        pytest.param("null", {"type": ["string", "null"]}, None, id="null"),
        pytest.param("no", {"type": "boolean"}, False, id="no"),
        pytest.param('{"a": 1}', {"type": "object"}, {"a": 1}, id="object"),
        pytest.param("007", {"type": "string"}, "007", id="string-kept"),
        pytest.param("x", {"type": ["number", "string"]}, "x", id="number-or-string"),
        pytest.param("5", {}, "5", id="untyped"),
    ],
)
def test_typed_cell(cell: str, schema: dict[str, Any], expected: Any) -> None:
    """One cell as its column's schema asks."""
    assert typed_cell(cell, schema) == expected


def test_the_digest_changes_with_the_input_and_not_with_key_order(tmp_path: Path) -> None:
    """A resumed run recognises a line by its content, whatever the key order."""
    first, second, third = read_inputs(
        write(tmp_path / "a.jsonl", '{"a": 1, "b": 2}\n{"b": 2, "a": 1}\n{"a": 1, "b": 3}\n')
    )
    assert first.digest == second.digest != third.digest


def test_a_line_over_the_size_cap_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line longer than the cap (an endless one, say) is refused by its number; the file
    as a whole may be longer than the cap."""
    monkeypatch.setenv("CONNECTOR_MAX_INPUT_SIZE", "1K")
    fine = "".join(f'{{"a": {n}}}\n' for n in range(200))
    assert len(list(read_inputs(write(tmp_path / "long.jsonl", fine)))) == 200
    path = write(tmp_path / "wide.jsonl", '{"a": 1}\n{"a": "' + "x" * 2000 + '"}\n')
    with pytest.raises(UsageError, match="line 2 is longer than the 1,024-byte limit"):
        list(read_inputs(path))


def test_a_byte_that_is_not_utf8_names_its_line_and_column(tmp_path: Path) -> None:
    """The file is refused, naming where the first bad byte is."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "\xff"}\n')
    with pytest.raises(UsageError, match=r"not UTF-8 text \(line 2, column 8\)"):
        list(read_inputs(path))


def test_a_json_lines_input_nested_too_deep_is_that_lines_problem(tmp_path: Path) -> None:
    """A line nested 100,000 deep is an item with its problem; the others still read."""
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    items = list(read_inputs(write(tmp_path / "in.jsonl", f'{{"a": 1}}\n{deep}\n')))
    assert items[0].inputs == {"a": 1}
    assert "nests deeper" in items[1].errors[0].message


def test_a_400_digit_number_in_a_number_column_is_kept_whole() -> None:
    """A CSV number column keeps a 400-digit integer (no float overflow); 1e999 is refused."""
    assert typed_cell("9" * 400, {"type": "number"}) == int("9" * 400)
    assert typed_cell("9" * 400, {"type": "integer"}) == int("9" * 400)
    with pytest.raises(ValueError, match="is not a number"):
        typed_cell("1e999", {"type": "number"})
