"""Real Chromium through Playwright's sync API, for the staff flows.

Playwright's sync API keeps an event loop running on the main thread, and Django refuses ORM
calls from such a thread unless told otherwise; the tests here call the ORM between browser
steps, so that check is switched off for this package only.
"""

import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Debian's Chromium, headless; Playwright's own browsers are not downloadable here."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page in a fresh context: no cookies or session carried over from another test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
