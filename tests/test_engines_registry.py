"""The engine registry: the one list the CLI, the service and the page take engines from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connector.cli import build_parser
from connector.engines import _registry, engine_names, load_adapter, load_worker
from connector.engines._registry import Engine, EngineAdapter, Pusher


@pytest.fixture
def extra_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A third engine registered for one test: the SimWorkflow adapter under another name."""
    monkeypatch.setattr(_registry, "_ENGINES", dict(_registry._ENGINES))
    _registry.register(
        Engine("other", "Other Engine", adapter="connector.engines.simworkflow:ADAPTER")
    )
    yield "other"


def _choices(command: str) -> list[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    sub = commands.choices[command]  # type: ignore[index]
    engine = next(a for a in sub._actions if a.dest == "engine")
    return list(engine.choices)


def test_the_shipped_engines() -> None:
    """SimWorkflow and Conductor export and import; Conductor pushes; both workers register."""
    assert engine_names("adapter") == ["simworkflow", "conductor"]
    assert engine_names("push") == ["conductor"]
    assert engine_names("worker") == ["conductor", "temporal"]


@pytest.mark.parametrize("name", engine_names("adapter"))
def test_every_adapter_follows_the_protocol(name: str) -> None:
    """Each registered adapter has export, import and the step methods; pushers push."""
    adapter: Any = load_adapter(name)
    for method in ("export", "import_", "export_step", "import_step"):
        assert callable(getattr(adapter, method))
    assert isinstance(adapter, Pusher) is (name in engine_names("push"))
    _typed: EngineAdapter = adapter


def test_cli_choices_come_from_the_registry(extra_engine: str) -> None:
    """A registered engine appears in export and import; push and worker only when offered."""
    assert extra_engine in _choices("export")
    assert extra_engine in _choices("import")
    assert extra_engine not in _choices("push")
    assert _choices("worker") == engine_names("worker")


def test_service_engines_come_from_the_registry(extra_engine: str) -> None:
    """The page's engine buttons (`GET /api/engines`) list every registered adapter."""
    from starlette.testclient import TestClient

    from connector.service import create_app

    with TestClient(create_app()) as client:
        listed = client.get("/api/engines").json()
    assert {"name": extra_engine, "title": "Other Engine"} in listed


def test_an_unknown_engine_names_the_known_ones() -> None:
    """Asking for an engine that is not registered says which ones are."""
    with pytest.raises(ValueError, match="simworkflow, conductor"):
        load_adapter("airflow")
    with pytest.raises(ValueError, match="engines with a worker: conductor, temporal"):
        load_worker("simworkflow")
