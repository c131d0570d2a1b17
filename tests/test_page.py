"""The page, used as a person would: in Debian's Chromium, headless, against a local emulator.

Drag the task into the workflow, fill the form, dry run, test request (201, then 200), make an
input invalid and see the field error with nothing sent, export and import the step back.
Screenshots are saved under the test's temporary directory.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from connector.emulator import Emulator  # noqa: E402
from connector.service import LocalTarget, create_app  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
expect = playwright_api.expect

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture
def service(emulator: Emulator) -> Iterator[str]:
    """The service on 127.0.0.1 and a free port, sending local test requests to `emulator`."""
    app = create_app(local=LocalTarget(emulator=emulator), environ={})
    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture
def page(service: str) -> Iterator[Any]:
    """A fresh page in headless Chromium that may reach loopback only."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1500, "height": 1000}, accept_downloads=True
        )
        context.route("**/*", _loopback_only)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(service)
        yield page
        context.close()
        browser.close()


def _loopback_only(route: Any) -> None:
    url = route.request.url
    if url.startswith(("http://127.0.0.1:", "blob:", "data:")):
        route.continue_()
    else:
        route.abort()


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
    page.locator(".palette-item").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#workflow .step")).to_have_count(1)
    expect(page.locator("#input-form [data-path]").first).to_be_focused()
