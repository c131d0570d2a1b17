"""`connector emulator [--host 127.0.0.1] [--port 8765] [--spec FILE] [--rate-limit N/Ws]`:
the local emulator, until Ctrl-C.

Without `--spec` it serves Rebilly's payout operations (with state); with `--spec FILE` it
serves any API from its OpenAPI description (validation, responses built from the
description's schemas and examples, generic resource state). It accepts any key, so it
only listens on a loopback address unless `--allow-remote` says otherwise.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path
from typing import Any, Final

from connector._hosts import is_loopback
from connector.cli._output import EXIT_OK, cannot_listen, fail

DEFAULT_PORT = 8765
_RATE: Final = re.compile(r"(\d{1,9})/(\d{1,9}(?:\.\d{1,6})?)s?")


def parse_rate_limit(text: str) -> tuple[int, float]:
    """`3000/600s` -> (3000, 600.0): non-GET requests per window of seconds."""
    match = _RATE.fullmatch(text.strip())
    if match is None or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise ValueError(f"--rate-limit {text!r} is not REQUESTS/SECONDS (for example 3000/600s)")
    return int(match.group(1)), float(match.group(2))


def register(commands: Any) -> None:
    """Add `emulator`."""
    parser = commands.add_parser(
        "emulator",
        help="run the local emulator (Rebilly's payout operations, or --spec FILE) until Ctrl-C",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the emulator accepts any key: think twice)",
    )
    parser.add_argument(
        "--spec",
        metavar="FILE",
        help="serve the API an OpenAPI description (JSON or YAML) describes, "
        "instead of Rebilly's payout operations",
    )
    parser.add_argument(
        "--rate-limit",
        default="3000/600s",
        metavar="N/Ws",
        help="non-GET requests allowed per organization in a sliding window "
        "(default 3000/600s, Rebilly's sandbox)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.set_defaults(handler=run, json=False)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; one line with the URL on stdout, request lines on stderr."""
    from connector.emulator import Emulator

    if not 0 <= args.port <= 65535:
        return fail("usage", f"--port {args.port} is not a port number", as_json=False)
    if not args.allow_remote and not is_loopback(args.host):
        return fail(
            "usage",
            f"--host {args.host} is not a loopback address; the emulator accepts any key, "
            "add --allow-remote to listen there anyway",
            as_json=False,
        )
    try:
        rate_limit = parse_rate_limit(args.rate_limit)
    except ValueError as exc:
        return fail("usage", str(exc), as_json=False)
    api = None
    if args.spec is not None:
        from connector.emulator import DescriptionError, api_from_description, load_description

        try:
            api = api_from_description(load_description(Path(args.spec)))
        except DescriptionError as exc:
            return fail("usage", f"--spec: {exc}", as_json=False)
    emulator = Emulator(host=args.host.strip("[]"), port=args.port, rate_limit=rate_limit, api=api)
    if not args.quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        logger = logging.getLogger("connector.emulator")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:  # everything from here on inside: a Ctrl-C at any point stops cleanly
        try:
            emulator.start()
        except OSError as exc:
            return cannot_listen(args.host, args.port, exc)
        scope = emulator.app.api.scope
        base = emulator.url + emulator.app.api.base_path(f"<{scope}>" if scope else "")
        sys.stdout.write(f"connector emulator: {emulator.url} (base URL {base}; Ctrl-C stops it)\n")
        sys.stdout.flush()
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return EXIT_OK
