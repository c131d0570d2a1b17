"""`-v` / `--log-level`: the per-attempt log lines (and more) on stderr, for every command."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    import argparse

LEVELS = ("debug", "info", "warning", "error")


def add_logging_arguments(parser: argparse.ArgumentParser, *, default: object) -> None:
    """Add -v (repeatable) and --log-level to `parser`."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0 if default is None else default,
        help="log each attempt on stderr (-vv: debug detail as well)",
    )
    parser.add_argument(
        "--log-level",
        choices=LEVELS,
        default=default,
        type=str.lower,
        help="log level of the connector logger on stderr (default: warning)",
    )


def configure_logging(verbose: int, level: str | None) -> None:
    """One stderr handler on the `connector` logger; its messages never hold a secret."""
    if level is None and not verbose:
        return  # nothing asked: logging stays as Python configures it (warnings and above)
    import logging  # only when asked for: most runs never configure it

    if level is None:
        level = "info" if verbose == 1 else "debug"
    logger = logging.getLogger("connector")
    logger.setLevel(level.upper())
    if not any(getattr(h, "connector_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        handler.connector_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
