"""WCAG 2.1 AA on every staff screen, in real Chromium: axe-core (vendored in static/vendor/, used by
tests only) runs on each page of the CSP test's world (`admin_pages` in test_csp.py: every
changelist, a change form of every model, the add forms and our own screens; append new screens
there, or to EXTRA_SCREENS below for screens only this test needs), in the light and in the dark
colour scheme, and the test fails listing each critical or serious violation by screen, rule and
element.

axe is not loaded with a <script> tag (the strict CSP would block inline content): its source is
evaluated through Playwright, which the page's CSP does not govern."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from orders.models import Customization
from tests.browser.staff import log_in
from tests.browser.test_csp import admin_pages, everything  # noqa: F401  (the world of the CSP test)
from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core-4.14.1.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
IMPACTS = {"critical", "serious"}
SCHEMES = ("light", "dark")
TABS = 8


def flagged_review(world, user) -> list[str]:
    """The review screen of a design with bad words (the flag in red on the dark scheme)."""
    return [reverse("admin:orders_reviewitem_review", args=[world["flagged"].pk])]


def stock_import_preview(tab, base_url: str) -> str:
    """The stock import's preview of a file with a new, a changed and a wrong row."""
    tab.goto(base_url + reverse("admin:fulfilment_stocklevel_import"))
    tab.get_by_label("Connection").select_option(index=1)
    csv = b"sku,quantity\nMUG-11OZ-WHT,7\nNEW-MUG,3\nBAD-MUG,lots\n"
    tab.get_by_label("File").set_input_files(files=[{"name": "stock.csv", "mimeType": "text/csv", "buffer": csv}])
    tab.get_by_role("button", name="Preview").click()
    tab.locator("#import-preview").wait_for()
    return "stock import preview"


# The screens, beyond test_csp's admin_pages: functions of the world and the user that give
# URLs, and screens reached by steps (functions of a tab and the site's address that bring the
# tab there and name the screen). Append new ones here, or to admin_pages if the CSP test should
# open them too.
EXTRA_SCREENS = [flagged_review]
SCREENS_BY_STEPS = [stock_import_preview]

# Started in the page, not awaited: every tab runs axe at once; the result is polled.
START = """tags => {
  window.__axe = null;
  axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
    .then(r => { window.__axe = r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), impact: n.impact, summary: n.failureSummary}))})); })
    .catch(e => { window.__axe = [{id: "axe-error", impact: "critical", help: String(e), nodes: []}]; });
}"""


def screens(world, user) -> list[str]:
    urls = admin_pages(world, user)
    for extra in EXTRA_SCREENS:
        urls += extra(world, user)
    return list(dict.fromkeys(urls))


def start_axe(tab) -> None:
    tab.wait_for_load_state("networkidle")
    tab.evaluate(AXE.read_text())
    tab.evaluate(START, TAGS)


def axe_found(tab, scheme: str, screen: str) -> list[str]:
    """Each critical or serious violation as one line: scheme, screen, rule, element, why."""
    tab.wait_for_function("() => window.__axe !== null", timeout=60_000)
    found = []
    for violation in tab.evaluate("window.__axe"):
        for node in violation["nodes"] or [{"target": "", "impact": violation["impact"], "summary": ""}]:
            if (node["impact"] or violation["impact"]) in IMPACTS:
                found.append(
                    f"[{scheme}] {screen} {violation['id']} ({node['impact']}) at {node['target']!r}: "
                    f"{violation['help']}; {node['summary']}".replace("\n", " ")
                )
    return found


def audit(tabs, base_url: str, urls: list[str], scheme: str) -> list[str]:
    """The URLs a few at a time in the tabs (axe runs in all of them at once)."""
    found = []
    for tab in tabs:
        tab.emulate_media(color_scheme=scheme)
    for start in range(0, len(urls), len(tabs)):
        batch = list(zip(tabs, urls[start : start + len(tabs)], strict=False))
        for tab, url in batch:
            tab.goto(base_url + url, wait_until="commit")
        for tab, _url in batch:
            start_axe(tab)
        for tab, url in batch:
            found += axe_found(tab, scheme, url)
    return found


@pytest.fixture
def world(everything):  # noqa: F811
    """The CSP test's world, with a design flagged for bad words."""
    flagged = Customization.objects.exclude(pk=everything["approved"].pk).order_by("-pk").first()
    Customization.objects.filter(pk=flagged.pk).update(has_bad_words=True, bad_words=["darn", "heck"])
    return {**everything, "flagged": flagged}


def test_every_staff_screen_has_no_critical_or_serious_axe_violation(page, live_server, world):
    root = StaffFactory(username="root", is_superuser=True)
    found = []
    for scheme in SCHEMES:  # the login page, before logging in
        found += audit([page], live_server.url, [reverse("admin:login")], scheme)
    page.emulate_media(color_scheme="light")
    log_in(page, live_server, root)
    tabs = [page, *(page.context.new_page() for _ in range(TABS - 1))]
    urls = screens(world, root)
    for scheme in SCHEMES:
        found += audit(tabs, live_server.url, urls, scheme)
        for steps in SCREENS_BY_STEPS:
            name = steps(page, live_server.url)
            start_axe(page)
            found += axe_found(page, scheme, name)
    print(
        f"axe: {len(urls) + len(SCREENS_BY_STEPS)} screens x {len(SCHEMES)} schemes, {len(found)} critical or serious"
    )
    assert len(urls) > 40
    assert found == [], "\n".join(found)
