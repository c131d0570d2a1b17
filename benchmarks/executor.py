"""Per-request cost of the connector's test request against a bare `requests.Session.put`.

Both send the same PUT to the same loopback emulator (run in its own process, so that its
work does not compete with the client for the GIL) on one keep-alive session each,
alternating request by request so that load and drift affect both alike; the median time
per request of each path is compared (robust to the spikes of a busy machine). The connector path is
`Executor.run` (render, validate, send with the retry policy, parse, redact, build the
result); the bare path is `session.put(url, data=body, headers=headers)` and `.json()`.

    python benchmarks/executor.py [-n 3000]

The last line is `ratio: X.XX` (connector time per request / bare time per request; the
target is <= 1.15).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from connector import Executor, Task, load_task

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk_sandbox_BENCHMARKKEY000"
WARM_UP = 100
Inputs = dict[str, Any]
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


def connector_request(executor: Executor, task: Task, base_url: str, inputs: Inputs) -> None:
    """One request through the connector: render, validate, send, parse, redact, result."""
    result = executor.run(task, inputs, base_url=base_url)
    if result.status != "COMPLETED":
        raise SystemExit(f"connector request failed: {result.error}")


def bare_request(session: requests.Session, url: str, body: bytes) -> None:
    """The same request with a bare session.put, its JSON parsed."""
    headers = {"Content-Type": "application/json", "Accept": "application/json", "REB-APIKEY": KEY}
    response = session.put(url, data=body, headers=headers, timeout=(5, 10))
    response.json()
    if response.status_code not in {200, 201}:
        raise SystemExit(f"bare request failed: {response.status_code}")


def tuned_request(session: requests.Session, url: str, body: bytes, settings: Any) -> None:
    """Reference: bare requests with the environment's proxy settings resolved once, as the
    connector's transport does (requests scans os.environ on every call otherwise)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json", "REB-APIKEY": KEY}
    prepared = session.prepare_request(requests.Request("PUT", url, data=body, headers=headers))
    response = session.send(prepared, timeout=(5, 10), **settings)
    response.json()
    if response.status_code not in {200, 201}:
        raise SystemExit(f"tuned request failed: {response.status_code}")


def timed(send: Callable[[], None]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    send()
    return time.perf_counter() - started


def main() -> None:
    """Alternate the two paths request by request; print rates and the ratio of medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per path")
    args = parser.parse_args()

    inputs = json.loads((ROOT / "examples" / "upsert-payout-request.json").read_text())
    environ = {"REBILLY_API_KEY": KEY}
    task = load_task("upsert-payout-request")
    with emulator_process() as emulator_url:
        base_url = emulator_url + "/organizations/<<organizationId>>"
        request = task.prepare(inputs, base_url=base_url, environ=environ)
        assert request.content is not None
        body = request.content
        with (
            Executor(environ=environ) as executor,
            requests.Session() as session,
            requests.Session() as tuned_session,
        ):
            settings = tuned_session.merge_environment_settings(request.url, {}, False, None, None)
            ours, bare, tuned = [], [], []
            for index in range(args.n + WARM_UP):
                ours.append(timed(lambda: connector_request(executor, task, base_url, inputs)))
                bare.append(timed(lambda: bare_request(session, request.url, body)))
                tuned.append(
                    timed(lambda: tuned_request(tuned_session, request.url, body, settings))
                )
                if index < WARM_UP:
                    ours.clear()
                    bare.clear()
                    tuned.clear()
    per_ours, per_bare = statistics.median(ours), statistics.median(bare)
    per_tuned = statistics.median(tuned)
    print(f"{args.n} requests per path, alternating; median time per request")
    print(f"connector: {1 / per_ours:8.0f} req/s  {per_ours * 1e6:8.1f} us/request")
    print(f"bare:      {1 / per_bare:8.0f} req/s  {per_bare * 1e6:8.1f} us/request")
    print(
        f"reference, bare with environment settings resolved once: {1 / per_tuned:.0f} req/s "
        f"{per_tuned * 1e6:.1f} us/request (connector / reference: {per_ours / per_tuned:.2f})"
    )
    print(f"ratio: {per_ours / per_bare:.2f}")


if __name__ == "__main__":
    main()
