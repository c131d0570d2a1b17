"""The local target: a Rebilly emulator the service starts on first use, and its key.

The page sends test requests here unless another environment is chosen. The emulator
accepts any non-empty key, so the service generates one per run; the browser never sees it
(results show it redacted like any credential).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from connector._template import TaskTemplate
from connector.emulator import Emulator


class EmulatorLike(Protocol):
    """What the service needs from an emulator: where an organization lives."""

    def base_url(self, organization: str) -> str:
        """The base URL of `organization` on this emulator."""
        ...


EmulatorFactory = Callable[[], AbstractContextManager[EmulatorLike]]


def _default_factory() -> AbstractContextManager[EmulatorLike]:
    emulator: AbstractContextManager[EmulatorLike] = Emulator(host="127.0.0.1", port=0)
    return emulator


class LocalTarget:
    """An emulator started lazily (once, thread-safe) and stopped by `close()`."""

    def __init__(
        self, factory: EmulatorFactory | None = None, *, emulator: EmulatorLike | None = None
    ) -> None:
        self._factory = factory or _default_factory
        self._emulator = emulator
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self.key = f"local-{secrets.token_urlsafe(18)}"

    def emulator(self) -> EmulatorLike:
        """The running emulator, started now if it is not yet."""
        with self._lock:
            if self._emulator is None:
                self._emulator = self._stack.enter_context(self._factory())
            return self._emulator

    def base_url(self, template: TaskTemplate) -> str:
        """The template's `local` server URL, pointed at the running emulator."""
        running = urlsplit(self.emulator().base_url("org"))
        local = urlsplit(template.base_urls.get("local", "http://127.0.0.1/"))
        return urlunsplit((running.scheme, running.netloc, local.path, local.query, ""))

    def environ(
        self, template: TaskTemplate, environ: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The environment for a local request: real credentials out, the local key in."""
        source = os.environ if environ is None else environ
        return template.auth.local_environ(source, self.key)

    def close(self) -> None:
        """Stop the emulator if this target started it."""
        with self._lock:
            self._stack.close()
            self._emulator = None
