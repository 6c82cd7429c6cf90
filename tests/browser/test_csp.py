"""The site-wide Content-Security-Policy, in real Chromium: a superuser visits every admin page
we have (every changelist, a change form of a real object of every model, the add forms, the
review screen, the bad-words editor, a running sync's progress, fulfilment create and codes,
stock import, a pushed order with PDF, PNG and ZPL labels, the label print page, the print
labels warning page) and Django admin's own pages, and no `securitypolicyviolation` event fires
and no console line reports a CSP error. Every image on those pages loads (vendor images come
through our own image proxy). Data comes from the built-in sandboxes over real HTTP."""

import hashlib

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import expect

from fulfilment.models import PushedOrder, Shipment, ShippingLabel, StockLevel
from fulfilment.services.orders import fulfilment_order_create, order_push_url
from fulfilment.services.shipping import pushed_order_ship
from integrations.custom_gateway import sandbox as cg_sandbox
from orders.models import Customization, PrintRequirement, SideArtwork, SyncRun
from orders.services.review import artwork_approve
from orders.services.sync import customizations_sync
from tests.browser.staff import log_in
from tests.factories import StaffFactory
from tests.hostile import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""
TABS = 12
ADDRESS = {"shipping_address_1": "1 High Street", "shipping_postcode": "AB1 2CD", "shipping_country_code": "GB"}


def with_artwork(customization):
    for side in customization.sides.all():
        content = png(50, 40)
        name = default_storage.save(f"artwork/csp/{side.pk}.png", ContentFile(content))
        SideArtwork.objects.update_or_create(
            side=side,
            defaults={
                "state": SideArtwork.State.READY,
                "file": name,
                "content_type": "image/png",
                "sha256": hashlib.sha256(content).hexdigest(),
                "size_bytes": len(content),
            },
        )
    return customization


@pytest.fixture
def everything(
    qstomizer_connection, kickflip_connection, custom_gateway_connection, django_capture_on_commit_callbacks
):
    customizations_sync(connection=qstomizer_connection)
    customizations_sync(connection=kickflip_connection)
    SyncRun.objects.create(connection=qstomizer_connection, progress=0.4, fetched=12)  # running: polls with htmx
    approved = Customization.objects.filter(connection=qstomizer_connection).first()
    with django_capture_on_commit_callbacks(execute=False):
        artwork_approve(customization=approved, user=None)
    with_artwork(approved)
    order = fulfilment_order_create(connection=custom_gateway_connection, customizations=[approved], shipping=ADDRESS)
    PrintRequirement.objects.create(template_id="600103", min_width=2400, min_height=2400)
    StockLevel.objects.create(connection=custom_gateway_connection, sku="MUG-11OZ-WHT", quantity_available=5)
    box = cg_sandbox.sandbox()
    pushed = []
    for label_format in ("pdf", "png"):
        box.label_format = label_format
        known = list(PushedOrder.objects.values_list("pk", flat=True))
        assert (
            cg_sandbox.push_order(
                order_push_url(custom_gateway_connection), custom_gateway_connection.secret("push_hmac_key")
            )
            == 200
        )
        pushed.append(PushedOrder.objects.exclude(pk__in=known).get())
        pushed_order_ship(pushed[-1])
    zpl = Shipment.objects.create(order=pushed[0], vendor_id="zpl-1", carrier="DPD", tracking="ZPL1", raw={})
    label = ShippingLabel.objects.create(
        shipment=zpl, state=ShippingLabel.State.READY, content_type="application/x-zpl"
    )
    label.file.save("labels/csp/zpl.zpl", ContentFile(b"^XA^FO50,50^FDZPL1^FS^XZ"), save=True)
    return {"fulfilment_order": order, "pushed": pushed, "approved": approved}


def admin_pages(everything, superuser) -> list[str]:
    """Every changelist, a change form of an object of every model that has one, every add form
    the superuser may open, and our own screens."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls = {name for name in (p.name for p in model_admin.get_urls()) if name}
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        obj = model_admin.get_queryset(request).first()
        if obj is not None and "{}_{}_change".format(*info) in urls:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        if model_admin.has_add_permission(request) and "{}_{}_add".format(*info) in urls:
            pages.append(reverse("admin:{}_{}_add".format(*info)))
    pushed = everything["pushed"]
    review = Customization.objects.order_by("pk").first()
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).first()
    pages += [
        reverse("admin:orders_reviewitem_review", args=[review.pk]),
        reverse("admin:orders_badwordlist_changelist"),
        reverse("admin:orders_syncrun_change", args=[running.pk]),
        reverse("admin:fulfilment_fulfilmentorder_create"),
        reverse("admin:fulfilment_error_codes"),
        reverse("admin:fulfilment_stocklevel_import"),
        reverse("admin:fulfilment_pushedorder_change", args=[pushed[0].pk]),
        reverse("admin:fulfilment_pushedorder_change", args=[pushed[1].pk]),
        reverse(
            "admin:fulfilment_pushedorder_label_print",
            args=[ShippingLabel.objects.filter(content_type="application/pdf").first().pk],
        ),
        reverse("admin:password_change"),
        reverse("admin:auth_user_password_change", args=[StaffFactory(username="other").pk]),
    ]
    return list(dict.fromkeys(pages))


def test_every_admin_page_runs_under_the_csp_with_no_violation(page, live_server, everything):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.context.add_init_script(LISTEN)
    root = StaffFactory(username="root", is_superuser=True)
    log_in(page, live_server, root)  # the login page itself is checked too

    # Pages are opened a few at a time in tabs of the same session, so that the half-second
    # "network idle" waits overlap; each page is checked exactly as it would be alone.
    tabs = [page, *(page.context.new_page() for _ in range(TABS - 1))]
    for tab in tabs[1:]:
        tab.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    visited, violations = [], {}
    urls = admin_pages(everything, root)
    for start in range(0, len(urls), TABS):
        batch = list(zip(tabs, urls[start : start + TABS], strict=False))
        responses = [tab.goto(live_server.url + url, wait_until="commit") for tab, url in batch]
        for (tab, url), response in zip(batch, responses, strict=True):
            assert response.status == 200, url
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
            tab.wait_for_load_state("networkidle")
            # Every image with a source loads (lazy thumbnails are made eager first).
            tab.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
            tab.wait_for_function("() => [...document.images].every(i => !i.getAttribute('src') || i.complete)")
            broken = tab.evaluate(
                "[...document.images].filter(i => i.getAttribute('src') && !i.naturalWidth).map(i => i.src)"
            )
            assert broken == [], url
            found = tab.evaluate("window.__csp")
            if found:
                violations[url] = found
            visited.append(url)

    # The print labels action with a ZPL label among them: a page that names it, under the CSP.
    page.goto(f"{live_server.url}{reverse('admin:fulfilment_pushedorder_changelist')}")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(label="Print labels (one PDF)")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".print-labels li.warning")).to_contain_text(
        "its label is a ZPL label file, printed separately"
    )
    violations_after_action = page.evaluate("window.__csp")

    print(f"CSP: {len(visited)} admin pages visited, {sum(map(len, violations.values()))} violations")
    assert len(visited) > 40
    assert violations == {} and not violations_after_action
    assert errors == []
