"""Memory of `connector worker --engine conductor` serving the whole shipped catalogue.

The worker runs as a user starts it (a subprocess) against the loopback Conductor stand-in of
the tests; once every task type has been polled, the proportional set size (PSS, from
`/proc/PID/smaps_rollup`: shared pages split between the processes sharing them) of the
command and all its descendants is summed, and the processes counted.

Baseline: the SDK's `TaskHandler` with the same workers, as the command ran before (one
process per task type, plus the SDK's logger process). Then `--processes 1` (the default)
and `--processes 4`.

    python benchmarks/conductor_worker.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _conductor_stand_in import ConductorStandIn  # noqa: E402

from connector._catalog import task_names  # noqa: E402
from connector.emulator import Emulator  # noqa: E402
from connector.engines.conductor._export import conductor_name  # noqa: E402

BASELINE = (
    "import sys; from conductor.client.automator.task_handler import TaskHandler; "
    "from conductor.client.configuration.configuration import Configuration; "
    "from connector._catalog import task_names; "
    "from connector.engines.conductor.worker import worker_for; "
    "workers = [worker_for(n, base_url=sys.argv[2]) for n in task_names()]; "
    "configuration = Configuration(server_api_url=sys.argv[1]); "
    "handler = TaskHandler(workers=workers, configuration=configuration, "
    "scan_for_annotated_workers=False); handler.start_processes(); handler.join_processes()"
)


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
            parents[int(status.parent.name)] = int(fields["PPid"].strip())
        except (OSError, ValueError, KeyError):
            continue
    found, frontier = [pid], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def pss_kib(pid: int) -> int:
    """The process's proportional set size in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(label: str, command: list[str], conductor: ConductorStandIn) -> None:
    """Start, wait until every task type is polled, sum PSS over the tree, stop."""
    environ = {**os.environ, "CONDUCTOR_SERVER_URL": conductor.url, "REBILLY_API_KEY": "sk_x"}
    process = subprocess.Popen(command, env=environ, stderr=subprocess.DEVNULL)
    try:
        for name in task_names():
            conductor.wait_for_poll(conductor_name(name), 180)
        time.sleep(2)  # settle: every runner past its first poll
        tree = descendants(process.pid)
        total = sum(pss_kib(pid) for pid in tree)
        print(f"  {label:<34} {len(tree):3d} processes  {total / 1024:8.1f} MiB PSS")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    """The baseline, then the command with one and with four processes (the workers'
    target: an emulator, which the command checks is listening before it polls)."""
    with Emulator() as emulator:
        target = emulator.base_url("org-bench")
        worker = [sys.executable, "-m", "connector", "worker", "--engine", "conductor"]
        worker += ["--base-url", target]
        print(f"conductor worker serving {len(task_names())} task types:")
        with ConductorStandIn() as conductor:
            measure(
                "SDK TaskHandler (baseline)",
                [sys.executable, "-c", BASELINE, conductor.url, target],
                conductor,
            )
        for processes in (1, 4):
            with ConductorStandIn() as conductor:
                command = [*worker, "--processes", str(processes)]
                measure(f"connector worker --processes {processes}", command, conductor)


if __name__ == "__main__":
    main()
