"""Logging staff in through the admin's own login form, as a person would."""

from playwright.sync_api import expect

from tests.factories import STAFF_PASSWORD


def log_in(page, live_server, user, password: str = STAFF_PASSWORD) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
