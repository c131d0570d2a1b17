"""The wheel ships the templates and the manifest: installed elsewhere, it lists and renders."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from conftest import EXAMPLE_INPUT, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the built wheel installed (its dependencies are
    borrowed from this interpreter by path, so no download and no editable checkout is seen)."""
    base = tmp_path_factory.mktemp("wheel")
    build = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        str(ROOT),
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(base / "dist"),
    ]
    subprocess.run(build, check=True, capture_output=True)
    wheel = next((base / "dist").glob("connector-*.whl"))
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "borrowed-deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    install = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--no-deps",
        "-q",
        str(wheel),
    ]
    subprocess.run(install, check=True, capture_output=True)
    return env_dir


def _run(env_dir: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [env_dir / "bin" / "connector", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_the_installed_package_is_the_wheel_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    """Run from outside the repository, `connector` imports from the virtual environment."""
    code = "import connector, connector._resources as r; print(connector.__file__, r.data_dir())"
    out = subprocess.run(
        [installed / "bin" / "python", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module, data = out.split()
    assert module.startswith(str(installed))
    assert data.startswith(str(installed)) and data.endswith("_data")


def test_the_wheel_lists_the_shipped_task(installed: Path, tmp_path: Path) -> None:
    """`connector list` works from the wheel's own copy of manifest.json."""
    result = _run(installed, tmp_path, "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 31
    assert {row["api"] for row in rows} == {"rebilly"}
    upsert = next(row for row in rows if row["name"] == "upsert-payout-request")
    assert upsert["operationId"] == "PutPayoutRequest"


def test_the_wheel_renders_the_example(installed: Path, tmp_path: Path) -> None:
    """`connector render` works from the wheel's own copy of the template."""
    result = _run(
        installed,
        tmp_path,
        "render",
        "upsert-payout-request",
        "--input",
        str(EXAMPLE_INPUT),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["body"]["amount"] == 125.5
