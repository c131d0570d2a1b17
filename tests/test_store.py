"""The user catalogue's location, and the generated index of the shipped templates."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from connector import _store
from connector._resources import templates_dir


def test_shipped_index_is_current() -> None:
    """The shipped index holds the rows of today's templates (`python -m connector._store`)."""
    assert _store.SHIPPED_INDEX.read_text(encoding="utf-8") == _store.shipped_index_json(), (
        "connector/_shipped_index.json is stale: run `python -m connector._store`"
    )


def test_shipped_rows_from_the_index_are_those_read_from_the_files() -> None:
    """The fast path (one index file) and the plain one (every template) give the same rows."""
    assert _store.shipped_rows() == _store.read_shipped_rows()


def test_an_index_of_other_files_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template added without regenerating the index is listed all the same (from its file)."""
    for path in templates_dir().glob("*.json"):
        shutil.copy(path, tmp_path)
    template = json.loads((templates_dir() / "upsert-payout-request.json").read_text())
    template["name"] = "added-later"
    (tmp_path / "added-later.json").write_text(json.dumps(template))
    monkeypatch.setattr(_store, "templates_dir", lambda: tmp_path)
    names = [row["name"] for row in _store.shipped_rows()]
    assert "added-later" in names
    assert "upsert-payout-request" in names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fast path is Linux's")
@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"HOME": "/home/ada"}, id="home"),
        pytest.param({"HOME": "/home/ada/"}, id="home-slash"),
        pytest.param({"HOME": "/home/ada", "XDG_DATA_HOME": "/data/ada"}, id="xdg"),
        pytest.param({"HOME": "/home/ada", "XDG_DATA_HOME": "relative"}, id="xdg-relative"),
        pytest.param({"HOME": "/home/ada", "XDG_DATA_HOME": ""}, id="xdg-empty"),
    ],
)
def test_catalog_dir_is_platformdirs_answer(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without importing platformdirs, the catalogue is where platformdirs puts it."""
    import platformdirs

    monkeypatch.delenv("CONNECTOR_CATALOG")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    expected = Path(platformdirs.user_data_dir("connector", appauthor=False))
    assert _store._xdg_data_dir(environ) == expected
    assert _store.catalog_dir() == expected


def test_catalog_dir_without_a_home_asks_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the plain answer does not apply (no absolute HOME), platformdirs decides."""
    monkeypatch.setattr(_store, "_platform_data_dir", lambda: "/from/platformdirs")
    assert _store._xdg_data_dir({"HOME": "relative"}) is None
    assert _store.catalog_dir({"HOME": ""}) == Path("/from/platformdirs")
