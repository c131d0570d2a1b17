"""Any API, the first hour: each description of the directory through what a user does.

    python benchmarks/directory.py [--sample N] [--seed S] [--jobs J] [--timeout S]
                                   [--memory MB] [--results FILE [--resume]]
    python benchmarks/directory.py --report FILE [--same-as OTHER]   # a results file's table

Reads `../shared/openapi/directory/apis-guru-dev.tar.gz` (the development half of the
APIs.guru directory: 1,314 descriptions) at run time, one member at a time, into a temporary
folder. Each API, in a child process of its own (killed after `--timeout` seconds; its address
space capped at `--memory` MB, so one file cannot stall or swamp the run), is taken through the
steps of `_directory_walk.walk` with the options a user types: import, list, describe every
operation, a dry run of every operation's example (no `--environment`), a test request of the
first create, read, list, update and delete, a create then a read of the same resource through
the emulator, a default export and import back on each engine, a batch of 10 inputs, and a
search for each sampled operation by its own summary.

It prints one table: per step, the share of APIs for which the step succeeded (every operation
it tried did) and the share of operations, refusals (exit 2 with a message that says what to do)
counted apart, then every failure grouped by cause with one example. A baseline: none, the
goal is 99 % of API x step pairs and no traceback, hang or memory blow-up.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from _directory_steps import STEPS, Step  # noqa: E402

ARCHIVE = HERE.parent.parent / "shared" / "openapi" / "directory" / "apis-guru-dev.tar.gz"
CREDENTIAL_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "JWT", "USER", "CLIENT")


def members(
    archive: Path, sample: int | None, seed: int, max_bytes: int | None = None
) -> list[str]:
    """The description files of the archive (at most `max_bytes` each, if given), all or a
    seeded sample, in archive order."""
    with tarfile.open(archive) as tar:
        names = [
            m.name
            for m in tar.getmembers()
            if m.isfile()
            and m.name.endswith(".json")
            and (max_bytes is None or m.size <= max_bytes)
        ]
    names = [n for n in names if n.startswith("api/")]
    if sample is not None and sample < len(names):
        chosen = set(random.Random(seed).sample(names, sample))
        names = [n for n in names if n in chosen]
    return names


def _loopback_only() -> None:
    """Refuse every connection beyond this machine in this process (and name it), so that a
    step that would reach a real host fails here instead of sending anything."""
    import ipaddress
    import socket

    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not ipaddress.ip_address(host).is_loopback:
            raise ConnectionRefusedError(f"the harness lets nothing leave loopback ({host})")
        return connect(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]
    socket.getaddrinfo = _no_lookup(socket.getaddrinfo)


def _no_lookup(real: Any) -> Any:
    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            raise OSError(f"the harness looks up no name beyond loopback ({host})")
        return real(host, *args, **kwargs)

    return lookup


def _exit_with_parent() -> None:
    """End this process when the harness that started it is gone (its timeout went with it)."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _child(archive: Path, member: str, memory_mb: int, send: Any) -> None:
    """Run one API's walk in this process and send its steps back (as plain data)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    _loopback_only()
    _exit_with_parent()
    with tempfile.TemporaryDirectory(prefix="connector-directory-") as scratch:
        work = Path(scratch)
        os.environ["CONNECTOR_CATALOG"] = str(work / "catalog")
        for key in [k for k in os.environ if any(w in k for w in CREDENTIAL_WORDS)]:
            del os.environ[key]  # the harness never holds a credential: nothing leaves loopback
        with tarfile.open(archive) as tar:
            source = tar.extractfile(member)
            assert source is not None
            spec = work / Path(member).name.replace(" ", "_")
            spec.write_bytes(source.read())
        from _directory_walk import walk

        try:
            steps = walk(spec, work)
        except MemoryError:
            send.send({"crash": "memory"})
            return
        send.send({name: step.__dict__ for name, step in steps.items()})


def run_one(archive: Path, member: str, timeout: float, memory_mb: int) -> dict[str, Any]:
    """One API's steps, or `{"crash": why}` when its process timed out, died or ran out."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(archive, member, memory_mb, send))
    process.start()
    send.close()
    outcome: dict[str, Any] = {"crash": "timeout"}
    if receive.poll(timeout):
        try:
            outcome = receive.recv()
        except EOFError:
            outcome = {"crash": f"died (exit {process.exitcode})"}
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    return outcome


def tabulate(outcomes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per step: APIs and operations ok, refused, failed; failures grouped by cause."""
    table: dict[str, Any] = {}
    for name in STEPS:
        apis: Counter[str] = Counter()
        ops: Counter[str] = Counter()
        causes: dict[str, list[str]] = defaultdict(list)
        refusals: dict[str, list[str]] = defaultdict(list)
        for member, outcome in outcomes.items():
            if "crash" in outcome:
                apis["failed"] += 1
                causes[f"process: {outcome['crash']}"].append(member)
                continue
            if name not in outcome:
                if "import" in outcome and outcome["import"]["ok"]:
                    apis["n/a"] += 1
                continue  # the API did not get this far: counted at the step that stopped it
            step = Step(**outcome[name])
            if step.tried() == 0:
                apis["n/a"] += 1
                continue
            apis["failed" if step.failed else "refused" if step.refused else "ok"] += 1
            ops.update(ok=step.ok, refused=step.refused, failed=len(step.failed))
            for why, example in step.failed:
                causes[why].append(f"{member}: {example}")
            for why, example in step.refusals:
                refusals[why].append(f"{member}: {example}")
        table[name] = {
            "apis": dict(apis),
            "operations": dict(ops),
            "causes": causes,
            "refusals": refusals,
        }
    return table


def _share(counts: dict[str, int], key: str) -> str:
    total = sum(v for k, v in counts.items() if k != "n/a")
    return f"{100 * counts.get(key, 0) / total:6.2f}%" if total else "    n/a"


def report(table: dict[str, Any], apis: int, seconds: float) -> None:
    """Print the table, then the failures and refusals by cause."""
    print(f"{apis} APIs in {seconds:.0f} s")
    columns = ("APIs ok", "refused", "n/a", "ops ok", "refused", "ops")
    print(f"{'step':<14} " + " ".join(f"{c:>8}" for c in columns))
    pairs = good = 0
    for name, row in table.items():
        a, o = row["apis"], row["operations"]
        pairs += sum(v for k, v in a.items() if k != "n/a")
        good += a.get("ok", 0) + a.get("refused", 0)
        print(
            f"{name:<14} {_share(a, 'ok'):>8} {_share(a, 'refused'):>8} {a.get('n/a', 0):>5} "
            f"{_share(o, 'ok'):>8} {_share(o, 'refused'):>8} {sum(o.values()):>7}"
        )
    print(f"API x step pairs: {good}/{pairs} = {100 * good / max(pairs, 1):.2f}% succeed or refuse")
    tracebacks = sum(
        len(v)
        for row in table.values()
        for k, v in row["causes"].items()
        if k.startswith(("traceback", "process"))
    )
    print(f"tracebacks, hangs and memory: {tracebacks}")
    share = good / max(pairs, 1)
    print(f"ratio: {share:.4f}  (API x step pairs that succeed or refuse; goal >= 0.99)")
    for label in ("causes", "refusals"):
        for name, row in table.items():
            for why, examples in sorted(row[label].items(), key=lambda kv: -len(kv[1])):
                head = f"  [{name}] {label[:-1]} x{len(examples)}: {why}"
                print(f"{head}\n      e.g. {examples[0][:300]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--sample", type=int, help="only N APIs, chosen with --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="APIs at once (default 1)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per API (300)")
    parser.add_argument("--memory", type=int, default=3072, help="MB per API (3072)")
    parser.add_argument(
        "--results", type=Path, help="each API's outcome as a JSON line, written as it ends"
    )
    parser.add_argument("--resume", action="store_true", help="skip the APIs already in --results")
    parser.add_argument(
        "--shuffle", action="store_true", help="run the APIs in a seeded random order"
    )
    parser.add_argument(
        "--report", type=Path, metavar="RESULTS", help="only print the table of a results file"
    )
    parser.add_argument(
        "--same-as", type=Path, metavar="RESULTS", help="with --report: only the APIs of this file"
    )
    args = parser.parse_args(argv)
    if args.report:
        outcomes = read_results(args.report)
        if args.same_as:  # a baseline: only the APIs the other run also took
            other = read_results(args.same_as)
            outcomes = {name: o for name, o in outcomes.items() if name in other}
        report(tabulate(outcomes), len(outcomes), 0)
        return 0
    names = members(args.archive, args.sample, args.seed)
    if args.shuffle:  # whatever part of a long run is done is a random sample of the whole
        random.Random(args.seed).shuffle(names)
    done = read_results(args.results) if args.resume and args.results else {}
    start = time.perf_counter()
    outcomes = {**done, **collect(args.archive, [n for n in names if n not in done], args)}
    report(tabulate(outcomes), len(names), time.perf_counter() - start)
    return 0


def read_results(path: Path) -> dict[str, Any]:
    """The outcomes of a results file (a line cut short by a stopped run is left out)."""
    outcomes: dict[str, Any] = {}
    if not path.is_file():
        return outcomes
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        outcomes[entry["api"]] = entry["outcome"]
    return outcomes


def collect(archive: Path, names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Every API's outcome, `--jobs` at a time, each in its own process."""
    from concurrent.futures import ThreadPoolExecutor

    sink = args.results.open("a", encoding="utf-8") if args.results else None
    with ThreadPoolExecutor(args.jobs) as pool:
        found = pool.map(lambda n: run_one(archive, n, args.timeout, args.memory), names)
        outcomes = {}
        for index, (name, outcome) in enumerate(zip(names, found, strict=True), 1):
            outcomes[name] = outcome
            if sink is not None:
                sink.write(json.dumps({"api": name, "outcome": outcome}) + "\n")
                sink.flush()
            sys.stderr.write(f"\r{index}/{len(names)} {name[:60]:<60}")
    if sink is not None:
        sink.close()
    sys.stderr.write("\n")
    return outcomes


if __name__ == "__main__":
    sys.exit(main())
