"""Where a worker sends each task it serves, checked before it polls anything.

A worker that polls without a usable target takes work it can only fail. So at start, for
every task it serves, it makes the choices and checks `test-request` makes
(`_test_request.default_environment`, `_test_request.unsafe_target`, `_local.local_target`):

- the environment: the one named, else `sandbox` with the task's credentials set and
  `local` without (never `live`);
- the environment exists for the task (an imported API may have no `sandbox`), or a base
  URL replaces it;
- credentials for a non-local environment, and `live` confirmed (`--yes`);
- something listens at the target's host and port (a connect, at most `PROBE_SECONDS`;
  skipped when a proxy is configured for it);
- `local`: an emulator serving the task (one already running, or one started for the
  worker and shared by the tasks it serves), sent a generated local key, never a real one.

A refusal is one usage error naming the task (exit 2); nothing was polled.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from connector._task import Task

__all__ = ["WorkerTarget", "add_start_options", "worker_targets"]

PROBE_SECONDS: Final = 3.0
_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class WorkerTarget:
    """Where one served task sends: environment, base URL and credentials' environment
    (None: the process's own, read at run time)."""

    environment: str | None
    base_url: str | None
    environ: Mapping[str, str] | None = None


def add_start_options(parser: argparse.ArgumentParser) -> None:
    """`--yes` and `--no-credentials`, as `test-request` has them."""
    parser.add_argument(
        "--yes", action="store_true", help="confirm serving live (real money) without asking"
    )
    parser.add_argument(
        "--no-credentials",
        action="store_true",
        help="serve sandbox or live without credentials on purpose (refused otherwise)",
    )


@contextmanager
def worker_targets(
    args: argparse.Namespace, tasks: Sequence[Task]
) -> Iterator[dict[str, WorkerTarget]]:
    """Each task's checked target, by task name; emulators started for `local` run until
    the block ends.

    Raises:
        UsageError: a task cannot be served as asked (the reason, naming the task).
    """
    asked = argparse.Namespace(**vars(args))  # `live` is confirmed once for every task
    with ExitStack() as stack:
        started: list[str] = []
        targets = {task.name: _target(task, asked, stack, started) for task in tasks}
        _probe([(task, targets[task.name]) for task in tasks])
        yield targets


def _target(
    task: Task, args: argparse.Namespace, stack: ExitStack, started: list[str]
) -> WorkerTarget:
    from connector._errors import UsageError
    from connector.cli._local import local_target
    from connector.cli._test_request import _unsafe_target, default_environment

    base_url: str | None = args.base_url
    environment = default_environment(task, args.environment, base_url)
    refusal = _unsafe_target(task, environment, base_url, args)
    if refusal is not None:
        raise UsageError(refusal, task=task.name)
    if environment == "live":
        args.yes = True  # confirmed (or --yes): not asked again for the next task
    if environment == "local" and base_url is None:
        local_url, environ = stack.enter_context(local_target(task, started))
        return WorkerTarget("local", local_url, environ)
    known = task.template.base_urls
    if base_url is None and environment not in known:
        raise UsageError(
            f"the task's API has no environment {environment!r} (it has: "
            f"{', '.join(known) or 'none'}): give --environment or --base-url",
            task=task.name,
        )
    return WorkerTarget(environment, base_url)


def _probe(targets: Sequence[tuple[Task, WorkerTarget]]) -> None:
    """Refuse a target nothing listens at (each host and port once)."""
    import socket
    import urllib.request

    from connector._errors import UsageError

    seen: set[tuple[str, int]] = set()
    for task, target in targets:
        url = target.base_url or task.template.base_urls.get(target.environment or "")
        parts = urlsplit(url or "")
        if not parts.hostname or "<<" in parts.netloc or parts.scheme not in _PORTS:
            continue  # a host made of placeholders is known per input only
        try:
            address = (parts.hostname, parts.port or _PORTS[parts.scheme])
        except ValueError:  # not a port: the request itself reports it
            continue
        if address in seen or urllib.request.getproxies().get(parts.scheme):
            continue
        seen.add(address)
        try:
            socket.create_connection(address, timeout=PROBE_SECONDS).close()
        except OSError as exc:
            raise UsageError(
                f"nothing answers at {parts.hostname}:{address[1]} ({exc.strerror or exc}): "
                "start the server, or give --environment or --base-url (nothing was polled)",
                task=task.name,
            ) from None
