"""The `connector` command line.

Each command lives in its own module with `register(subparsers)`; modules import their heavy
dependencies inside the command, so `connector list` starts without loading the HTTP stack.
`connector list` (which scripts and palettes call most) is read without argparse when its
arguments are plain (`_catalog.quick_list_args`, compared with argparse by a test); every
other run builds the parser of its own command (`_parser`).
Exit codes: see `EXIT_CODES` (0 success; 1 sent but FAILED; 2 nothing was sent or built;
3 a server could not start listening; 130 interrupted).
"""

from __future__ import annotations

import sys

from connector.cli._logging import configure_logging
from connector.cli._output import EXIT_USAGE

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command registered, or only those of `command`'s module."""
    from connector.cli._parser import build_parser as build

    return build(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code."""
    from connector.cli._catalog import quick_list_args

    argv = list(sys.argv[1:] if argv is None else argv)
    args: Any = quick_list_args(argv)
    if args is None:
        from connector.cli._parser import parse_args

        try:
            args = parse_args(argv)
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
