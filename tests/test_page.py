"""The page, used as a person would: in Debian's Chromium, headless, against a local emulator.

Drag the task into the workflow, fill the form, dry run, test request (201, then 200), make an
input invalid and see the field error with nothing sent, export and import the step back.
Screenshots are saved under the test's temporary directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

from connector.emulator import Emulator  # noqa: E402
from connector.service import LocalTarget, create_app  # noqa: E402
from tests._browser import CHROMIUM, browser_page, serving  # noqa: E402

expect = playwright_api.expect

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture
def service(emulator: Emulator) -> Iterator[str]:
    """The service on 127.0.0.1 and a free port, sending local test requests to `emulator`."""
    with serving(create_app(local=LocalTarget(emulator=emulator), environ={})) as url:
        yield url


@pytest.fixture
def page(service: str) -> Iterator[Any]:
    """A fresh page in headless Chromium that may reach loopback only."""
    with browser_page(service) as opened:
        yield opened


def field(page: Any, path: str) -> Any:
    """The form control for a dot path such as `allocations.0.method`."""
    return page.locator(f'#input-form [data-path="{path}"]')


def test_a_person_configures_tests_exports_and_imports_a_step(
    page: Any, emulator: Emulator, tmp_path: Path
) -> None:
    """Drag, fill, dry run, 201 then 200, a field error sends nothing, export and import."""
    p = page
    palette_item = p.locator(".palette-item", has_text="Upsert a payout request")
    expect(palette_item).to_be_visible()
    palette_item.drag_to(p.locator("#workflow"))
    expect(p.locator("#workflow .step")).to_have_count(1)
    expect(p.locator("#step-title")).to_contain_text("Upsert a payout request")

    for path, value in {
        "id": "po-page-1",
        "organizationId": "org-page",
        "websiteId": "web-1",
        "customerId": "cust-1",
        "currency": "USD",
        "amount": "125.5",
        "description": "Weekly payout",
    }.items():
        field(p, path).fill(value)
    expect(p.locator('[data-field="currency"] abbr.req')).to_have_count(1)

    p.locator("#server-managed summary").click()
    p.get_by_role("button", name="Add allocations item").click()
    methods = field(p, "allocations.0.method").locator("option").all_text_contents()
    assert {"paypal", "Apple Pay", "bank-transfer", "bitcoin"} <= set(methods)
    gateways = field(p, "allocations.0.gatewayName").locator("option").all_text_contents()
    assert len(gateways) > 200
    field(p, "allocations.0.method").select_option(label="paypal")
    field(p, "allocations.0.amount").fill("20")

    shown = json.loads(p.locator("#input-json").input_value())
    assert shown["amount"] == 125.5
    assert shown["allocations"] == [{"method": "paypal", "amount": 20}]

    edited = {**shown, "description": "Edited in JSON"}
    p.locator("#input-json").fill(json.dumps(edited))
    expect(field(p, "description")).to_have_value("Edited in JSON")

    p.get_by_role("button", name="Dry run").click()
    expect(p.locator("#request-url")).to_contain_text(
        "/organizations/org-page/payout-requests/po-page-1"
    )
    expect(p.locator("#request-view table.headers")).to_contain_text("<redacted>")
    assert emulator.requests == []
    p.screenshot(path=str(tmp_path / "01-dry-run.png"), full_page=True)

    p.get_by_role("button", name="Test request").click()
    expect(p.locator("#status-code")).to_contain_text("201")
    expect(p.locator("#result-status")).to_have_text("COMPLETED")
    expect(p.locator("#response-view table.attempts tbody tr")).to_have_count(1)
    p.screenshot(path=str(tmp_path / "02-created.png"), full_page=True)

    p.get_by_role("button", name="Test request").click()
    expect(p.locator("#status-code")).to_contain_text("200")
    assert len(emulator.requests) == 2
    p.screenshot(path=str(tmp_path / "03-updated.png"), full_page=True)

    field(p, "currency").fill("usd")
    field(p, "allocations.0.currency").fill("EURO")
    p.get_by_role("button", name="Test request").click()
    expect(p.locator('[data-field="currency"] > .field-error')).to_contain_text("ISO 4217")
    expect(p.locator('[data-field="allocations.0.currency"] > .field-error')).to_be_visible()
    expect(p.locator("#nothing-sent")).to_be_visible()
    assert len(emulator.requests) == 2
    p.screenshot(path=str(tmp_path / "04-field-error.png"), full_page=True)

    field(p, "currency").fill("EUR")
    field(p, "allocations.0.currency").fill("EUR")
    expect(p.locator('[data-field="currency"] > .field-error')).to_be_hidden()
    for engine, label in (("simworkflow", "SimWorkflow"), ("conductor", "Conductor")):
        _export_and_import(p, engine, label, tmp_path)


def _export_and_import(p: Any, engine: str, label: str, tmp_path: Path) -> None:
    """Export the step for `engine`, download it, import the file and get the step back."""
    p.get_by_role("button", name=f"Export as {label}").click()
    expect(p.locator("#export-json")).to_contain_text("po-page-1")
    assert "<redacted>" not in p.locator("#export-json").text_content()
    with p.expect_download() as download:
        p.get_by_role("button", name="Download").click()
    saved = tmp_path / f"step.{engine}.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())
    p.screenshot(path=str(tmp_path / f"05-export-{engine}.png"), full_page=True)

    steps = p.locator("#workflow .step").count()
    p.locator("#import-engine").select_option(engine)
    p.locator("#import-file").set_input_files(str(saved))
    expect(p.locator("#import-status")).to_contain_text("Imported")
    expect(p.locator("#workflow .step")).to_have_count(steps + 1)
    expect(field(p, "id")).to_have_value("po-page-1")
    expect(field(p, "currency")).to_have_value("EUR")
    expect(field(p, "allocations.0.method")).to_have_value("paypal")
    p.screenshot(path=str(tmp_path / f"06-imported-{engine}.png"), full_page=True)


def test_the_keyboard_adds_a_step_too(page: Any) -> None:
    """Enter on a focused palette item adds the step and moves focus into its form."""
    page.locator('.palette-item[data-task="upsert-payout-request"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#workflow .step")).to_have_count(1)
    expect(page.locator("#input-form [data-path]").first).to_be_focused()


def _fill_valid_step(p: Any) -> None:
    for path, value in {
        "id": "po-state-1",
        "organizationId": "org-page",
        "websiteId": "web-1",
        "customerId": "cust-1",
        "currency": "USD",
        "amount": "10",
    }.items():
        field(p, path).fill(value)


def _add_step(p: Any) -> None:
    steps = p.locator("#workflow .step").count()
    p.locator('.palette-item[data-task="upsert-payout-request"]').focus()
    p.keyboard.press("Enter")
    expect(p.locator("#workflow .step")).to_have_count(steps + 1)
    expect(field(p, "currency")).to_be_visible()


def test_fixed_errors_leave_no_banner_after_an_export(page: Any, emulator: Emulator) -> None:
    """Once the marked fields are fixed and an export succeeds, no error of the old inputs stays."""
    p = page
    _add_step(p)
    _fill_valid_step(p)
    field(p, "currency").fill("usd")
    p.get_by_role("button", name="Dry run").click()
    expect(p.locator("#general-errors")).to_be_visible()
    expect(p.locator("#general-errors")).to_contain_text("1 field is marked in the form")
    expect(p.locator('[data-field="currency"] > .field-error')).to_contain_text("ISO 4217")
    # the message is shown once: inline, not repeated in the banner or the panes
    assert "ISO 4217" not in p.locator("#general-errors").text_content()
    assert "ISO 4217" not in p.locator("#request-view").text_content()
    assert "ISO 4217" not in p.locator("#response-view").text_content()

    field(p, "currency").fill("USD")
    expect(p.locator("#general-errors")).to_be_hidden()
    p.get_by_role("button", name="Export as Conductor").click()
    expect(p.locator("#export-json")).to_contain_text("po-state-1")
    expect(p.locator("#general-errors")).to_be_hidden()
    expect(p.locator(".field-error:visible")).to_have_count(0)
    expect(p.locator("#nothing-sent")).to_have_count(0)
    assert emulator.requests == []


def test_a_new_step_starts_without_the_previous_steps_errors(page: Any) -> None:
    """Errors belong to their step: a new step shows none, and going back shows them again."""
    p = page
    _add_step(p)
    field(p, "currency").fill("usd")
    p.get_by_role("button", name="Dry run").click()
    expect(p.locator("#general-errors")).to_be_visible()

    _add_step(p)
    expect(p.locator("#workflow .step")).to_have_count(2)
    expect(p.locator("#general-errors")).to_be_hidden()
    expect(p.locator(".field-error:visible")).to_have_count(0)
    expect(p.locator("#request-view")).to_contain_text("Press Dry run")

    p.locator("#workflow .step-open").first.click()
    expect(p.locator("#general-errors")).to_be_visible()
    expect(field(p, "currency")).to_have_value("usd")


def test_editing_the_json_view_keeps_the_form_controls(page: Any) -> None:
    """A JSON edit of the same shape updates values in place instead of rebuilding the form."""
    p = page
    _add_step(p)
    p.evaluate("window.probe = document.querySelector('[data-path=\"currency\"]')")
    p.locator("#input-json").fill(json.dumps({"currency": "EUR", "amount": 5}))
    expect(field(p, "currency")).to_have_value("EUR")
    assert p.evaluate("window.probe === document.querySelector('[data-path=\"currency\"]')")
    p.locator("#input-json").fill(json.dumps({"allocations": [{"method": "paypal"}]}))
    expect(field(p, "allocations.0.method")).to_have_value("paypal")


def test_a_failed_fetch_is_reported_and_nothing_hangs(page: Any) -> None:
    """When the service does not answer, the page says so and the buttons work again."""
    p = page
    _add_step(p)
    _fill_valid_step(p)
    p.context.route("**/api/tasks/*/render", lambda route: route.abort())
    p.get_by_role("button", name="Dry run").click()
    expect(p.locator("#general-errors")).to_contain_text("did not answer")
    expect(p.get_by_role("button", name="Dry run")).to_be_enabled()


def test_ctrl_enter_sends_and_curl_names_the_variable(page: Any, emulator: Emulator) -> None:
    """Ctrl+Enter sends the test request; Copy as cURL shows $REBILLY_API_KEY, not the key."""
    p = page
    _add_step(p)
    _fill_valid_step(p)
    field(p, "amount").press("Control+Enter")
    expect(p.locator("#result-status")).to_have_text("COMPLETED")
    assert len(emulator.requests) == 1
    assert emulator.requests[0].credential == "REB-APIKEY"

    p.get_by_role("button", name="Copy as cURL").click()
    expect(p.locator("#export-json")).to_contain_text("curl -X PUT")
    curl = p.locator("#export-json").text_content()
    assert curl.startswith("curl -X PUT http://127.0.0.1:")
    assert "/payout-requests/po-state-1" in curl
    assert '"REB-APIKEY: ${REBILLY_API_KEY}"' in curl
    assert "sk_local" not in curl
    assert len(emulator.requests) == 1


def test_the_layout_fits_its_content(page: Any, tmp_path: Path) -> None:
    """No scroll box in the form, no clipped label, no per-character wrapping, no 404."""
    p = page
    missing: list[str] = []
    p.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    p.reload()
    _add_step(p)
    _fill_valid_step(p)
    p.get_by_role("button", name="Test request").click()
    expect(p.locator("#result-status")).to_have_text("COMPLETED")
    assert p.evaluate("getComputedStyle(document.getElementById('input-form')).overflowY") == (
        "visible"
    )
    clipped = p.evaluate(
        "[...document.querySelectorAll('#input-form .name')]"
        ".filter(n => n.scrollWidth > n.clientWidth + 1).map(n => n.textContent)"
    )
    assert clipped == []
    heights = p.evaluate(
        "[...document.querySelectorAll('table.attempts th, table.attempts td:not(:nth-child(3))')]"
        ".map(n => n.getBoundingClientRect().height)"
    )
    assert max(heights) < 2 * min(heights)
    p.screenshot(path=str(tmp_path / "layout-wide.png"), full_page=True)
    p.set_viewport_size({"width": 700, "height": 900})
    width = p.evaluate("document.getElementById('environment').getBoundingClientRect().width")
    assert width > 100
    p.screenshot(path=str(tmp_path / "layout-narrow.png"), full_page=True)
    assert missing == []


def test_the_reference_shows_beside_the_form(page: Any) -> None:
    """Opening a step loads its API reference: every body field with its valid values."""
    p = page
    _add_step(p)
    p.locator("#reference summary").click()
    table = p.locator('#reference-view table[aria-label="Request body fields"]')
    expect(table).to_contain_text("allocations[].method")
    expect(table).to_contain_text('"paypal"')
    expect(p.locator('#reference-view table[aria-label="Parameters"]')).to_contain_text("path")
