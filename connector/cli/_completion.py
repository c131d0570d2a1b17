"""`connector completion bash|zsh|tcsh`: a shell completion script for every command."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from connector.cli._output import EXIT_OK

SHELLS = ("bash", "zsh", "tcsh")


def register(commands: Any) -> None:
    """Add `completion`."""
    parser = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL. Install it with, for bash: "
        "connector completion bash > ~/.local/share/bash-completion/completions/connector",
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the script generated from the command line's own parser."""
    import shtab

    from connector.cli._parser import build_parser

    sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK
