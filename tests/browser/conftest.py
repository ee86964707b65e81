"""Browser journeys: headless Debian Chromium (Playwright) against a real uvicorn server on the test database.

Every journey a person clicks runs here as that person would: in Chromium (which sends `Origin`, cookies and
follows redirects as buyers' phones do), on a desktop (1280×800) and a phone (390×844), in es, pt and en.
Use `JOURNEYS` to parametrize a test over that matrix and `open_page` to get a page in one of its cells.

Playwright's sync API keeps an event loop running in the test's thread, so the browser lives only as long as
one test module (module scope): tests outside tests/browser/ never see that loop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.processes import ROOT, WebServer

ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
# The flags this machine's closed network needs (no background connections, no first-run work).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("es", "pt", "en")
BROWSER_LOCALES = {"es": "es-MX", "pt": "pt-BR", "en": "en-US"}


@dataclass(frozen=True)
class Journey:
    """One cell of the matrix: the person's language and screen."""

    language: str
    viewport: str

    @property
    def id(self) -> str:
        return f"{self.language}-{self.viewport}"


JOURNEYS = [
    pytest.param(Journey(language, viewport), id=f"{language}-{viewport}")
    for language in LANGUAGES
    for viewport in VIEWPORTS
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


# What Chromium reported this test as blocked by a page's Content-Security-Policy (its console errors).
CSP_VIOLATIONS: list[str] = []


@pytest.fixture(autouse=True)
def _no_content_security_policy_violation() -> Iterator[None]:
    """Every page of every journey runs under its CSP with nothing blocked (an inline script or style without
    the nonce would be, and the page would silently lose it)."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, "blocked by Content-Security-Policy:\n" + "\n".join(CSP_VIOLATIONS)


def _note_csp_violation(message: ConsoleMessage) -> None:
    if "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(f"{message.page.url if message.page else '?'}: {message.text}")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium (browser tests never skip).")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # The test's own ORM reads run while Playwright's loop is current in this thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def open_page(browser: Browser, *, base_url: str, journey: Journey) -> Page:
    """A fresh browser profile (no cookies) in the journey's language and screen size."""
    context = browser.new_context(
        base_url=base_url,
        locale=BROWSER_LOCALES[journey.language],
        viewport=VIEWPORTS[journey.viewport],  # type: ignore[arg-type]
        is_mobile=journey.viewport == "phone",
        has_touch=journey.viewport == "phone",
    )
    context.on("console", _note_csp_violation)  # every tab of the context, a second one opened later too
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def log_in(page: Page, *, email: str, password: str, path: str = "/") -> None:
    """Log in through the login form, as a person does, and land on `path`."""
    page.goto(path)
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    expect(page.locator("#id_password")).to_have_count(0)


def assert_fits_viewport(page: Page) -> None:
    """Nothing on the page makes it scroll sideways (the phone journeys' layout promise). Measured against the
    screen's width: on a phone (`is_mobile`) Chromium widens the layout viewport, and `innerWidth` with it, to
    whatever overflows, so comparing with `innerWidth` would pass a page that the phone shows zoomed out."""
    screen = page.viewport_size
    assert screen is not None
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= screen["width"], f"{page.url} is {width} px wide on a {screen['width']} px screen"


def shot(page: Page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module")
def web(django_db_setup: None) -> Iterator[WebServer]:
    """One server (test settings) for the module: it finds each test's committed seller by its host."""
    server = WebServer()
    yield server
    server.stop()
