"""A known key in the environment appears in no output, error, warning or log line of any command.

Every command runs in a subprocess with `REBILLY_API_KEY` set, Python warnings on and the
root logger at DEBUG on stderr; the servers on loopback do receive the key.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _scripted_server import Reply, ScriptedServer

from connector.cli import build_parser
from connector.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "upsert-payout-request.json")
TEMPLATE = str(ROOT / "task_templates" / "upsert-payout-request.json")
KEY = "sk_sandbox_SECRETKEY0123456789"
TASK = "upsert-payout-request"

LAUNCH = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG); "
    "from connector.cli import main; sys.exit(main(sys.argv[1:]))"
)

LONG_RUNNING = frozenset({"serve", "emulator", "worker"})
"""Commands that serve until stopped: only their help is run."""


def connector(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line with the key in the environment; output captured."""
    env = {**os.environ, "REBILLY_API_KEY": KEY, "PYTHONWARNINGS": "always"}
    env.pop("REBILLY_JWT", None)
    return subprocess.run(  # noqa: PLW1510 (the exit code is the command's business here)
        [sys.executable, "-c", LAUNCH, *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=60,
        cwd=ROOT,
    )


def assert_no_key(result: subprocess.CompletedProcess[str]) -> None:
    """Neither stream holds the key, nor a long piece of it."""
    for stream in (result.stdout, result.stderr):
        assert KEY not in stream
        assert KEY[len("sk_sandbox_") :] not in stream


def commands() -> list[str]:
    """Every command the command line has today."""
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(subparsers.choices)


def argument_lists(base_url: str, tmp: Path) -> Iterator[list[str]]:
    """Arguments exercising each command; long-running and unknown ones get `--help`."""
    known = {
        "list": [["list"], ["list", "--json"]],
        "describe": [["describe", TASK], ["describe", TASK, "--json"]],
        "validate": [["validate", TEMPLATE], ["validate", TEMPLATE, "--json"]],
        "render": [
            ["render", TASK, "--input", EXAMPLE],
            ["render", TASK, "--input", EXAMPLE, "--json"],
        ],
        "test-request": [
            ["test-request", TASK, "--input", EXAMPLE, "--base-url", base_url],
            ["test-request", TASK, "--input", EXAMPLE, "--base-url", base_url, "--json"],
        ],
        "export": [
            ["export", TASK, "--engine", "conductor", "-o", str(tmp / "conductor.json")],
            ["export", TASK, "--engine", "simworkflow"],
        ],
    }
    for name in commands():
        if name in known:
            yield from known[name]
        else:
            yield [name, "--help"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """An emulator that accepts only the known key."""
    with Emulator(api_keys=[KEY]) as running:
        yield running


def test_every_command_keeps_the_key_secret(emulator: Emulator, tmp_path: Path) -> None:
    """No command prints the key, in output, errors, warnings or logs."""
    base_url = emulator.base_url("org-demo")
    ran = []
    for args in argument_lists(base_url, tmp_path):
        result = connector(*args)
        assert result.returncode in {0, 1}, (args, result.stderr[-2000:])
        assert_no_key(result)
        ran.append(args[0])
    assert {"list", "describe", "validate", "render", "test-request"} <= set(ran)
    received = [r for r in emulator.requests if r.method == "PUT"]
    assert received
    assert all(r.authorized and r.credential == "REB-APIKEY" for r in received)


def test_exports_hold_no_key(tmp_path: Path) -> None:
    """An exported engine task refers to the key by its variable, never holds it, and its
    import back prints no key either."""
    target = tmp_path / "task.json"
    result = connector("export", TASK, "--engine", "conductor", "-o", str(target))
    assert result.returncode == 0, result.stderr
    written = target.read_text()
    assert KEY not in written
    assert '"REB-APIKEY": "${workflow.secrets.REBILLY_API_KEY}"' in written
    imported = connector("import", "--engine", "conductor", str(target))
    assert imported.returncode == 0, imported.stderr
    assert_no_key(imported)


@pytest.mark.parametrize("as_json", [pytest.param(False, id="text"), pytest.param(True, id="json")])
def test_a_server_echoing_the_key_is_redacted(as_json: bool) -> None:
    """A response that echoes the key in its body and headers is shown redacted."""
    echo = Reply(
        400,
        {"title": "Bad key", "detail": f"key {KEY} is not allowed", "key": KEY},
        {"X-Echo": KEY, "Set-Cookie": f"k={KEY}"},
    )
    with ScriptedServer(default=echo) as server:
        args = ["test-request", TASK, "--input", EXAMPLE, "--base-url", server.url]
        result = connector(*args, *(["--json"] if as_json else []))
    assert server.received[0].headers["REB-APIKEY"] == KEY
    assert result.returncode == 1
    assert "<redacted>" in result.stdout
    assert_no_key(result)


def test_a_connection_failure_message_holds_no_key() -> None:
    """A refused connection's error text and the DEBUG logs of the attempt hold no key."""
    from _scripted_server import free_port

    base = f"http://127.0.0.1:{free_port()}/organizations/org-demo"
    result = connector(
        "test-request", TASK, "--input", EXAMPLE, "--base-url", base, "--max-attempts", "1"
    )
    assert result.returncode == 1
    assert "cannot connect" in result.stdout
    assert_no_key(result)
