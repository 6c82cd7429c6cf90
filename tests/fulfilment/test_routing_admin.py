"""The create screen with the routing table, the routing table's own admin, and the staff
actions at the partner on an order's page (update, cancel, get, and after a lost answer: probe
again, confirm sent, send again anyway), through Django's test client, per role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from fulfilment.models import FulfilmentOrder, OrderAction, RoutingRule
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send
from integrations.partners import ProbeOutcome, ProbeResult
from tests.factories import staff_in
from tests.fulfilment.route_partner import CALLS, SCRIPT, rejected
from tests.fulfilment.test_admin import ADDRESS, CREATE_URL, ORDERS_URL, approved, messages_of, store_order

pytestmark = pytest.mark.django_db
State = FulfilmentOrder.State
RULES_URL = "/admin/fulfilment/routingrule/"


@pytest.fixture
def manager(client):
    user = staff_in("Manager", username="manager")
    client.force_login(user)
    return user


@pytest.fixture
def routed(route_print, gateway):
    """Hoodies go to Route Print; everything else to Custom Gateway (the default)."""
    RoutingRule.objects.create(connection=gateway, priority=100)
    hoodie_rule = RoutingRule.objects.create(connection=route_print, product_contains="hoodie", priority=10)
    return hoodie_rule


def hoodie(**kwargs):
    customization = approved(sku="HOOD-1", **kwargs)
    customization.product_title = "Zip Hoodie"
    customization.save()
    return customization


def test_the_create_screen_shows_each_designs_route_and_preselects_the_partner(client, manager, routed, route_print):
    first, second = hoodie(), hoodie()
    page = client.get(f"{CREATE_URL}?ids={first.pk},{second.pk}")

    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["form"]["connection"].value() == route_print.pk
    assert html.count(f"<strong>{route_print.name}</strong>: product contains “hoodie” (rule #{routed.pk}") == 2
    assert not page.context["mixed"] and 'id="route-mixed" class="module routing-mixed" hidden' in html
    # The partner's stores are offered (its `store_ids` setting).
    assert [label for _value, label in page.context["form"].fields["partner_store"].choices] == [
        "—",
        "Route: shop-eu",
        "Route: shop-us",
    ]


def test_designs_for_two_partners_are_said_so_and_split_into_one_order_each(
    client, manager, routed, route_print, gateway
):
    shop = store_order("#2001")
    hood, mug = hoodie(store_order=shop), approved(store_order=shop)
    page = client.get(f"{CREATE_URL}?ids={hood.pk},{mug.pk}")
    html = page.content.decode()
    assert page.context["mixed"] and page.context["form"]["connection"].value() is None
    assert "The selected designs route to different partners: Route (1), Custom Gateway (1)." in html
    assert 'name="_split" value="Create one order per partner"' in html

    done = client.post(
        CREATE_URL, {"_split": "1", "customization": [hood.pk, mug.pk], **ADDRESS, "note": "Gift", "partner_store": ""}
    )

    assert done.status_code == 302 and done["Location"] == ORDERS_URL
    orders = {order.connection: order for order in FulfilmentOrder.objects.all()}
    assert set(orders) == {route_print, gateway}
    assert [item.customization for item in orders[route_print].items.all()] == [hood]
    assert [item.customization for item in orders[gateway].items.all()] == [mug]
    assert orders[route_print].note == "Gift" and orders[route_print].store_order == shop
    said = messages_of(client.get(ORDERS_URL))
    assert f"{orders[route_print]} created as a draft for Route." in said


def test_staff_may_pick_one_partner_for_designs_routed_to_two(client, manager, routed, route_print):
    hood, mug = hoodie(), approved()
    done = client.post(CREATE_URL, {"connection": route_print.pk, "customization": [hood.pk, mug.pk], **ADDRESS})
    assert done.status_code == 302
    order = FulfilmentOrder.objects.get()
    assert order.connection == route_print and order.items.count() == 2


def test_a_split_with_an_unrouted_design_and_no_partner_chosen_says_so(client, manager, route_print):
    RoutingRule.objects.create(connection=route_print, product_contains="hoodie")
    hood, mug = hoodie(), approved()  # no default rule: the mug routes nowhere
    page = client.post(CREATE_URL, {"_split": "1", "customization": [hood.pk, mug.pk], **ADDRESS})
    assert page.status_code == 200
    assert f"No rule routes {mug}: choose a partner for them." in page.context["form"].errors["connection"]
    assert not FulfilmentOrder.objects.exists()


def test_a_store_the_partner_lacks_is_a_form_error(client, manager, route_print, gateway):
    mug = approved()
    page = client.post(
        CREATE_URL, {"connection": gateway.pk, "customization": [mug.pk], **ADDRESS, "partner_store": "shop-eu"}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["partner_store"] == [
        "shop-eu is not one of Custom Gateway's stores (it has none)."
    ]


def test_the_order_list_shows_the_partner_and_filters_orders_to_check(client, manager, route_print, gateway):
    SCRIPT.sends = ["lost"]
    order = fulfilment_order_send(
        fulfilment_order_create(connection=route_print, customizations=[approved()], shipping=ADDRESS)
    )
    fulfilment_order_create(connection=gateway, customizations=[approved()], shipping=ADDRESS)
    page = client.get(f"{ORDERS_URL}?attention=check")
    html = page.content.decode()
    assert list(page.context["cl"].result_list) == [order]
    assert "Check: did the partner get it?" in html and "field-connection" in html


# -- the routing table's admin ------------------------------------------------------------------


def test_managers_edit_the_routing_table_and_viewers_only_look(client, manager, route_print, gateway):
    added = client.post(
        f"{RULES_URL}add/", {"connection": route_print.pk, "sku": "TEE-*", "priority": 5, "is_active": "on"}
    )
    assert added.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.sku, rule.priority, str(rule)) == ("TEE-*", 5, "SKU TEE-* → Route")
    refused = client.post(f"{RULES_URL}add/", {"connection": gateway.pk, "sku": "*", "priority": 1})
    assert "A * alone matches every SKU" in refused.content.decode()
    RoutingRule.objects.create(connection=gateway)
    second_default = client.post(f"{RULES_URL}add/", {"connection": route_print.pk, "priority": 1, "is_active": "on"})
    assert "There is already an active default rule" in second_default.content.decode()

    client.force_login(staff_in("Viewer", username="viewer"))
    listed = client.get(f"{RULES_URL}?q=TEE")
    assert listed.status_code == 200 and list(listed.context["cl"].result_list) == [rule]
    assert client.get(f"{RULES_URL}add/").status_code == 403
    assert client.post(f"{RULES_URL}{rule.pk}/change/", {"sku": "X", "priority": 1}).status_code == 403
    assert RoutingRule.objects.get(pk=rule.pk).sku == "TEE-*"


# -- staff actions at the partner ---------------------------------------------------------------


@pytest.fixture
def sent(route_print):
    order = fulfilment_order_create(connection=route_print, customizations=[approved()], shipping=ADDRESS)
    return fulfilment_order_send(order)


def order_url(order, what=""):
    base = reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk])
    return base.replace("/change/", f"/{what}/") if what else base


def test_a_sent_orders_page_offers_what_its_partner_can_do(client, manager, sent, gateway):
    html = client.get(order_url(sent)).content.decode()
    assert f'href="{order_url(sent, "update")}"' in html and f'href="{order_url(sent, "cancel")}"' in html
    assert f'action="{order_url(sent, "refresh")}"' in html and 'value="Get status"' in html
    assert "Probe again" not in html and order_url(sent, "probe") not in html

    cg = fulfilment_order_create(connection=gateway, customizations=[approved()], shipping=ADDRESS)
    FulfilmentOrder.objects.filter(pk=cg.pk).update(state=State.SENT)
    html = client.get(order_url(cg)).content.decode()
    assert "Update: Custom Gateway does not let us update an order through its API." in html
    assert order_url(cg, "update") not in html


def test_update_sends_the_changes_and_the_timeline_shows_it(client, manager, sent):
    form = client.get(order_url(sent, "update"))
    assert form.status_code == 200 and form.context["form"]["shipping_postcode"].value() == "SK10 2XR"
    unchanged = client.post(order_url(sent, "update"), {**ADDRESS, "shipping_country_code": "GB"})
    assert "Nothing was changed: there is nothing to send." in unchanged.content.decode()

    done = client.post(
        order_url(sent, "update"),
        {**ADDRESS, "note": "Ring twice", "shipping_price": "2.50", "shipping_country_code": "GB"},
    )

    assert done.status_code == 302
    sent.refresh_from_db()
    assert (sent.note, sent.shipping_price) == ("Ring twice", Decimal("2.50"))
    (call,) = [call for call in CALLS if call[0] == "update"]
    assert call[2].note == "Ring twice" and call[2].shipping_price == Decimal("2.50") and call[2].address is None
    page = client.get(done["Location"])
    assert "Route Print took the changes (note, shipping price)." in messages_of(page)
    html = page.content.decode()
    assert "Staff actions (at the partner)" in html and "Ring twice" in html


def test_a_partner_error_is_a_message_in_words_never_a_500(client, manager, sent):
    SCRIPT.fail = rejected("this order can no longer be changed")
    done = client.post(order_url(sent, "update"), {**ADDRESS, "note": "x", "shipping_country_code": "GB"})
    assert done.status_code == 302
    said = messages_of(client.get(done["Location"]))
    assert any("this order can no longer be changed" in message for message in said)
    sent.refresh_from_db()
    assert sent.note == "" and not OrderAction.objects.get(order=sent).ok


def test_cancel_asks_first_then_cancels(client, manager, sent):
    page = client.get(order_url(sent, "cancel"))
    assert "Yes, cancel it" in page.content.decode() and not [c for c in CALLS if c[0] == "cancel"]
    done = client.post(order_url(sent, "cancel"))
    sent.refresh_from_db()
    assert done.status_code == 302 and sent.status == "cancelled" and not sent.items.get().live
    html = client.get(order_url(sent)).content.decode()
    assert "Cancel: It is already cancelled." in html


def test_get_status_applies_the_partners_answer(client, manager, sent):
    assert client.get(order_url(sent, "refresh")).status_code == 302  # a GET changes nothing
    assert not [c for c in CALLS if c[0] == "poll"]
    done = client.post(order_url(sent, "refresh"))
    sent.refresh_from_db()
    assert sent.status == "in_production"
    assert "Route Print says: Printing: applied: Printing for" in messages_of(client.get(done["Location"]))[0]


@pytest.fixture
def in_check(route_print):
    SCRIPT.sends = ["lost"]
    order = fulfilment_order_create(connection=route_print, customizations=[approved()], shipping=ADDRESS)
    return fulfilment_order_send(order)


def test_an_order_in_check_offers_probe_confirm_and_send_again_with_a_warning(
    client, manager, in_check, django_capture_on_commit_callbacks
):
    html = client.get(order_url(in_check)).content.decode()
    assert 'value="Probe (did the partner get it?)"' in html
    assert order_url(in_check, "confirm-sent") in html and order_url(in_check, "send-again") in html
    assert order_url(in_check, "update") not in html

    SCRIPT.probes = [ProbeResult(ProbeOutcome.UNKNOWN, "still processing")]
    probed = client.post(order_url(in_check, "probe"))
    assert "Route Print cannot tell yet (still processing): it stays in Check." in messages_of(
        client.get(probed["Location"])
    )

    warning = client.get(order_url(in_check, "send-again")).content.decode()
    assert "may already have this order: sending it again can make a duplicate" in warning
    with django_capture_on_commit_callbacks() as queued:
        client.post(order_url(in_check, "send-again"))
    in_check.refresh_from_db()
    assert in_check.state == State.QUEUED and len(queued) == 1


def test_confirm_sent_takes_the_partners_id(client, manager, in_check):
    empty = client.post(order_url(in_check, "confirm-sent"), {"vendor_id": ""})
    assert empty.status_code == 200 and empty.context["form"].errors["vendor_id"]
    done = client.post(order_url(in_check, "confirm-sent"), {"vendor_id": "RP-77"})
    in_check.refresh_from_db()
    assert done.status_code == 302 and in_check.state == State.SENT and in_check.reconciled
    assert in_check.vendor_orders.get().vendor_id == "RP-77"
    # Not in Check any more: the page says why, and a second POST changes nothing.
    page = client.get(order_url(in_check, "confirm-sent")).content.decode()
    assert "Not possible now: Only an order in Check" in page


def test_viewers_see_the_actions_but_may_not_run_them(client, sent, in_check):
    client.force_login(staff_in("Viewer", username="viewer"))
    html = client.get(order_url(sent)).content.decode()
    assert "Update: needs the permission to send orders." in html and order_url(sent, "update") not in html
    for order, what in [
        (sent, "update"),
        (sent, "cancel"),
        (sent, "refresh"),
        (in_check, "probe"),
        (in_check, "send-again"),
    ]:
        assert client.post(order_url(order, what), {"note": "x"}).status_code == 403
    assert not [c for c in CALLS if c[0] in ("update", "cancel", "poll", "probe")]
    assert not OrderAction.objects.exists()
