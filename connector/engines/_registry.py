"""Which workflow engines exist, and the protocols their adapters follow.

An engine is one registered `Engine` entry: its name and title, and where its adapter and its
worker command live ("module:attribute", imported only when used, so that listing the engines
costs nothing). Everything that offers a choice of engines asks here: the CLI's `--engine`
choices, the service's engine type and the page's engine buttons.

    EngineAdapter   export and import, and a configured step's input values written into the
                    export (`export_step`) and read back (`import_step`)
    Pusher          an adapter that can also register an export with a server (`connector push`)
    WorkerCommand   `connector worker --engine NAME`: its own options, and running it

Adding an engine is one module (or package) with the adapter and a `register(Engine(...))`
line below; a worker-only engine registers just `worker=`.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pydantic import JsonValue

    from connector._task import Task
    from connector.engines._shared import Export, ExportOptions, Import

__all__ = [
    "Engine",
    "EngineAdapter",
    "Pusher",
    "WorkerCommand",
    "engine_names",
    "engines",
    "load_adapter",
    "load_worker",
    "register",
]

Capability = Literal["adapter", "push", "worker"]


class EngineAdapter(Protocol):
    """Converts between task templates and one engine's HTTP task JSON."""

    def export(self, task: Task, options: ExportOptions) -> Export:
        """The engine JSON for `task`; a value the engine cannot express names its field."""
        ...

    def import_(self, document: Any, *, task: str | None, name: str | None) -> Import:
        """A template read from the engine JSON (`task` picks one of a workflow's tasks)."""
        ...

    def export_step(
        self, task: Task, options: ExportOptions, inputs: Mapping[str, JsonValue]
    ) -> Export:
        """The export of a configured step: its input values written where the engine
        keeps them."""
        ...

    def import_step(
        self, document: Any, *, task: str | None
    ) -> tuple[Import, dict[str, JsonValue]]:
        """The import of a configured step and the input values its JSON carries."""
        ...


@runtime_checkable
class Pusher(Protocol):
    """An adapter that can register an export with the engine's server."""

    server_env: str
    """The environment variable that names the server when `--server` is not given."""

    def push(self, document: dict[str, Any], server: str, *, update: bool) -> dict[str, Any]:
        """Register the definitions in `document`; returns what the server accepted."""
        ...


class WorkerCommand(Protocol):
    """`connector worker --engine NAME`: runs tasks for the engine until stopped."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the engine's own options, in a group of its own (the shared ones are --task,
        --environment and --base-url)."""
        ...

    def run(self, args: argparse.Namespace) -> int:
        """Serve until interrupted; returns the exit code."""
        ...


@dataclass(frozen=True, slots=True)
class Engine:
    """One workflow engine: its name, title, and where its parts live ("module:attribute")."""

    name: str
    title: str
    adapter: str | None = None
    worker: str | None = None
    push: bool = False
    """Whether the adapter is also a `Pusher`."""

    def has(self, capability: Capability) -> bool:
        """Whether the engine offers an adapter, push or a worker."""
        return bool(getattr(self, capability))


_ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> None:
    """Add (or replace) an engine."""
    _ENGINES[engine.name] = engine


def engines(capability: Capability = "adapter") -> list[Engine]:
    """The registered engines that offer `capability`, in registration order."""
    return [engine for engine in _ENGINES.values() if engine.has(capability)]


def engine_names(capability: Capability = "adapter") -> list[str]:
    """The names of the engines that offer `capability`."""
    return [engine.name for engine in engines(capability)]


def load_adapter(name: str) -> EngineAdapter:
    """The adapter of engine `name`.

    Raises:
        ValueError: no engine of that name has an adapter.
    """
    adapter: EngineAdapter = _load(name, "adapter")
    return adapter


def load_worker(name: str) -> WorkerCommand:
    """The worker command of engine `name`.

    Raises:
        ValueError: no engine of that name has a worker.
    """
    worker: WorkerCommand = _load(name, "worker")
    return worker


def _load(name: str, capability: Literal["adapter", "worker"]) -> Any:
    engine = _ENGINES.get(name)
    target = getattr(engine, capability) if engine else None
    if not target:
        known = ", ".join(engine_names(capability)) or "none"
        raise ValueError(f"unknown engine {name!r} (engines with a {capability}: {known})")
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


register(
    Engine("simworkflow", "SimWorkflow", adapter="connector.engines.simworkflow:ADAPTER"),
)
register(
    Engine(
        "conductor",
        "Conductor",
        adapter="connector.engines.conductor._adapter:ADAPTER",
        worker="connector.engines.conductor._command:WORKER",
        push=True,
    )
)
register(Engine("temporal", "Temporal", worker="connector.cli._temporal:WORKER"))
