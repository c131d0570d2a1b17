"""`connector list` starts light: read without argparse, with no heavy module imported.

The start-up figure itself is in `benchmarks/render.py`; these tests guard what it rests on,
without timing anything: which modules a real `connector list` imports, and that its quick
reading of the arguments and the per-command parser agree with the whole argparse parser.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli._catalog import quick_list_args
from connector.cli._logging import LEVELS
from connector.cli._parser import COMMANDS, build_parser, command_of

HEAVY = (
    "pydantic",
    "jinja2",
    "requests",
    "rich",
    "tenacity",
    "yaml",
    "asyncio",
    "argparse",
    "logging",
    "dataclasses",
    "typing",
    "platformdirs",
)
"""Each costs `list` a measurable share of its start-up (see benchmarks/render.py)."""


def _imported_by(argv: list[str], home: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CONNECTOR_CATALOG", "XDG_DATA_HOME")}
    env["HOME"] = str(home)  # the per-user catalogue of an empty home, found without platformdirs
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "connector", *argv],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    assert "upsert-payout-request" in done.stdout
    return set(re.findall(r"^import time:.*\|\s*(\S+)$", done.stderr, re.MULTILINE))


@pytest.mark.parametrize(
    "argv",
    [pytest.param(["list"], id="list"), pytest.param(["list", "--json"], id="json")],
)
def test_list_imports_no_heavy_module(argv: list[str], tmp_path: Path) -> None:
    """A real `connector list` run imports none of the modules that would slow its start."""
    modules = _imported_by(argv, tmp_path)
    assert "connector._store" in modules  # the check sees the run's imports
    heavy = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    if not sys.platform.startswith("linux"):
        heavy = [m for m in heavy if m != "platformdirs"]  # the fast path is Linux's only
    assert heavy == [], (
        f"`connector list` imports {heavy}: import them inside the function that needs them "
        "(typing: `TYPE_CHECKING = False` then `if TYPE_CHECKING:`, as connector/_store.py)"
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["list"], id="plain"),
        pytest.param(["list", "--json"], id="json"),
        pytest.param(["list", "--api", "rebilly"], id="api"),
        pytest.param(["list", "--api=Rebilly", "--json"], id="api-equals"),
        pytest.param(["list", "--json", "--api", ""], id="api-empty"),
        pytest.param(["list", "--api", "a", "--api", "b"], id="api-twice"),
    ],
)
def test_quick_list_args_read_as_argparse_does(argv: list[str]) -> None:
    """The quick reading of `list` gives exactly the namespace the whole parser gives."""
    quick = quick_list_args(argv)
    assert quick is not None
    assert vars(quick) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="nothing"),
        pytest.param(["render", "x"], id="other-command"),
        pytest.param(["list", "--help"], id="help"),
        pytest.param(["list", "--js"], id="abbreviation"),
        pytest.param(["list", "--api"], id="api-without-value"),
        pytest.param(["list", "--api", "-x"], id="api-option-like"),
        pytest.param(["list", "-v"], id="verbose"),
        pytest.param(["-v", "list"], id="verbose-first"),
        pytest.param(["list", "extra"], id="extra-word"),
        pytest.param(["list", "--", "--json"], id="double-dash"),
    ],
)
def test_quick_list_args_leave_the_rest_to_argparse(argv: list[str]) -> None:
    """Anything but plain `list` arguments is left to argparse (help, errors, -v)."""
    assert quick_list_args(argv) is None


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_commands_name_each_command_and_its_module() -> None:
    """`COMMANDS` lists every command in `--help` order; each one's parser is the same alone."""
    every = _commands(build_parser())
    assert list(COMMANDS) == list(every)
    for name, whole in every.items():
        alone = _commands(build_parser(name))[name]
        assert alone.format_help() == whole.format_help(), name


def test_no_top_level_option_value_is_a_command() -> None:
    """The command is the first word that is not an option: no option value can be one."""
    assert not set(LEVELS) & set(COMMANDS)
    assert command_of(["--log-level", "debug", "render", "x"]) == "debug"  # unknown: all built
    assert command_of(["-v", "render", "--json"]) == "render"
    assert command_of(["--version"]) is None
