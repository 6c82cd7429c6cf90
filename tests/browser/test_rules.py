"""Automation rules in real Chromium: a Manager switches on an auto-approve rule and, after a
sync, finds the clean design approved *by the rule* (the flagged one left for review); a Manager
holds an order the auto-send rule made during its delay, so it is not sent, then releases it.
SCREENSHOT_DIR (e.g. /work/shots/rules) keeps full-page screenshots to look at."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fulfilment.models import FulfilmentOrder, RoutingRule
from operations.services.rules import auto_sends_run
from orders.models import BadWordList, Customization, SyncRun
from orders.services.review import artwork_approve
from orders.signals import customizations_synced
from tests.browser.staff import log_in, shoot
from tests.factories import AutomationRuleFactory, NodeFactory, SideFactory, VendorConnectionFactory, staff_in
from tests.fulfilment.route_partner import CALLS, route_print_connection
from tests.fulfilment.test_flows import approved_with_artwork

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rule_tasks(monkeypatch):
    """The rules' tasks and the send run in this process when queued (after the commit); an
    artwork fetch, which would call a vendor, is not run."""
    from config.celery import app

    app.loader.import_default_modules()

    def send_task(name, args=(), kwargs=None, **options):
        if name.startswith("operations.") or name == "fulfilment.tasks.fulfilment_order_send_task":
            return app.tasks[name].apply(args=args, kwargs=kwargs)
        return None

    monkeypatch.setattr(app, "send_task", send_task)


def test_a_manager_switches_on_auto_approve_and_a_sync_s_clean_design_is_approved_by_it(page, live_server, rule_tasks):
    connection = VendorConnectionFactory(name="Demo store")
    words = BadWordList.current()
    words.words = ["frack"]
    words.save()
    clean_side = SideFactory(customization__connection=connection, design_url="https://cdn.example.com/a.png")
    NodeFactory(side=clean_side, text="Happy birthday Ada")
    flagged_side = SideFactory(customization__connection=connection, design_url="https://cdn.example.com/b.png")
    NodeFactory(side=flagged_side, text="Frack off")
    clean, flagged = clean_side.customization, flagged_side.customization

    log_in(page, live_server, staff_in("Manager"))
    page.goto(f"{live_server.url}/admin/operations/automationrule/add/")
    page.locator("#id_name").fill("Clean designs of Demo store")
    page.locator("#id_kind").select_option(label="Auto-approve clean designs")
    page.locator("#id_connection").select_option(label=str(connection))
    shoot(page, "rule-form.png")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#result_list")).to_contain_text("Clean designs of Demo store")
    shoot(page, "rules-list.png")

    # The sync announces what it wrote (the sync service sends this once it has committed).
    customizations_synced.send(sender=SyncRun, connection=connection, customization_ids=[clean.pk, flagged.pk])

    clean.refresh_from_db(), flagged.refresh_from_db()
    assert clean.decision == Customization.Decision.APPROVED and flagged.decision == ""
    page.goto(f"{live_server.url}/admin/operations/ruleaction/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("Approved a design")
    expect(page.locator("#result_list")).to_contain_text("Left for review: bad words (frack)")
    shoot(page, "rule-actions.png")
    page.goto(f"{live_server.url}/admin/orders/reviewdecision/")
    expect(page.locator("#result_list")).to_contain_text("rule Clean designs of Demo store")
    page.goto(f"{live_server.url}/admin/orders/reviewitem/{clean.pk}/")
    expect(page.locator("#decision-state")).to_contain_text("Approved by rule Clean designs of Demo store")
    shoot(page, "review-by-rule.png")


def test_staff_hold_an_order_the_auto_send_rule_made_so_it_is_not_sent_until_released(
    page, live_server, rule_tasks, settings
):
    partner = route_print_connection(settings)
    RoutingRule.objects.create(connection=partner)
    AutomationRuleFactory(kind="auto_send", name="Send to Route", delay_minutes=30)
    customization = approved_with_artwork(decision=Customization.Decision.UNDECIDED)
    artwork_approve(customization=customization, user=staff_in("Reviewer"))
    now = timezone.now()
    auto_sends_run(now=now)
    order = FulfilmentOrder.objects.get(items__customization=customization)

    log_in(page, live_server, staff_in("Manager"))
    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/{order.pk}/change/")
    expect(page.locator("[data-notice=rule]")).to_contain_text("sent automatically at")
    expect(page.locator("[data-notice=rule]")).to_contain_text("unless you hold it")
    shoot(page, "order-auto-send-notice.png")
    page.locator("#hold-button").click()
    page.get_by_label("Reason").fill("Customer is changing the address")
    shoot(page, "hold-form.png")
    page.get_by_role("button", name="Hold it").click()
    expect(page.locator("#hold-box")).to_contain_text("Not sent until released")
    expect(page.locator("#hold-box")).to_contain_text("Customer is changing the address")
    shoot(page, "order-on-hold.png")

    auto_sends_run(now=now + timedelta(hours=1))
    order.refresh_from_db()
    assert order.state == FulfilmentOrder.State.DRAFT and not [c for c in CALLS if c[0] == "send"]

    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/?on_hold=yes")
    expect(page.locator("#result_list")).to_contain_text(order.external_ref)
    expect(page.locator("#result_list")).to_contain_text("on hold")
    shoot(page, "orders-on-hold.png")

    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/{order.pk}/change/")
    page.locator("#hold-box").get_by_role("button", name="Release").click()
    expect(page.locator(".messagelist")).to_contain_text("is released")
    auto_sends_run(now=now + timedelta(hours=1, minutes=1))
    order.refresh_from_db()
    assert order.state == FulfilmentOrder.State.SENT and len([c for c in CALLS if c[0] == "send"]) == 1
    page.reload()
    expect(page.locator("#hold-box")).to_have_count(0)
    shoot(page, "order-sent-after-release.png")


def test_a_manager_reprints_a_shipped_order_and_the_two_link_to_each_other(page, live_server, settings):
    partner = route_print_connection(settings)
    shipped = FulfilmentOrder.objects.create(
        connection=partner,
        external_ref="BO-000777",
        shipping_address_1="1 Road",
        shipping_postcode="SK10 2XR",
        shipping_country_code="GB",
        state=FulfilmentOrder.State.SENT,
        status="shipped",
    )
    shipped.items.create(customization=approved_with_artwork(), external_ref="C1")

    log_in(page, live_server, staff_in("Manager"))
    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/{shipped.pk}/change/")
    expect(page.locator("#hold-button")).to_have_count(0)  # shipped: nothing to hold
    page.locator("#reprint-button").click()
    page.get_by_label("Reason").fill("Arrived damaged")
    shoot(page, "reprint-form.png")
    page.get_by_role("button", name="Create the reprint").click()
    reprint = FulfilmentOrder.objects.get(reprint_of=shipped)
    expect(page.locator("#reprint-of")).to_contain_text("A reprint of BO-000777: Arrived damaged")
    shoot(page, "reprint-page.png")
    page.locator("#reprint-of a").click()
    expect(page.locator("#reprints")).to_contain_text(reprint.external_ref)
    expect(page.locator("#reprint-button")).to_have_count(0)  # its reprint is not shipped yet
    assert reprint.items.get().customization == shipped.items.get().customization
