"""The `connector` command line.

Each command lives in its own module with `register(subparsers)`; modules import their heavy
dependencies inside the command, so `connector list` starts without loading the HTTP stack.
Exit codes: see `EXIT_CODES` (0 success; 1 sent but FAILED; 2 nothing was sent or built;
3 a server could not start listening; 130 interrupted).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from connector._version import __version__
from connector.cli._logging import add_logging_arguments, configure_logging
from connector.cli._output import EXIT_CODES, EXIT_USAGE, fail

COMMAND_MODULES = (
    "connector.cli._catalog",
    "connector.cli._import",
    "connector.cli._render",
    "connector.cli._serve",
    "connector.cli._test_request",
    "connector.cli._run",
    "connector.cli._emulator",
    "connector.cli._engines",
    "connector.cli._workflow",
    "connector.cli._worker",
    "connector.cli._completion",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error honours --json and exits 2."""

    json_errors = False

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SystemExit(fail("usage", f"{self.prog}: {message}", as_json=self.json_errors))


def build_parser() -> argparse.ArgumentParser:
    """The parser with every command registered."""
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
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    for subparser in commands.choices.values():  # also accepted after the command
        add_logging_arguments(subparser, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_errors = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already reported
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    configure_logging(args.verbose, args.log_level)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_USAGE
    return code
