"""A task argument is a name unless written as a path: a file in the working directory named
like a shipped task never replaces it (`connector._catalog.written_as_path`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connector._catalog import written_as_path

TEMPLATES = Path(__file__).resolve().parent.parent / "task_templates"


@pytest.mark.parametrize(
    ("text", "is_path"),
    [
        ("cancel-payout-request", False),
        ("petstore/list-pets", False),
        ("cancel-payout-request.json", True),
        ("./cancel-payout-request", True),
        ("../tasks/x", True),
        ("/tmp/x", True),
        ("tasks/api/x", True),
    ],
)
def test_what_is_written_as_a_path(text: str, is_path: bool) -> None:
    """A `.json` suffix, a leading `./`, `../` or `/`, or three parts make a path."""
    assert written_as_path(text) is is_path


def _describe(cwd: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", "describe", name],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "CONNECTOR_CATALOG": str(cwd / "catalog")},
        check=False,
    )


def test_a_file_named_like_a_shipped_task_does_not_replace_it(tmp_path: Path) -> None:
    """A file `cancel-payout-request` in the working directory (another task's template
    inside): the name still means the shipped task; `./cancel-payout-request` reads the file."""
    impostor = json.loads((TEMPLATES / "create-payout-request.json").read_text())
    (tmp_path / "cancel-payout-request").write_text(json.dumps(impostor))
    by_name = _describe(tmp_path, "cancel-payout-request")
    assert by_name.returncode == 0, by_name.stderr
    assert by_name.stdout.startswith("cancel-payout-request: Cancel a payout request")
    by_path = _describe(tmp_path, "./cancel-payout-request")
    assert by_path.stdout.startswith("create-payout-request:")


def test_a_file_that_is_not_a_task_name_is_read_only_as_a_path(tmp_path: Path) -> None:
    """`describe mytask` with a file `mytask` here: no such task, and the message says how to
    read the file."""
    (tmp_path / "mytask").write_text((TEMPLATES / "create-payout-request.json").read_text())
    done = _describe(tmp_path, "mytask")
    assert done.returncode == 2
    assert "write it as a path: ./mytask" in done.stderr


def test_catalog_import_json_of_a_file_that_is_not_a_description(tmp_path: Path) -> None:
    """`catalog import --json` of JSON that is no description prints the FAILED shape with
    the reason (it was a traceback), exit 2."""
    for name, text in [("a.json", '{"a": 1}'), ("b.json", "[1, 2]"), ("c.yaml", "a: [\n")]:
        (tmp_path / name).write_text(text)
        done = subprocess.run(
            [sys.executable, "-m", "connector", "catalog", "import", "--json", name],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={**os.environ, "CONNECTOR_CATALOG": str(tmp_path / "catalog")},
            check=False,
        )
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        error = json.loads(done.stdout)["error"]
        assert error["kind"] == "usage"
        assert name in error["message"]
