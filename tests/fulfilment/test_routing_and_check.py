"""A second kind of partner, with nothing in fulfilment/ knowing which: the routing table picks
the partner per design; the richer order is filled from the synced models; a send whose answer
was lost to a partner whose send is not idempotent waits in Check and is never sent again blindly;
sent orders are updated, cancelled and read at the partner, each recorded on the timeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfilment.models import FulfilmentOrder, OrderAction, RoutingRule, StatusEvent, VendorOrder
from fulfilment.services.actions import (
    fulfilment_order_cancel,
    fulfilment_order_confirm_sent,
    fulfilment_order_probe,
    fulfilment_order_refresh,
    fulfilment_order_send_again,
    fulfilment_order_update,
    order_actions_available,
)
from fulfilment.services.orders import (
    FulfilmentInvalid,
    fulfilment_order_create,
    fulfilment_order_queue,
    fulfilment_order_send,
    order_to_send,
)
from fulfilment.services.reconcile import fulfilment_orders_reconcile
from fulfilment.services.routing import customization_route, customizations_route, routed_partner
from integrations.http import VendorRetryable
from integrations.partners import Customer, OrderChanges, ProbeOutcome, ProbeResult
from orders.models import ProxiedImage
from orders.services.image_proxy import url_key
from tests.factories import CustomizationFactory, NodeFactory, OrderLineFactory, StoreOrderFactory
from tests.fulfilment.route_partner import CALLS, SCRIPT, created, rejected
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork
from tests.hostile import png

pytestmark = pytest.mark.django_db
State = FulfilmentOrder.State


def design(product="Mug", sku="MUG-11", template_id=""):
    customization = approved_with_artwork(sku=sku)
    customization.product_title, customization.template_id = product, template_id
    customization.save()
    return customization


@pytest.fixture
def run_tasks(tasks_inline, django_capture_on_commit_callbacks):
    """Tasks queued on commit run here, as a worker would, when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# -- routing -----------------------------------------------------------------------------------


def test_the_first_matching_rule_by_priority_routes_a_design_and_the_default_catches_the_rest(route_print, gateway):
    RoutingRule.objects.create(connection=gateway, priority=100)  # the default
    RoutingRule.objects.create(connection=route_print, product_contains="hoodie", priority=10)
    RoutingRule.objects.create(connection=route_print, sku="TEE-*", priority=20)
    RoutingRule.objects.create(connection=gateway, template_id="T-9", priority=5)
    RoutingRule.objects.create(connection=gateway, sku="TEE-RED", priority=1, is_active=False)  # off

    hoodie = CustomizationFactory(product_title="Zip HOODIE, black", sku="H-1")
    tee = CustomizationFactory(product_title="Tee", sku="TEE-RED")
    templated_tee = CustomizationFactory(product_title="Tee", sku="TEE-BLUE", template_id="T-9")
    mug = CustomizationFactory(product_title="Mug", sku="MUG")

    routes = {route.customization: route for route in customizations_route([hoodie, tee, templated_tee, mug])}
    assert routes[hoodie].connection == route_print and "product contains “hoodie”" in routes[hoodie].why
    assert routes[tee].connection == route_print and "SKU TEE-*" in routes[tee].why
    assert routes[templated_tee].connection == gateway and "template T-9" in routes[templated_tee].why
    assert routes[mug].connection == gateway and routes[mug].rule.is_default
    assert routed_partner([routes[hoodie], routes[tee]]) == route_print
    assert routed_partner([routes[hoodie], routes[mug]]) is None  # two partners: staff choose


def test_an_exact_sku_is_exact_and_a_retired_partner_routes_nothing(route_print):
    RoutingRule.objects.create(connection=route_print, sku="MUG")
    assert customization_route(CustomizationFactory(sku="MUG-11")).rule is None
    assert customization_route(CustomizationFactory(sku="MUG")).connection == route_print
    route_print.is_active = False
    route_print.save()
    route = customization_route(CustomizationFactory(sku="MUG"))
    assert route.rule is None and "choose a partner" in route.why


def test_there_is_one_active_default_rule(route_print, gateway):
    RoutingRule.objects.create(connection=gateway)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRule.objects.create(connection=route_print)
    RoutingRule.objects.create(connection=route_print, is_active=False)  # an inactive one may wait


# -- the richer order --------------------------------------------------------------------------


def test_order_to_send_carries_the_store_customer_prices_and_each_lines_design(route_print, client, settings):
    customization = design(product="Mug", template_id="T-1")
    customization.price, customization.variant_title = "€12,50", "11oz white"
    customization.options = {"size": "11oz"}
    customization.production_data = [{"dpi": 300}]
    customization.save()
    side = customization.sides.get()
    side.preview_url = "https://cdn.vendor.example/previews/front.png"
    side.save()
    NodeFactory(side=side, position=1, text="Ada", font_family="Lobster", fill="#ff0000")
    NodeFactory(side=side, position=2, kind="image", text="", image_url="https://cdn.vendor.example/a.png")
    store = StoreOrderFactory(
        connection=customization.connection, name="#1042", store_order_id="5550001", currency="EUR"
    )
    OrderLineFactory(customization=customization, store_order=store, variant_id="V-77", quantity=2)
    shipping = {
        **ADDRESS,
        "customer_name": "Ada  King Lovelace",
        "customer_email": "ada@example.com",
        "note": "Gift wrap",
        "shipping_price": Decimal("4.95"),
        "partner_store": "shop-eu",
    }

    order = fulfilment_order_create(connection=route_print, customizations=[customization], shipping=shipping)
    sent = order_to_send(order)

    assert (sent.store_order_id, sent.store_order_number, sent.currency) == ("5550001", "#1042", "EUR")
    assert sent.customer == Customer(email="ada@example.com", first_name="Ada", last_name="King Lovelace")
    assert (sent.note, sent.shipping_price, sent.partner_store, sent.billing) == (
        "Gift wrap",
        Decimal("4.95"),
        "shop-eu",
        None,
    )
    (line,) = sent.lines
    assert line.store_item_id == f"{order.external_ref}-C{customization.pk}"
    assert (line.variant_id, line.price, line.quantity) == ("V-77", Decimal("12.50"), 2)
    assert line.design == {
        "template_id": "T-1",
        "variant": "11oz white",
        "options": {"size": "11oz"},
        "sides": [
            {
                "name": "Front",
                "nodes": [
                    {"kind": "text", "text": "Ada", "font_family": "Lobster", "fill": "#ff0000"},
                    {"kind": "image", "image_url": "https://cdn.vendor.example/a.png"},
                ],
            }
        ],
        "production_data": [{"dpi": 300}],
    }
    assert order_to_send(order).lines[0].design == line.design  # deterministic

    # The thumbnail is our signed link to the stored preview, served only as the image it is.
    (thumbnail,) = line.thumbnails
    path = thumbnail.removeprefix(settings.PUBLIC_BASE_URL.rstrip("/"))
    image = ProxiedImage(url_hash=url_key(side.preview_url), url=side.preview_url, state="ready")
    image.file.save("preview.png", ContentFile(png(8, 6)), save=True)
    served = client.get(path)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert client.get(path[:-6] + "forged/").status_code == 404
    image.file.save("preview.png", ContentFile(b"<html><script>alert(1)</script></html>"), save=True)
    assert client.get(path).status_code == 403  # not an image: refused, in words


def test_a_store_the_partner_does_not_have_is_refused_in_words(route_print, gateway):
    with pytest.raises(FulfilmentInvalid) as refused:
        fulfilment_order_create(
            connection=route_print, customizations=[design()], shipping={**ADDRESS, "partner_store": "shop-xx"}
        )
    assert refused.value.errors == {"partner_store": "shop-xx is not one of Route's stores (shop-eu, shop-us)."}
    with pytest.raises(FulfilmentInvalid) as refused:
        fulfilment_order_create(
            connection=gateway, customizations=[design()], shipping={**ADDRESS, "partner_store": "shop-eu"}
        )
    assert "(it has none)" in refused.value.errors["partner_store"]


# -- a lost answer: Check ----------------------------------------------------------------------


def lost_send(route_print, run_tasks, *probes):
    """An order whose first send's answer is lost; the probes answer `probes` in turn."""
    SCRIPT.sends, SCRIPT.probes = ["lost"], list(probes)
    order = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    with run_tasks():
        fulfilment_order_queue(order)
    order.refresh_from_db()
    return order


def sends():
    return [call for call in CALLS if call[0] == "send"]


def test_a_lost_answer_is_never_sent_again_blindly_it_waits_in_check(route_print, settings):
    settings.FULFILMENT_PROBE_DELAY_SECONDS = 60
    SCRIPT.sends = ["lost"]
    order = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    order = fulfilment_order_send(order)  # no VendorRetryable: the task must not retry a send

    assert order.state == State.CHECK and order.get_state_display() == "Check: did the partner get it?"
    assert "may or may not have reached Route Print" in order.last_error and "Not sent again" in order.last_error
    assert len(sends()) == 1
    # Neither the Send action nor the reconciler sends it again, however long it waits.
    assert fulfilment_order_queue(order) is False
    FulfilmentOrder.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(days=2))
    assert fulfilment_orders_reconcile() == {"due": 0, "requeued": 0, "failed": 0, "check": 0}
    order.refresh_from_db()
    assert order.state == State.CHECK and len(sends()) == 1


def test_a_worker_that_died_while_sending_leaves_the_order_to_be_asked_not_resent(
    route_print, settings, django_capture_on_commit_callbacks
):
    # Killed between the POST and its answer: the order stays "sending" with no attempt running.
    order = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        state=State.SENDING, updated_at=timezone.now() - timedelta(minutes=settings.FULFILMENT_STUCK_AFTER_MINUTES + 1)
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert fulfilment_orders_reconcile()["check"] == 1

    order.refresh_from_db()
    assert order.state == State.CHECK and order.reconciliations == 0 and sends() == []
    assert order.last_error.startswith("Found stuck sending with no attempt running: it may or may not have reached")
    # The probe, not a send (the other callbacks announce the change: fulfilment.signals).
    assert len([callback for callback in queued if "queue_on_commit" in callback.__qualname__]) == 1


def test_the_probe_is_queued_after_the_delay(route_print, settings, django_capture_on_commit_callbacks, monkeypatch):
    from config.celery import app

    settings.FULFILMENT_PROBE_DELAY_SECONDS = 45
    queued = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args=(), kwargs=None, **options: queued.append((name, args, options))
    )
    SCRIPT.sends = ["lost"]
    order = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_order_send(order)
    fulfilment_tasks = [task for task in queued if task[0].startswith("fulfilment.")]  # alerts queue theirs too
    assert fulfilment_tasks == [("fulfilment.tasks.fulfilment_order_probe_task", (order.pk,), {"countdown": 45})]


def test_not_received_is_sent_again_and_the_timeline_says_so(route_print, run_tasks):
    order = lost_send(route_print, run_tasks, ProbeResult(ProbeOutcome.NOT_RECEIVED, "no order with that reference"))

    assert order.state == State.SENT and not order.reconciled
    assert len(sends()) == 2
    (probe,) = OrderAction.objects.filter(order=order)
    assert probe.action == "probe" and probe.ok
    assert probe.message == "Route Print does not have it (no order with that reference): queued and sent again."
    assert probe.answer["outcome"] == "not_received"


def test_received_with_its_ids_is_applied_as_sent_never_twice(route_print, run_tasks):
    SCRIPT.sends, SCRIPT.probes = ["lost"], []
    order = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    SCRIPT.probes = [ProbeResult(ProbeOutcome.RECEIVED, "found by reference", created=created(order_to_send(order)))]
    with run_tasks():
        fulfilment_order_queue(order)
    order.refresh_from_db()

    assert order.state == State.SENT and order.reconciled and len(sends()) == 1
    assert VendorOrder.objects.get(fulfilment_order=order).vendor_id == "RP-1"
    assert order.items.get().vendor_id.startswith("L-")
    assert "has it (found by reference): recorded as sent" in order.last_error


def test_received_without_ids_stays_in_check_until_staff_confirm_the_partners_id(route_print, run_tasks):
    order = lost_send(route_print, run_tasks, ProbeResult(ProbeOutcome.RECEIVED, "a matching order exists"))

    assert order.state == State.CHECK and "enter the partner's order id (Confirm sent)" in order.last_error
    assert fulfilment_order_confirm_sent(order, vendor_id=" ").message == "Enter the partner's order id."
    outcome = fulfilment_order_confirm_sent(order, vendor_id="RP-900", vendor_ref="R900")

    order.refresh_from_db()
    assert outcome.ok and order.state == State.SENT and order.reconciled and len(sends()) == 1
    assert VendorOrder.objects.get(fulfilment_order=order).vendor_id == "RP-900"
    assert list(OrderAction.objects.filter(order=order).values_list("action", flat=True)) == ["probe", "confirm_sent"]
    assert not fulfilment_order_confirm_sent(order, vendor_id="RP-901").ok  # only in Check


def test_unknown_is_asked_again_a_bounded_number_of_times_then_staff_decide(route_print, run_tasks, settings):
    settings.FULFILMENT_PROBE_MAX = 3
    order = lost_send(route_print, run_tasks)  # every probe: "no answer" (UNKNOWN)

    assert order.state == State.CHECK and order.probes == 3
    assert [call for call in CALLS if call[0] == "probe"] == [("probe", order.external_ref)] * 3
    assert "after 3 probes" in order.last_error and len(sends()) == 1
    # Staff may probe again (once, now), or send it again anyway.
    assert fulfilment_order_probe(order).message == "Route Print cannot tell yet (no answer): it stays in Check."
    with run_tasks():
        outcome = fulfilment_order_send_again(order)
    order.refresh_from_db()
    assert outcome.ok and order.state == State.SENT and len(sends()) == 2
    assert OrderAction.objects.filter(order=order, action="send_again").exists()


def test_an_unreachable_partner_leaves_the_order_in_check_with_the_reason(route_print, run_tasks):
    order = lost_send(route_print, run_tasks, *[VendorRetryable("connection refused", vendor="route_print")] * 6)

    assert order.state == State.CHECK and len(sends()) == 1
    assert "could not be asked whether it has the order" in order.last_error


def test_a_partner_whose_send_is_idempotent_is_retried_as_before(route_print, monkeypatch):
    from tests.fulfilment.route_partner import RoutePartner

    monkeypatch.setattr(RoutePartner, "idempotent_send", True)
    SCRIPT.sends = ["lost"]
    order = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    with pytest.raises(VendorRetryable):
        fulfilment_order_send(order)
    order.refresh_from_db()
    assert order.state == State.QUEUED and order.last_error.startswith("Will retry")
    assert not OrderAction.objects.exists()


# -- a sent order: update, cancel, get ------------------------------------------------------


@pytest.fixture
def sent(route_print):
    order = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    return fulfilment_order_send(order)


def test_update_sends_only_the_changes_and_the_order_follows(sent):
    outcome = fulfilment_order_update(sent, OrderChanges(note="Leave at the door", shipping_price=Decimal("3")))
    sent.refresh_from_db()

    assert outcome.ok and (sent.note, sent.shipping_price) == ("Leave at the door", Decimal("3.00"))
    (call,) = [call for call in CALLS if call[0] == "update"]
    assert call[1] == "RP-1" and call[2].note == "Leave at the door" and call[2].address is None
    action = OrderAction.objects.get(order=sent)
    assert action.sent == {"note": "Leave at the door", "shipping_price": "3"} and action.answer == [
        {"updated": "RP-1"}
    ]


def test_a_partner_error_is_recorded_and_said_in_words_and_nothing_changes_here(sent):
    SCRIPT.fail = rejected()
    outcome = fulfilment_order_update(sent, OrderChanges(note="x"))
    sent.refresh_from_db()
    assert not outcome.ok and outcome.message.startswith("Route Print did not take the changes:")
    assert "order is shipped already" in outcome.message
    assert sent.note == "" and not OrderAction.objects.get(order=sent).ok
    assert not fulfilment_order_cancel(sent).ok
    sent.refresh_from_db()
    assert sent.status == "" and sent.items.get().live


def test_cancel_cancels_it_here_too_and_frees_its_designs(sent):
    outcome = fulfilment_order_cancel(sent)
    sent.refresh_from_db()
    assert outcome.ok and sent.status == "cancelled" and not sent.items.get().live
    assert VendorOrder.objects.get(fulfilment_order=sent).status == "cancelled"
    assert ("cancel", "RP-1") in CALLS
    reasons = order_actions_available(sent)
    assert reasons["cancel"] == "It is already cancelled." and "final status" in reasons["update"]


def test_get_applies_the_status_as_a_callback_would(sent):
    assert fulfilment_order_refresh(sent).ok
    sent.refresh_from_db()
    assert sent.status == "in_production"
    SCRIPT.poll_code = "received"  # older than In production: late, not applied
    outcome = fulfilment_order_refresh(sent)
    sent.refresh_from_db()
    assert sent.status == "in_production" and "ignored: older than current" in outcome.message
    assert list(StatusEvent.objects.filter(fulfilment_order=sent).values_list("effect", flat=True)) == ["apply", "late"]


def test_what_an_order_does_not_allow_is_said_why(sent, gateway, route_print):
    draft = fulfilment_order_create(connection=route_print, customizations=[design()], shipping=ADDRESS)
    assert order_actions_available(draft)["update"] == "Only a sent order can be updated here; this one is draft."
    assert order_actions_available(draft)["cancel"] == "Only a sent order can be cancelled here; this one is draft."
    FulfilmentOrder.objects.filter(pk=draft.pk).update(state=State.CHECK)
    draft.refresh_from_db()
    assert order_actions_available(draft)["update"] == (
        "Only a sent order can be updated here; this one is “Check: did the partner get it?”."
    )
    FulfilmentOrder.objects.filter(pk=draft.pk).update(state=State.DRAFT)
    draft.refresh_from_db()
    assert not fulfilment_order_update(draft, OrderChanges(note="x")).ok and not CALLS[1:]
    cg = fulfilment_order_create(connection=gateway, customizations=[design()], shipping=ADDRESS)
    FulfilmentOrder.objects.filter(pk=cg.pk).update(state=State.SENT)
    cg.refresh_from_db()
    reasons = order_actions_available(cg)
    assert reasons["update"] == "Custom Gateway does not let us update an order through its API."
    assert order_actions_available(sent)["update"] == ""
