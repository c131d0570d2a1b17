"""The local target: the emulators the service starts on first use, and their key.

The page sends test requests here unless another environment is chosen: Rebilly's tasks
(and templates of no API) to the Rebilly emulator, an imported API's tasks to an emulator of
the description its import kept (`connector.emulator.emulation_for`), one per API. Emulators
accept any non-empty key, so the service generates one per run; the browser never sees it
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
from connector.emulator import Emulator, emulation_for
from connector.emulator._emulation import REBILLY


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
    """Emulators started lazily (once each, thread-safe) and stopped by `close()`."""

    def __init__(
        self, factory: EmulatorFactory | None = None, *, emulator: EmulatorLike | None = None
    ) -> None:
        self._factory = factory or _default_factory
        self._emulator = emulator
        self._imported: dict[str, EmulatorLike] = {}  # API name -> its emulator
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self.key = f"local-{secrets.token_urlsafe(18)}"

    def emulator(self, template: TaskTemplate | None = None) -> EmulatorLike:
        """The running emulator for `template`'s API, started now if it is not yet.

        Raises:
            UsageError: the template's imported API has no kept description to serve.
        """
        api = imported_api(template)
        with self._lock:
            if template is None or api is None:
                if self._emulator is None:
                    self._emulator = self._stack.enter_context(self._factory())
                return self._emulator
            if api not in self._imported:
                served = emulation_for(template, whole_api=True).api  # every task of it
                emulator = Emulator(host="127.0.0.1", port=0, api=served)
                self._imported[api] = self._stack.enter_context(emulator)
            return self._imported[api]

    def base_url(self, template: TaskTemplate) -> str:
        """The template's `local` server URL, pointed at the emulator of its API."""
        running = urlsplit(self.emulator(template).base_url("org"))
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
            self._imported.clear()


def imported_api(template: TaskTemplate | None) -> str | None:
    """The API of a template that is neither Rebilly's nor without one (lower-cased)."""
    operation = template.operation if template is not None else None
    api = operation.api.lower() if operation is not None else None
    return None if api == REBILLY else api
