"""Per-request cost of the connector's test request against a bare `requests.Session.put`.

Both send the same PUT to the same loopback emulator (run in its own process, so that its
work does not compete with the client for the GIL), N times in sequence on one keep-alive
session each, interleaved in short rounds so that drift affects both alike. The connector path is
`Executor.run` (render, validate, send with the retry policy, parse, redact, build the
result); the bare path is `session.put(url, data=body, headers=headers)` and `.json()`.

    python benchmarks/executor.py [-n 3000] [--batch 100]

The last line is `ratio: X.XX` (connector time per request / bare time per request; the
target is <= 1.15).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from connector import Executor, load_task

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk_sandbox_BENCHMARKKEY000"
SERVE = (
    "import sys; from connector.emulator import Emulator; "
    "emulator = Emulator(api_keys=[sys.argv[1]], rate_limit=(10**9, 600)).start(); "
    "print(emulator.url, flush=True); sys.stdin.read()"
)


@contextmanager
def emulator_process() -> Iterator[str]:
    """An emulator in a child process; yields its URL and stops it on exit."""
    child = subprocess.Popen(
        [sys.executable, "-c", SERVE, KEY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


def connector_loop(executor: Executor, base_url: str, inputs: dict[str, Any], n: int) -> float:
    """Seconds for n requests through the connector."""
    task = load_task("upsert-payout-request")
    started = time.perf_counter()
    for _ in range(n):
        result = executor.run(task, inputs, base_url=base_url)
        if result.status != "COMPLETED":
            raise SystemExit(f"connector request failed: {result.error}")
    return time.perf_counter() - started


def bare_loop(session: requests.Session, url: str, body: bytes, n: int) -> float:
    """Seconds for n requests with a bare session.put."""
    headers = {"Content-Type": "application/json", "Accept": "application/json", "REB-APIKEY": KEY}
    started = time.perf_counter()
    for _ in range(n):
        response = session.put(url, data=body, headers=headers, timeout=(5, 10))
        response.json()
        if response.status_code not in {200, 201}:
            raise SystemExit(f"bare request failed: {response.status_code}")
    return time.perf_counter() - started


def main() -> None:
    """Run both paths in alternating batches and print the rates and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per path")
    parser.add_argument("--batch", type=int, default=100, help="requests per alternation")
    args = parser.parse_args()

    inputs = json.loads((ROOT / "examples" / "upsert-payout-request.json").read_text())
    environ = {"REBILLY_API_KEY": KEY}
    with emulator_process() as emulator_url:
        base_url = emulator_url + "/organizations/<<organizationId>>"
        request = load_task("upsert-payout-request").prepare(
            inputs, base_url=base_url, environ=environ
        )
        assert request.content is not None
        with Executor(environ=environ) as executor, requests.Session() as session:
            connector_loop(executor, base_url, inputs, 100)  # warm up both connections
            bare_loop(session, request.url, request.content, 100)
            ours = bare = 0.0
            for _ in range(max(1, args.n // args.batch)):
                ours += connector_loop(executor, base_url, inputs, args.batch)
                bare += bare_loop(session, request.url, request.content, args.batch)
    count = max(1, args.n // args.batch) * args.batch
    per_ours, per_bare = ours / count, bare / count
    print(f"{count} requests per path, alternating in batches of {args.batch}")
    print(f"connector: {1 / per_ours:8.0f} req/s  {per_ours * 1e6:8.1f} us/request")
    print(f"bare:      {1 / per_bare:8.0f} req/s  {per_bare * 1e6:8.1f} us/request")
    print(f"ratio: {per_ours / per_bare:.2f}")


if __name__ == "__main__":
    main()
