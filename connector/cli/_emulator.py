"""`connector emulator [--host 127.0.0.1] [--port 8765]`: the local Rebilly emulator, until Ctrl-C.

It accepts any key, so it only listens on a loopback address unless `--allow-remote` says
otherwise.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from connector._hosts import is_loopback
from connector.cli._output import EXIT_OK, cannot_listen, fail

DEFAULT_PORT = 8765


def register(commands: Any) -> None:
    """Add `emulator`."""
    parser = commands.add_parser(
        "emulator", help="run the local Rebilly emulator (payout requests) until Ctrl-C"
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
    emulator = Emulator(host=args.host.strip("[]"), port=args.port)
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
        sys.stdout.write(
            f"connector emulator: {emulator.url} "
            f"(base URL {emulator.base_url('<organizationId>')}; Ctrl-C stops it)\n"
        )
        sys.stdout.flush()
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return EXIT_OK
