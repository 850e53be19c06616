"""Fixtures for the browser tests: a real headless Chromium (Debian's, driven by Playwright)
pointed at the live server, with every console error and every request recorded.

Never skipped silently: without Chromium the tests fail with a clear message, unless
``HMIC_KG_ALLOW_NO_BROWSER=1`` is set (then they are skipped, saying why).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path(os.environ.get("HMIC_KG_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Watch:
    """What the browser did: console errors, page errors and requests by origin."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def foreign(self) -> list[str]:
        """Requests that left 127.0.0.1 (data: and about: URLs are local)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about", "blob"):
                continue
            if parts.hostname != "127.0.0.1":
                out.append(url)
        return out

    def assert_clean(self) -> None:
        """No console errors, no uncaught exceptions, nothing fetched from elsewhere."""
        assert not self.console_errors, self.console_errors
        assert not self.page_errors, self.page_errors
        assert not self.foreign, self.foreign


def _missing_browser(reason: str) -> None:
    if os.environ.get("HMIC_KG_ALLOW_NO_BROWSER") == "1":
        pytest.skip(f"browser tests skipped (HMIC_KG_ALLOW_NO_BROWSER=1): {reason}")
    pytest.fail(
        f"{reason}. The browser tests need Debian's Chromium at {CHROMIUM} "
        "(apt-get install chromium) and Playwright for Python; set HMIC_KG_ALLOW_NO_BROWSER=1 "
        "to skip them knowingly.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists() and shutil.which(str(CHROMIUM)) is None:
        _missing_browser(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def _page(chromium, live_server: str, javascript: bool = True):
    context = chromium.new_context(
        base_url=live_server, accept_downloads=True, java_script_enabled=javascript
    )
    watch = Watch(live_server)
    page = context.new_page()
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.page_errors.append(str(e)))
    page.on("request", lambda r: watch.requests.append(r.url))

    def only_local(route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", None):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_local)
    return context, page, watch


@pytest.fixture()
def browser_page(chromium, live_server):
    """A fresh page (JavaScript on) and its :class:`Watch`."""
    context, page, watch = _page(chromium, live_server)
    yield page, watch
    context.close()


@pytest.fixture()
def no_js_page(chromium, live_server):
    """A fresh page with JavaScript switched off, and its :class:`Watch`."""
    context, page, watch = _page(chromium, live_server, javascript=False)
    yield page, watch
    context.close()
