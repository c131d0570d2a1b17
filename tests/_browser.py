"""The page in Debian's Chromium, headless: the service on a free loopback port, and a page
that may reach loopback only. Shared by the browser test modules."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CLOCK_START = datetime(2026, 1, 1, tzinfo=UTC)
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


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 and a free port; yields its URL."""
    import uvicorn

    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@contextmanager
def browser_page(
    url: str | None, *, width: int = 1500, height: int = 1000, clock: bool = False
) -> Iterator[Any]:
    """A fresh page (at `url`, unless None) whose requests beyond loopback are aborted.

    With `clock`, the page's clock is Playwright's: it flows from `CLOCK_START` until the
    test pauses it (`page.clock.pause_at(...)`), then timers run only when it is advanced.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        context.route("**/*", _loopback_only)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if clock:
            page.clock.install(time=CLOCK_START)
        if url is not None:
            page.goto(url)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _loopback_only(route: Any) -> None:
    url = route.request.url
    if url.startswith(("http://127.0.0.1:", "blob:", "data:")):
        route.continue_()
    else:
        route.abort()
