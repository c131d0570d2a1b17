"""The page's Arazzo panel, used as a person would: in Debian's Chromium, headless. Choose
the payout lifecycle's file; every step is listed with its dry run, and nothing is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

from conftest import ROOT  # noqa: E402

from connector.emulator import Emulator  # noqa: E402
from connector.service import LocalTarget, create_app  # noqa: E402
from tests._browser import CHROMIUM, browser_page, serving  # noqa: E402

expect = playwright_api.expect
pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's Chromium is not installed (apt-get install chromium)"
)
DOCUMENT = ROOT / "examples" / "payout-lifecycle" / "payout-lifecycle.arazzo.yaml"


@pytest.fixture
def page(emulator: Emulator) -> Iterator[Any]:
    """A fresh page of the service on a free loopback port."""
    app = create_app(local=LocalTarget(emulator=emulator), environ={})
    with serving(app) as url, browser_page(url) as opened:
        yield opened


def test_the_panel_lists_each_step_with_its_dry_run(
    page: Any, emulator: Emulator, tmp_path: Path
) -> None:
    """Each of the nine steps, its request and its wiring; nothing reaches the emulator."""
    page.locator("#arazzo-file").set_input_files(str(DOCUMENT))
    expect(page.locator("#arazzo-status")).to_contain_text(
        "payout-lifecycle: 9 steps; nothing was sent."
    )
    steps = page.locator("#arazzo-steps .arazzo-step")
    expect(steps).to_have_count(9)
    expect(steps.nth(1)).to_contain_text("GET {emulator}/organizations/{$inputs.organizationId}")
    expect(steps.nth(1)).to_contain_text("$steps.upsert.outputs.id → read.path.id")
    expect(steps.nth(2)).to_contain_text("not safe to repeat")
    page.screenshot(path=str(tmp_path / "arazzo-panel.png"), full_page=True)
    assert emulator.requests == []


def test_a_broken_file_shows_its_pointer(page: Any, tmp_path: Path) -> None:
    """A rule the document breaks is shown by JSON pointer, in the panel."""
    broken = tmp_path / "broken.arazzo.yaml"
    broken.write_text(DOCUMENT.read_text().replace("stepId: read\n", "stepId: upsert\n"))
    page.locator("#arazzo-file").set_input_files(str(broken))
    expect(page.locator("#arazzo-steps .field-error").first).to_contain_text(
        "/workflows/0/steps/1/stepId: 'upsert' is used twice"
    )
