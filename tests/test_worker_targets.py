"""Workers that start right: `connector worker` checks at start what `test-request` checks,
and for `local` serves its tasks from an emulator with a local key.

Every worker here is a real `connector worker` process started as a user starts it; a
refusal comes before anything is polled (no Temporal or Conductor server is needed for it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests._scripted_server import free_port
from tests._templates import free_local

SECRET = "sk_sandbox_WORKERSTART42"
TASK = "upsert-payout-request"
INPUT = {
    "id": "po-1",
    "organizationId": "org-1",
    "websiteId": "web-1",
    "customerId": "cus-1",
    "currency": "USD",
    "amount": 10,
}
ENGINE_OPTIONS = {
    "temporal": ["--address", "127.0.0.1:1", "--task-queue", "q"],
    "conductor": ["--server", "http://127.0.0.1:1/api"],
}


def _environ(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("REBILLY_", "CONDUCTOR_"))}
    return {**keep, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", **extra}


def _worker(engine: str, *args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "connector", "worker", "--engine", engine]
    return subprocess.run(
        [*command, *ENGINE_OPTIONS[engine], *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def _without_sandbox(tmp_path: Path) -> str:
    template = json.loads(Path(free_local(tmp_path, TASK)).read_text())
    del template["servers"]["sandbox"]
    path = tmp_path / "no-sandbox.json"
    path.write_text(json.dumps(template))
    return str(path)


@pytest.mark.parametrize("engine", ["temporal", "conductor"])
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param("no-credentials", "no credentials for sandbox", id="no-credentials"),
        pytest.param("live", "moves real money: confirm with --yes", id="live-unconfirmed"),
        pytest.param("no-such-environment", "has no environment 'sandbox'", id="no-sandbox"),
        pytest.param("nothing-listens", "nothing answers at 127.0.0.1", id="unreachable"),
    ],
)
def test_a_worker_without_a_usable_target_refuses_at_start(
    engine: str, case: str, expected: str, tmp_path: Path
) -> None:
    """Exit 2 with test-request's reason, naming the task, before polling anything."""
    pytest.importorskip("temporalio" if engine == "temporal" else "conductor.client")
    keyed = _environ(REBILLY_API_KEY=SECRET)
    args, environ = {
        "no-credentials": (["--task", TASK, "--environment", "sandbox"], _environ()),
        "live": (["--task", TASK, "--environment", "live"], keyed),
        "no-such-environment": (
            ["--task", _without_sandbox(tmp_path), "--environment", "sandbox"],
            keyed,
        ),
        "nothing-listens": (
            ["--task", TASK, "--base-url", f"http://127.0.0.1:{free_port()}/organizations/o"],
            keyed,
        ),
    }[case]
    done = _worker(engine, *args, environ=environ)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert TASK in done.stderr
    assert "polling" not in done.stderr
    assert SECRET not in done.stderr


@pytest.mark.skipif(not Path("/proc").exists(), reason="signals a process group")
def test_a_local_conductor_worker_starts_an_emulator_and_sends_a_local_key(
    tmp_path: Path,
) -> None:
    """`--environment local` with nothing at the template's local URL: the worker starts
    an emulator, says so, and the task completes there; the real key is never sent."""
    pytest.importorskip("conductor.client")
    from _conductor_stand_in import ConductorStandIn

    template = free_local(tmp_path, TASK)
    command = [sys.executable, "-m", "connector", "worker", "--engine", "conductor"]
    command += ["--task", template, "--environment", "local"]
    log = tmp_path / "worker.log"
    with ConductorStandIn() as conductor, log.open("wb") as sink:
        environ = _environ(REBILLY_API_KEY=SECRET, CONDUCTOR_SERVER_URL=conductor.url)
        process = subprocess.Popen(command, stdout=sink, stderr=sink, env=environ)
        try:
            conductor.wait_for_poll("upsert_payout_request", 60)
            conductor.queue("upsert_payout_request", INPUT, "local-1")
            result = conductor.result("local-1", 30)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(20)
    output = log.read_text()
    assert "started the Rebilly emulator" in output
    assert result["status"] == "COMPLETED", result
    assert result["outputData"]["response"]["statusCode"] in {200, 201}
    assert SECRET not in json.dumps(result)
    assert "sk_local_" not in json.dumps(result)  # the local key is masked too
