"""YAML aliases and merge keys are counted before a description is built: an alias bomb is one
message in bounded memory and time, a recursive alias is refused, and ordinary anchors read."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from connector._errors import DescriptionError
from connector.openapi import parse_text
from connector.openapi._aliases import ExpansionError, check_expansion

HEAD = "openapi: 3.0.0\ninfo: {title: Bomb, version: '1'}\n"


def _laughs(levels: int = 9) -> str:
    """The classic bomb: nine lists of nine aliases of the list before (688 bytes or so)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        aliases = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


BOMB_AS_EXAMPLE = (
    HEAD
    + _laughs()
    + """paths:
  /x:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: array, example: *l8}
      responses: {'200': {description: ok}}
"""
)
BOMB_AS_ENUM = BOMB_AS_EXAMPLE.replace("example: *l8", "enum: *l8")
MERGE_BOMB = (
    HEAD
    + "m0: &m0 {a: 1, b: 2}\n"
    + "".join(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}\n" for i in range(1, 40))
)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(BOMB_AS_EXAMPLE, id="laughs-as-example"),
        pytest.param(BOMB_AS_ENUM, id="laughs-as-enum"),
        pytest.param(MERGE_BOMB, id="merge-keys"),
    ],
)
def test_an_alias_bomb_is_refused_before_it_is_built(text: str) -> None:
    """Nested aliases or merge keys that expand past the limit are one DescriptionError."""
    with pytest.raises(DescriptionError, match="YAML aliases expand it to"):
        parse_text(text, source="bomb.yaml")


def test_a_recursive_alias_is_refused_with_its_place() -> None:
    """`&a [*a]` cannot be written out as JSON: refused, naming line and column."""
    with pytest.raises(DescriptionError, match=r"refers to a node inside itself \(line 3"):
        parse_text(HEAD + "a: &a [1, *a]\n", source="loop.yaml")


def test_ordinary_anchors_and_merge_keys_still_read() -> None:
    """A shared parameter and a merged mapping read as before."""
    document = parse_text(
        HEAD + "x-base: &base {type: string, maxLength: 9}\nx-id: {<<: *base, pattern: '^a'}\n",
        source="ok.yaml",
    )
    assert document["x-id"] == {"type": "string", "maxLength": 9, "pattern": "^a"}


def test_the_count_adds_what_aliases_add() -> None:
    """A document without aliases passes whatever its size; aliases are counted expanded."""
    node = yaml.compose("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n")
    assert node is not None
    check_expansion(node, limit=12)  # 20 nodes expanded, 8 written
    with pytest.raises(ExpansionError):
        check_expansion(node, limit=11)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize(
    "text", [BOMB_AS_EXAMPLE, BOMB_AS_ENUM, MERGE_BOMB], ids=["ex", "enum", "merge"]
)
def test_catalog_import_of_an_alias_bomb_is_one_message(tmp_path: Path, text: str) -> None:
    """`catalog import` of the bomb file, under a 1 GiB address-space limit: exit 2 and one
    message (it reached gigabytes, a MemoryError traceback or a native abort)."""
    spec = tmp_path / "bomb.yaml"
    spec.write_text(text)
    assert len(BOMB_AS_EXAMPLE.encode()) < 1000
    done = subprocess.run(
        [sys.executable, "-m", "connector", "catalog", "import", str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CONNECTOR_CATALOG": str(tmp_path / "catalog")},
        preexec_fn=_limit_memory,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {spec}: its YAML aliases expand it to")
    assert "Traceback" not in done.stderr
