"""Automation rules: a sync's clean designs are approved by the auto-approve rule (flagged ones
are left for staff); an approved design is ordered from the routed partner by the auto-send
rule and sent after its delay, unless it is held; a switched-off rule does nothing; a retried
or doubled run sends one order once. Everything a rule does is recorded as done by it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfilment.models import FulfilmentOrder, RoutingRule
from fulfilment.services.holds import fulfilment_order_hold, fulfilment_order_release
from fulfilment.services.orders import fulfilment_order_queue, fulfilment_order_send
from operations.activity import feed
from operations.models import AutoSend, RuleAction
from operations.services.rules import auto_sends_run
from orders.models import BadWordList, Customization, ReviewDecision, SyncRun
from orders.services.review import artwork_approve
from orders.signals import customizations_synced
from tests.factories import AutomationRuleFactory, NodeFactory, SideFactory, VendorConnectionFactory, staff_in
from tests.fulfilment.route_partner import CALLS
from tests.fulfilment.test_flows import approved_with_artwork

pytestmark = pytest.mark.django_db
State = FulfilmentOrder.State
Decision = Customization.Decision


def sends():
    return [call for call in CALLS if call[0] == "send"]


# -- auto-approve --------------------------------------------------------------------------------


def design(connection, text, *, design_url="https://cdn.example.com/front.png"):
    side = SideFactory(customization__connection=connection, design_url=design_url)
    NodeFactory(side=side, text=text)
    return side.customization


@pytest.fixture
def word_list():
    words = BadWordList.current()
    words.words, words.is_active = ["damn"], True
    words.save()
    return words


def synced(worker, connection, customizations):
    with worker():
        customizations_synced.send(
            sender=SyncRun, connection=connection, customization_ids=[c.pk for c in customizations]
        )


def test_auto_approve_approves_a_clean_design_by_the_rule_and_leaves_a_flagged_one(worker, word_list):
    connection = VendorConnectionFactory()
    rule = AutomationRuleFactory(name="Clean Qstomizer designs", connection=connection)
    clean, flagged = design(connection, "Happy birthday Ada"), design(connection, "d-a-m-n you")
    no_file = design(connection, "Hello", design_url="")

    synced(worker, connection, [clean, flagged, no_file])

    clean.refresh_from_db(), flagged.refresh_from_db(), no_file.refresh_from_db()
    assert clean.decision == Decision.APPROVED and clean.decided_by is None
    assert flagged.decision == Decision.UNDECIDED and flagged.has_bad_words
    assert no_file.decision == Decision.UNDECIDED
    decision = ReviewDecision.objects.get(customization=clean)
    assert decision.by_rule == "Clean Qstomizer designs" and decision.user is None
    assert "by rule Clean Qstomizer designs" in str(decision)
    done = RuleAction.objects.get(customization=clean)
    assert (done.rule, done.what, done.outcome) == (rule, "approve", "done")
    left = RuleAction.objects.get(customization=flagged)
    assert left.outcome == "skipped" and "bad words (damn)" in left.message
    assert "no print file" in RuleAction.objects.get(customization=no_file).message
    # The design's activity feed says the rule did it.
    entry = next(e for e in feed(clean) if e.kind == "rule")
    assert entry.actor == "by rule Clean Qstomizer designs" and "Approved a design" in entry.summary


def test_a_rule_for_another_connection_or_switched_off_approves_nothing(worker, word_list):
    connection, other = VendorConnectionFactory(), VendorConnectionFactory()
    AutomationRuleFactory(connection=other)
    AutomationRuleFactory(connection=connection, enabled=False)
    clean = design(connection, "Happy birthday")

    synced(worker, connection, [clean])

    clean.refresh_from_db()
    assert clean.decision == Decision.UNDECIDED
    assert not RuleAction.objects.exists()
    assert "operations.tasks.designs_auto_approve_task" in worker.queued  # the other connection's rule is on


def test_a_design_staff_decided_meanwhile_is_left_as_they_decided(worker, word_list):
    connection = VendorConnectionFactory()
    AutomationRuleFactory(connection=connection)
    clean = design(connection, "Hello")
    rejected = design(connection, "Hello too")
    Customization.objects.filter(pk=rejected.pk).update(decision=Decision.REJECTED)

    synced(worker, connection, [clean, rejected])

    rejected.refresh_from_db()
    assert rejected.decision == Decision.REJECTED
    assert list(RuleAction.objects.values_list("customization", flat=True)) == [clean.pk]


def test_a_sync_announces_what_it_created_and_changed(qstomizer_connection, worker, word_list):
    """The sender: a real sync of the sandbox, with the rule on, approves its clean designs."""
    from orders.services.sync import customizations_sync

    AutomationRuleFactory(connection=qstomizer_connection, name="Sandbox")
    with worker():
        customizations_sync(connection=qstomizer_connection)
    approved = ReviewDecision.objects.filter(by_rule="Sandbox").count()
    assert approved > 0
    assert approved == Customization.objects.filter(connection=qstomizer_connection, decision=Decision.APPROVED).count()
    assert not Customization.objects.filter(has_bad_words=True, decision=Decision.APPROVED).exists()


# -- auto-create and send ------------------------------------------------------------------------


@pytest.fixture
def auto_send(route_print):
    RoutingRule.objects.create(connection=route_print)  # the default: every design goes to Route
    return AutomationRuleFactory(kind="auto_send", name="Send to Route", delay_minutes=30)


def approved_by_staff(worker, **kwargs):
    customization = approved_with_artwork(decision=Decision.UNDECIDED, **kwargs)
    with worker():
        artwork_approve(customization=customization, user=staff_in("Reviewer"))
    return customization


def test_an_approved_design_is_ordered_at_once_and_sent_after_the_delay(auto_send, route_print, worker):
    customization = approved_by_staff(worker)
    now = timezone.now()

    with worker():
        auto_sends_run(now=now)

    order = FulfilmentOrder.objects.get(items__customization=customization)
    assert order.connection == route_print and order.state == State.DRAFT
    assert order.shipping_address_1 == "1 Dock Road" and order.shipping_country_code == "GB"
    assert not sends()  # the delay: staff can hold it
    created = RuleAction.objects.get(what="create_order")
    assert created.fulfilment_order == order and "unless it is held" in created.message

    with worker():
        auto_sends_run(now=now + timedelta(minutes=29))
    assert not sends()

    with worker():
        auto_sends_run(now=now + timedelta(minutes=31))
    order.refresh_from_db()
    assert order.state == State.SENT and len(sends()) == 1
    assert RuleAction.objects.filter(what="send", fulfilment_order=order, outcome="done").count() == 1
    assert [e.actor for e in feed(order) if e.kind == "rule"] == ["by rule Send to Route"] * 2


def test_a_held_order_is_not_sent_and_once_released_it_is(auto_send, worker):
    customization = approved_by_staff(worker)
    now = timezone.now()
    with worker():
        auto_sends_run(now=now)
    order = FulfilmentOrder.objects.get(items__customization=customization)
    assert fulfilment_order_hold(order, user=staff_in("Manager"), reason="Customer changes the address").ok

    with worker():
        auto_sends_run(now=now + timedelta(hours=2))
    order.refresh_from_db()
    assert order.state == State.DRAFT and order.on_hold and not sends()
    # Staff's own Send refuses it too.
    assert fulfilment_order_queue(order) is False

    fulfilment_order_release(order)
    with worker():
        auto_sends_run(now=now + timedelta(hours=2, minutes=1))
    order.refresh_from_db()
    assert order.state == State.SENT and len(sends()) == 1


def test_an_order_held_after_it_was_queued_is_not_sent_by_the_task(auto_send, route_print, worker):
    order = FulfilmentOrder.objects.create(
        connection=route_print,
        external_ref="BO-HELD01",
        shipping_address_1="1 Road",
        shipping_postcode="SK10 2XR",
        shipping_country_code="GB",
        state=State.QUEUED,
        on_hold=True,
        hold_reason="Wait for the customer",
    )
    sent = fulfilment_order_send(order)
    assert sent.state == State.DRAFT and "on hold" in sent.last_error and "Wait for the customer" in sent.last_error
    assert not sends()


def test_two_runs_and_a_retried_send_task_send_one_order_once(auto_send, worker):
    from fulfilment.tasks import fulfilment_order_send_task

    customization = approved_by_staff(worker)
    now = timezone.now()
    with worker():
        auto_sends_run(now=now)
        auto_sends_run(now=now)  # a second beat at once: no second order
    assert FulfilmentOrder.objects.filter(items__customization=customization).count() == 1
    order = FulfilmentOrder.objects.get(items__customization=customization)
    later = now + timedelta(minutes=31)
    with worker():
        auto_sends_run(now=later)
        auto_sends_run(now=later)
    fulfilment_order_send_task.apply(args=[order.pk])  # a retry of the task after it succeeded
    order.refresh_from_db()
    assert order.state == State.SENT and len(sends()) == 1
    assert RuleAction.objects.filter(what="send").count() == 1
    assert AutoSend.objects.get(customization=customization).done_at is None  # closed by the next run
    auto_sends_run(now=later + timedelta(minutes=1))
    assert AutoSend.objects.get(customization=customization).done_at is not None


def test_a_switched_off_rule_neither_orders_nor_sends(auto_send, worker):
    auto_send.enabled = False
    auto_send.save()
    first = approved_by_staff(worker)
    assert not AutoSend.objects.filter(customization=first).exists()

    auto_send.enabled = True
    auto_send.save()
    second = approved_by_staff(worker)
    now = timezone.now()
    with worker():
        auto_sends_run(now=now)
    auto_send.enabled = False
    auto_send.save()
    with worker():
        auto_sends_run(now=now + timedelta(hours=1))
    order = FulfilmentOrder.objects.get(items__customization=second)
    assert order.state == State.DRAFT and not sends()
    assert not FulfilmentOrder.objects.filter(items__customization=first).exists()


def test_a_design_whose_print_file_is_not_ready_waits_and_one_ordered_by_hand_is_left(auto_send, worker):
    from orders.models import SideArtwork

    waiting = approved_by_staff(worker)
    SideArtwork.objects.filter(side__customization=waiting).update(state=SideArtwork.State.FETCHING)
    with worker():
        summary = auto_sends_run()
    assert summary["waiting"] == 1 and not FulfilmentOrder.objects.exists()
    assert AutoSend.objects.get(customization=waiting).note == "Waiting for its print files."


def test_designs_of_one_store_order_go_in_one_order_per_partner(auto_send, worker):
    from tests.factories import OrderLineFactory, StoreOrderFactory

    first = approved_with_artwork(decision=Decision.UNDECIDED)
    second = approved_with_artwork(decision=Decision.UNDECIDED)
    store_order = StoreOrderFactory(connection=first.connection)
    OrderLineFactory(customization=first, store_order=store_order)
    OrderLineFactory(customization=second, store_order=store_order)
    with worker():
        artwork_approve(customization=first, user=None)
        artwork_approve(customization=second, user=None)
    auto_sends_run()
    order = FulfilmentOrder.objects.get()
    assert order.store_order == store_order
    assert sorted(order.items.values_list("customization", flat=True)) == sorted([first.pk, second.pk])
