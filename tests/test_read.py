"""The bounded reader: a size cap with one message, UTF-8 errors by line and column, and every
command that reads a file or stdin refusing `/dev/zero` and an endless pipe in bounded
memory, as a user would meet them (the real CLI process)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from connector._errors import DescriptionError, TemplateError, UsageError
from connector._read import SIZE_ENV, max_input_bytes, read_json, read_text

TEMPLATES = Path(__file__).resolve().parent.parent / "task_templates"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PEAK_BYTES = 400 << 20
"""What one refusing CLI process may peak at (Python, the package and a 1 MiB cap)."""


def test_the_size_cap_is_read_from_the_environment() -> None:
    """`CONNECTOR_MAX_INPUT_SIZE` takes bytes or K/M/G; unset, the cap is 64 MiB."""
    assert max_input_bytes({}) == 64 << 20
    assert max_input_bytes({SIZE_ENV: "2048"}) == 2048
    assert max_input_bytes({SIZE_ENV: "256M"}) == 256 << 20
    assert max_input_bytes({SIZE_ENV: "1g"}) == 1 << 30


@pytest.mark.parametrize("value", ["lots", "-1", "0", "12T", "9" * 30])
def test_a_size_that_is_not_one_is_a_usage_error(value: str) -> None:
    """A cap that is not a positive size is refused, naming the variable."""
    with pytest.raises(UsageError, match=SIZE_ENV):
        max_input_bytes({SIZE_ENV: value})


def test_a_file_over_the_cap_is_refused_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file one byte over the cap is refused with the cap and how to raise it."""
    monkeypatch.setenv(SIZE_ENV, "1K")
    path = tmp_path / "big.json"
    path.write_text(" " * 1024 + "{}")
    with pytest.raises(TemplateError, match=rf"larger than the 1,024-byte limit.*{SIZE_ENV}"):
        read_json(path, error=TemplateError)
    path.write_text(" " * 1020 + "{}")
    assert read_json(path) == {}


def test_dev_zero_is_refused_after_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A device that never ends is read only up to the cap."""
    monkeypatch.setenv(SIZE_ENV, "64K")
    with pytest.raises(DescriptionError, match="/dev/zero is larger than"):
        read_text("/dev/zero", error=DescriptionError)


def test_text_that_is_not_utf8_is_named_by_line_and_column(tmp_path: Path) -> None:
    """The first byte that is not UTF-8 is named by its line and column."""
    path = tmp_path / "latin.json"
    path.write_bytes(b'{\n  "name": "caf\xe9"\n}')
    with pytest.raises(UsageError, match=r"not UTF-8 text \(line 2, column 15\)"):
        read_json(path, label="--input")


def test_json_errors_name_the_line_and_column(tmp_path: Path) -> None:
    """A JSON syntax error keeps the parser's line and column."""
    path = tmp_path / "broken.json"
    path.write_text('{\n  "a": 1,\n}')
    with pytest.raises(UsageError, match=r"line 3 column 1"):
        read_json(path)


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    """A UTF-8 file saved with a byte-order mark reads as the same JSON."""
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_json(path) == {"a": 1}


def _template_file(tmp_path: Path) -> Path:
    path = tmp_path / "task.json"
    path.write_text((TEMPLATES / "create-payout-request.json").read_text())
    return path


def _workflow_file(tmp_path: Path) -> Path:
    path = tmp_path / "payout-lifecycle.arazzo.yaml"
    path.write_text((EXAMPLES / "payout-lifecycle" / "payout-lifecycle.arazzo.yaml").read_text())
    return path


def _commands(tmp_path: Path, source: str) -> dict[str, list[str]]:
    """Every command that reads a file or stdin, with `source` in the place read."""
    template = str(_template_file(tmp_path))
    workflow = str(_workflow_file(tmp_path))
    inputs = tmp_path / "in.json"
    inputs.write_text("{}")
    return {
        "render --input": ["render", template, "--input", source],
        "test-request --input": ["test-request", template, "--input", source],
        "validate": ["validate", source],
        "import": ["import", "--engine", "conductor", source],
        "workflow run": ["workflow", "run", source, "--input", str(inputs)],
        "workflow run --input": ["workflow", "run", workflow, "--input", source],
        "emulator --spec": ["emulator", "--spec", source, "--port", "0"],
        "catalog import": ["catalog", "import", source],
        "run --inputs": ["run", template, "--inputs", source],
    }


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _connector(
    argv: list[str], tmp_path: Path, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, SIZE_ENV: "1M", "CONNECTOR_CATALOG": str(tmp_path / "catalog")}
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "connector", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        preexec_fn=_limit_memory,
        check=False,
        **kwargs,
    )


MEASURE = """
import resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
done = subprocess.run(sys.argv[2:], preexec_fn=limit, stdin=subprocess.DEVNULL,
                      stdout=subprocess.DEVNULL, timeout=60, check=False)
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024))
sys.exit(done.returncode)
"""
"""Runs the command from a small process and writes its peak resident memory: a child forked
from the test process itself would start with the test process's memory counted as its own."""


def _connector_peak(argv: list[str], tmp_path: Path) -> tuple[int, str, int]:
    """Run the CLI; its exit code, its stderr, and the peak resident memory of that process
    alone."""
    env = {**os.environ, SIZE_ENV: "1M", "CONNECTOR_CATALOG": str(tmp_path / "catalog")}
    peak_file = tmp_path / "peak.txt"
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(peak_file), sys.executable, "-m", "connector", *argv],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    return done.returncode, done.stderr, int(peak_file.read_text())


@pytest.mark.parametrize(
    "command",
    [
        "render --input",
        "test-request --input",
        "validate",
        "import",
        "workflow run",
        "workflow run --input",
        "emulator --spec",
        "catalog import",
        "run --inputs",
    ],
)
def test_dev_zero_is_one_message_in_bounded_memory(tmp_path: Path, command: str) -> None:
    """`/dev/zero` given to any command that reads a file: one message, exit 2, no traceback,
    under 1 GiB of address space."""
    code, stderr, peak = _connector_peak(_commands(tmp_path, "/dev/zero")[command], tmp_path)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert "1,048,576-byte limit" in stderr
    assert SIZE_ENV in stderr
    assert peak < PEAK_BYTES


@pytest.mark.parametrize("command", ["render --input", "validate", "import", "catalog import"])
def test_an_endless_pipe_on_stdin_is_refused(tmp_path: Path, command: str) -> None:
    """2 MiB of zeros piped to a command reading stdin (`-`) stops at the cap."""
    argv = _commands(tmp_path, "-")[command]
    if command == "catalog import":
        argv = ["catalog", "import", "/dev/stdin"]
    done = _connector(argv, tmp_path, input="\0" * (2 << 20))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "1,048,576-byte limit" in done.stderr


def test_a_lone_surrogate_escape_is_refused_naming_its_field(tmp_path: Path) -> None:
    """`"\\ud800"` is JSON but not Unicode: refused with the field that holds it."""
    path = tmp_path / "doc.json"
    path.write_text('{"tasks": [{"method": "\\ud800"}]}')
    with pytest.raises(UsageError, match=r"tasks\.0\.method holds a lone surrogate"):
        read_json(path)
    assert read_json(path, surrogates=True)["tasks"][0]["method"] == "\ud800"
