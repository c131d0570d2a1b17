"""Where `local` sends for `test-request` and `run`: an emulator, and a key made for it.

The emulator at the template's `local` URL is used when one answers there and serves the
task's operation (so faults injected into it apply); otherwise one is started for the
command on a free loopback port, serving the task's own API (`connector.emulator.
emulation_for`: the Rebilly emulator, or the description an imported API came from). A line
on stderr says which. Either way it is sent a generated `sk_local_…` key, never a real one.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from connector._task import Task

PROBE_SECONDS: Final = 0.5
PROBE_BYTES: Final = 1 << 20


@contextmanager
def local_target(
    task: Task, started: list[str] | None = None
) -> Iterator[tuple[str | None, dict[str, str]]]:
    """(base URL or None for the template's own `local`, the environment with a local key).

    `started`: emulators already started for this command (their URLs): one that serves the
    task is used before another is started, and an emulator started here is added to it (a
    worker serving many tasks of one API starts one emulator).

    Raises:
        UsageError: no emulator answers for the task and none can be started for its API.
    """
    from connector.emulator import Emulator, emulation_for

    local_url = task.template.base_urls.get("local")
    if local_url is not None and _answers_for(task, local_url):
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(local_url))
        sys.stderr.write(f"connector: sending to the emulator running at {origin}\n")
        yield None, local_environ(task)
        return
    for running in started or ():
        if _answers_for(task, local_base_url(task, running)):
            yield local_base_url(task, running), local_environ(task)
            return
    emulation = emulation_for(task.template)
    with Emulator(host="127.0.0.1", port=0, api=emulation.api) as emulator:
        where = f" (none serves it at {urlsplit(local_url).netloc})" if local_url else ""
        sys.stderr.write(
            f"connector: started {emulation.label} at {emulator.url}{where}\n",
        )
        if started is not None:
            started.append(emulator.url)
        yield local_base_url(task, emulator.url), local_environ(task)


def _answers_for(task: Task, url: str) -> bool:
    """Whether a connector emulator at `url`'s loopback host and port serves the task's
    operation (asked at most `PROBE_SECONDS`)."""
    from connector.emulator import serves

    served = _served_operations(url)
    path = urlsplit(url).path.rstrip("/") + task.template.http_request.url
    return served is not None and serves(served, task.template.http_request.method, path)


def _served_operations(url: str) -> list[Any] | None:
    """What the emulator at `url` serves, or None when no connector emulator answers there."""
    import requests

    from connector._hosts import is_loopback

    parts = urlsplit(url)
    if not parts.hostname or not is_loopback(parts.hostname):
        return None
    probe = f"{parts.scheme}://{parts.netloc}/_emulator/operations"
    with requests.Session() as session:
        session.trust_env = False  # straight to loopback: no proxy, no netrc
        try:
            answer = session.get(probe, timeout=PROBE_SECONDS, allow_redirects=False, stream=True)
            with answer:
                if not answer.headers.get("Server", "").startswith("connector-emulator"):
                    return None
                served = json.loads(answer.raw.read(PROBE_BYTES, decode_content=True))
        except (requests.RequestException, ValueError, OSError):
            return None
    return served if isinstance(served, list) else None


def local_base_url(task: Task, emulator_url: str) -> str:
    """The template's `local` server URL, pointed at the running emulator."""
    running = urlsplit(emulator_url)
    local = urlsplit(task.template.base_urls.get("local", "http://127.0.0.1/"))
    return urlunsplit((running.scheme, running.netloc, local.path, local.query, ""))


def local_environ(task: Task) -> dict[str, str]:
    """The environment without real credentials, and a generated local key in their place."""
    return task.template.auth.local_environ(os.environ, f"sk_local_{secrets.token_hex(12)}")
