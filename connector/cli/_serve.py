"""`connector serve [--host 127.0.0.1] [--port N] [--token T]`: the local web service and page."""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from typing import Any

from connector._hosts import is_loopback
from connector.cli._output import EXIT_OK, EXIT_USAGE, cannot_listen

DEFAULT_PORT = 8780
TOKEN_ENV = "CONNECTOR_SERVE_TOKEN"  # noqa: S105 (a variable name, not a secret)


def register(commands: Any) -> None:
    """Add `serve`."""
    parser = commands.add_parser(
        "serve", help="the web page: palette, form, dry run, test request, export and import"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help="port (default: %(default)s)"
    )
    parser.add_argument(
        "--token",
        help=f"API token, required when bound beyond loopback (default: ${TOKEN_ENV}, "
        "or a generated one)",
    )
    parser.set_defaults(handler=run)


def port_number(text: str) -> int:
    """A TCP port from 1 to 65535, for argparse."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return int(text)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    try:
        import uvicorn

        from connector._host_guard import allowed_hosts_for
        from connector.service import create_app
        from connector.service._http import HeaderTimeoutProtocol
    except ImportError:
        sys.stderr.write(
            "error: the web service needs the 'serve' extra: pip install 'connector[serve]'\n"
        )
        return EXIT_USAGE
    loopback = is_loopback(args.host)
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if not loopback and token is None:
        token = secrets.token_urlsafe(24)
    try:  # bound here, so that a port in use is one message, not a server's traceback
        listener = socket.create_server((args.host.strip("[]"), args.port))
    except OSError as exc:
        return cannot_listen(args.host, args.port, exc)
    app = create_app(token=token, allowed_hosts=allowed_hosts_for(args.host))
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}/"
    sys.stderr.write(f"connector: serving the page on {url}\n")
    if token is not None and not args.token and not os.environ.get(TOKEN_ENV):
        sys.stderr.write(f"connector: open {url}#token={token} (generated API token)\n")
    config = uvicorn.Config(app, log_level="warning", http=HeaderTimeoutProtocol)
    server = uvicorn.Server(config)
    with listener:
        server.run(sockets=[listener])
    return EXIT_OK
