"""Logging staff in through the admin's own login form, as a person would; screenshots to look at."""

import os

from playwright.sync_api import expect

from tests.factories import STAFF_PASSWORD


def log_in(page, live_server, user, password: str = STAFF_PASSWORD) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")


def shoot(page, name: str) -> None:
    """A full-page screenshot into $SCREENSHOT_DIR when it is set (never written otherwise)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, name), full_page=True)
