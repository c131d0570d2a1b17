"""The page's palette, used as a person would, in Debian's Chromium against a local emulator.

Search "cancel payout", drag the best match into the workflow, fill the id of a payout request
made first in the emulator and send it; the catalogue's states (loading, tree, matches, no
match, failed fetches) each shown and saved as a screenshot under the test's directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

import requests  # noqa: E402

from connector._catalog import task_names  # noqa: E402
from connector.cli import main  # noqa: E402
from connector.emulator import Emulator  # noqa: E402
from connector.service import LocalTarget, create_app  # noqa: E402
from tests._browser import CHROMIUM, CLOCK_START, browser_page, serving  # noqa: E402
from tests.test_catalog_cli import PETSTORE  # noqa: E402

expect = playwright_api.expect
pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's Chromium is not installed (apt-get install chromium)"
)

CANCEL = "cancel-payout-request"
ORGANIZATION = "org-palette"


@pytest.fixture(autouse=True)
def _pets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The user catalogue holds the Pet Store, imported as `pets`."""
    spec = tmp_path / "petstore.json"
    spec.write_text(json.dumps(PETSTORE))
    assert main(["catalog", "import", str(spec), "--api", "pets"]) == 0
    capsys.readouterr()


@pytest.fixture
def service(emulator: Emulator) -> Iterator[str]:
    """The service on a free loopback port, sending local test requests to `emulator`."""
    with serving(create_app(local=LocalTarget(emulator=emulator), environ={})) as url:
        yield url


def _palette(p: Any) -> Any:
    return p.locator("#palette")


def _search(p: Any, query: str) -> None:
    p.locator("#palette-search").fill(query)
    expect(p.locator("#palette-status")).to_contain_text("best match")


def _put_payout_request(emulator: Emulator, payout_id: str) -> None:
    url = f"{emulator.base_url(ORGANIZATION)}/payout-requests/{payout_id}"
    body = {"websiteId": "web-1", "customerId": "cust-1", "currency": "USD", "amount": 40}
    answer = requests.put(url, json=body, headers={"REB-APIKEY": "local-key"}, timeout=10)
    assert answer.status_code == 201


def test_search_drag_the_cancellation_and_send_it_to_the_emulator(
    service: str, emulator: Emulator, tmp_path: Path
) -> None:
    """'cancel payout' ranks the shipped cancellation first; dragged in, it cancels a stored
    payout request in the emulator."""
    _put_payout_request(emulator, "po-palette-1")
    with browser_page(service) as p:
        expect(p.locator("#palette-status")).to_contain_text("tasks in")
        p.screenshot(path=str(tmp_path / "01-catalogue.png"))
        _search(p, "cancel payout")
        best = _palette(p).locator(".palette-item").first
        expect(best).to_have_attribute("data-task", CANCEL)
        expect(best).to_contain_text("POST /payout-requests/<<id>>/cancel")
        p.screenshot(path=str(tmp_path / "02-matches.png"))

        best.drag_to(p.locator("#workflow"))
        expect(p.locator("#workflow .step")).to_have_count(1)
        expect(p.locator("#step-title")).to_contain_text("Cancel")
        p.locator("#reference summary").click()
        expect(p.locator("#reference-view .request-line")).to_contain_text("/cancel")
        p.locator('#input-form [data-path="id"]').fill("po-palette-1")
        p.locator('#input-form [data-path="organizationId"]').fill(ORGANIZATION)
        p.screenshot(path=str(tmp_path / "03-dragged.png"), full_page=True)

        p.get_by_role("button", name="Test request").click()
        expect(p.locator("#status-code")).to_contain_text("200")
        expect(p.locator("#result-status")).to_have_text("COMPLETED")
        expect(p.locator("#response-view")).to_contain_text('"canceled"')
        p.screenshot(path=str(tmp_path / "04-sent.png"), full_page=True)

    (sent,) = [r for r in emulator.requests if r.method == "POST"]
    assert sent.path == f"/organizations/{ORGANIZATION}/payout-requests/po-palette-1/cancel"
    assert sent.authorized
    stored = emulator.resource(ORGANIZATION, "po-palette-1")
    assert stored is not None
    assert stored["status"] == "canceled"


def test_the_tree_opens_an_imported_api_whose_task_is_sent_to_its_own_emulator(
    service: str, emulator: Emulator
) -> None:
    """Shipped APIs are open, imported ones closed (no items drawn); toggles open and close; a
    clicked Pet Store task is sent to an emulator of the Pet Store, not Rebilly's."""
    with browser_page(service) as p:
        expect(p.locator("#palette-status")).to_contain_text("tasks in")
        pets = _palette(p).locator('[data-toggle="imported:pets"]')
        expect(pets).to_have_attribute("aria-expanded", "false")
        expect(_palette(p).locator(".palette-item")).to_have_count(len(task_names()))
        pets.click()
        expect(pets).to_have_attribute("aria-expanded", "true")
        tag = _palette(p).locator('[data-toggle="imported:pets:pets"]')
        tag.press("Enter")
        expect(tag).to_have_attribute("aria-expanded", "true")
        expect(tag).to_be_focused()
        create = _palette(p).locator('[data-task="pets/create-pet"]')
        expect(create).to_contain_text("POST /pets")
        create.dblclick()  # a click adds the step; the second click of a double click does not
        expect(p.locator("#step-title")).to_contain_text("Create a pet")
        expect(p.locator("#workflow .step")).to_have_count(1)
        p.locator('#input-form [data-path="name"]').fill("Rex")
        p.get_by_role("button", name="Test request").click()
        expect(p.locator("#status-code")).to_contain_text("201")
        assert emulator.requests == []
        pets.click()
        expect(_palette(p).locator('[data-task^="pets/"]')).to_have_count(0)


def test_the_keyboard_searches_and_adds_the_best_match(service: str) -> None:
    """'/' focuses the search, Enter adds the best match, ArrowDown walks, Escape clears."""
    with browser_page(service) as p:
        expect(p.locator("#palette-status")).to_contain_text("tasks in")
        p.locator("body").press("/")
        expect(p.locator("#palette-search")).to_be_focused()
        p.keyboard.type("cancel payout")
        expect(p.locator("#palette-status")).to_contain_text("best match")
        p.keyboard.press("Enter")
        expect(p.locator("#workflow .step")).to_have_count(1)

        p.locator("#palette-search").focus()
        p.keyboard.press("ArrowDown")
        expect(_palette(p).locator(".palette-item").first).to_be_focused()
        p.keyboard.press("ArrowDown")
        expect(_palette(p).locator(".palette-item").nth(1)).to_be_focused()
        p.keyboard.press("Enter")
        expect(p.locator("#workflow .step")).to_have_count(2)

        p.locator("#palette-search").focus()
        p.keyboard.press("Escape")
        expect(p.locator("#palette-search")).to_have_value("")
        expect(p.locator("#palette-status")).to_contain_text("tasks in")


def test_typing_sends_one_search_after_the_pause_and_draws_at_most_twenty(service: str) -> None:
    """With the page's clock held, a typed query sends nothing until the pause has passed, then
    one search; its matches (at most 20) replace the tree, not the whole catalogue."""
    searches: list[str] = []
    with browser_page(None, clock=True) as p:
        p.on("request", lambda r: searches.append(r.url) if "/api/catalogue?" in r.url else None)
        p.goto(service)
        expect(p.locator("#palette-status")).to_contain_text("tasks in")
        p.clock.pause_at(CLOCK_START + timedelta(days=1))  # no timer runs until advanced
        p.locator("#palette-search").press_sequentially("payout request")
        p.clock.run_for(100)
        assert searches == []
        p.clock.run_for(200)
        expect(p.locator("#palette-status")).to_contain_text("best match")
        assert len(searches) == 1
        assert "q=payout%20request" in searches[0]
        assert 0 < _palette(p).locator(".palette-item").count() <= 20
        assert _palette(p).locator(".palette-group").count() == 0


def test_each_state_says_what_it_is_and_fits_the_column(service: str, tmp_path: Path) -> None:
    """Loading, no match, a failed search and a failed catalogue each show a line (and Retry);
    no item or toggle is wider than the palette, wide or narrow, and the list scrolls."""
    with browser_page(None) as p:
        held: list[Any] = []
        p.route("**/api/catalogue", lambda route: held.append(route))  # noqa: PLW0108 - not a builtin
        p.goto(service)
        expect(p.locator("#palette-status")).to_have_text("Loading the catalogue…")
        p.screenshot(path=str(tmp_path / "05-loading.png"))
        held[0].continue_()
        p.unroute("**/api/catalogue")
        expect(p.locator("#palette-status")).to_contain_text("tasks in")

        p.locator("#palette-search").fill("zzqx")
        expect(_palette(p)).to_contain_text("No task matches “zzqx”")
        expect(p.locator("#palette-status")).to_have_text(
            "No match in " + p.locator("#palette-status").text_content().split(" in ")[-1]
        )
        p.screenshot(path=str(tmp_path / "06-no-match.png"))

        p.route("**/api/catalogue?*", lambda route: route.abort())
        p.locator("#palette-search").fill("split a payout")
        expect(_palette(p)).to_contain_text("The search failed: The connector service did not")
        p.screenshot(path=str(tmp_path / "07-search-failed.png"))
        p.unroute("**/api/catalogue?*")
        _palette(p).get_by_role("button", name="Retry").click()
        expect(p.locator("#palette-status")).to_contain_text("best match")

        p.route("**/api/catalogue", lambda route: route.abort())
        p.reload()
        expect(_palette(p)).to_contain_text("The catalogue could not be loaded")
        p.screenshot(path=str(tmp_path / "08-catalogue-failed.png"))
        p.unroute("**/api/catalogue")
        _palette(p).get_by_role("button", name="Retry").click()
        expect(p.locator("#palette-status")).to_contain_text("tasks in")
        _fits(p, tmp_path)


def _fits(p: Any, tmp_path: Path) -> None:
    p.locator('[data-toggle="imported:pets"]').click()
    for width in (1500, 1100, 700):
        p.set_viewport_size({"width": width, "height": 900})
        for query in ("", "cancel payout"):
            p.locator("#palette-search").fill(query)
            expect(p.locator("#palette-status")).to_contain_text("best match" if query else "in")
            overflowing = p.evaluate(
                "[...document.querySelectorAll('#palette li, #palette button')]"
                ".filter(n => n.scrollWidth > n.clientWidth + 1).length"
            )
            assert overflowing == 0, (width, query)
            shown = "matches" if query else "tree"
            p.screenshot(path=str(tmp_path / f"09-{width}-{shown}.png"), full_page=True)
    assert p.evaluate("getComputedStyle(document.getElementById('palette')).overflowY") == "auto"


def test_an_imported_task_shows_its_own_api_and_environments_and_exports(
    service: str, tmp_path: Path
) -> None:
    """The header names the open task's API; the selector lists its own environments with
    their kinds (not Rebilly's); a dry run and an export work with the defaults."""
    with browser_page(service) as p:
        expect(p.locator("#palette-status")).to_contain_text("tasks in")
        _search(p, "create a pet")
        _palette(p).locator('[data-task="pets/create-pet"]').click()
        expect(p.locator("#step-title")).to_contain_text("Create a pet")
        expect(p.locator("#vendor")).to_have_text("· pets")
        options = p.locator("#environment option").all_text_contents()
        assert options == ["production (production: asks first)", "local (built-in emulator)"]
        assert p.locator("#environment").input_value() == "local"
        p.locator('#input-form [data-path="name"]').fill("Rex")
        p.get_by_role("button", name="Dry run").click()
        expect(p.locator("#request-view")).to_contain_text("POST http://127.0.0.1")
        p.get_by_role("button", name="Export as SimWorkflow").click()
        expect(p.locator("#export-title")).to_contain_text("create-pet.simworkflow.json")
        p.screenshot(path=str(tmp_path / "imported-task.png"), full_page=True)
