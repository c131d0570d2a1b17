"""The argparse parser of every command; `connector list` is read without it (`_catalog`).

A run builds the parser of its own command's module only (`COMMANDS` says which module
registers which command; a test compares it with the whole parser): `connector render` does
not import the modules of `run` or `serve`. `--help`, completion and anything unsure (no
command, an unknown one) build them all.
"""

from __future__ import annotations

import argparse
import importlib

from connector._version import __version__
from connector.cli._logging import add_logging_arguments
from connector.cli._output import EXIT_CODES, fail

TYPE_CHECKING = False  # not typing's: the CLI starts without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Final

COMMANDS: Final = {  # command -> the module that registers it, in the order `--help` lists them
    "list": "connector.cli._catalog",
    "describe": "connector.cli._catalog",
    "validate": "connector.cli._catalog",
    "catalog": "connector.cli._import",
    "search": "connector.cli._import",
    "overlay": "connector.cli._overlay",
    "render": "connector.cli._render",
    "serve": "connector.cli._serve",
    "test-request": "connector.cli._test_request",
    "run": "connector.cli._run",
    "emulator": "connector.cli._emulator",
    "export": "connector.cli._engines",
    "import": "connector.cli._engines",
    "push": "connector.cli._engines",
    "workflow": "connector.cli._workflow",
    "worker": "connector.cli._worker",
    "completion": "connector.cli._completion",
}


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Sub-commands whose `--help` opens with the sentence the command list shows for them."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Register a command; its description defaults to its one-line help, as a sentence."""
        summary = kwargs.get("help")
        if kwargs.get("description") is None and isinstance(summary, str) and summary:
            kwargs["description"] = summary[0].upper() + summary[1:].rstrip(".") + "."
        parser: argparse.ArgumentParser = super().add_parser(name, **kwargs)
        return parser


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error honours --json and exits 2, and every sub-command's
    `--help` says what the command does."""

    json_errors = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """An argparse parser whose sub-command groups are `_Commands`."""
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Commands)

    def error(self, message: str) -> None:  # type: ignore[override]
        """Report a usage error (with a did-you-mean for a mistyped choice) and exit 2."""
        text = f"{self.prog}: {message}{_near_choice(message)}"
        raise SystemExit(fail("usage", text, as_json=self.json_errors))


def _near_choice(message: str) -> str:
    """` (did you mean 'x'?)` for argparse's "invalid choice: 'y' (choose from ...)"."""
    import re

    from connector._suggest import did_you_mean

    found = re.match(r".*invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if not found:
        return ""
    return did_you_mean(found.group(1), [c.strip("'") for c in found.group(2).split(", ")])


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command registered, or only those of `command`'s module."""
    parser = _Parser(
        prog="connector",
        description="API operations as workflow steps.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"connector {__version__}")
    add_logging_arguments(parser, default=None)
    commands = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=_Parser,
        title="commands",
        help="run `connector COMMAND --help` for what each does",
    )
    commands.required = True
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(name).register(commands)
    for subparser in commands.choices.values():  # also accepted after the command
        add_logging_arguments(subparser, default=argparse.SUPPRESS)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The command a run names: its first word that is not an option (no top-level option
    takes a command name as its value); None for `--help`, `--version` or nothing."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments of a run, read by the parser of its command.

    Raises:
        SystemExit: --help, --version, or a usage error (already reported).
    """
    _Parser.json_errors = "--json" in argv
    return build_parser(command_of(argv)).parse_args(argv)
