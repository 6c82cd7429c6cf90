"""Two workers at once on PostgreSQL (real connections and locks): two auto-send runs over the
same due drafts, and two over the same approved designs, order and send each once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from fulfilment.models import FulfilmentOrder, RoutingRule
from operations.models import RuleAction
from operations.services.rules import auto_sends_order, auto_sends_send
from orders.models import Customization
from orders.services.review import artwork_approve
from tests.factories import AutomationRuleFactory, OrderLineFactory
from tests.fulfilment.route_partner import CALLS
from tests.fulfilment.test_flows import approved_with_artwork

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(function, times=2):
    def run(_):
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(run, range(times)))


def test_two_runs_at_once_order_and_send_each_design_once(route_print, require_postgres, monkeypatch):
    from config.celery import app

    app.loader.import_default_modules()
    # A worker's send: run in the thread that queued it.
    monkeypatch.setattr(
        app, "send_task", lambda name, args=(), kwargs=None, **o: app.tasks[name].apply(args=args, kwargs=kwargs)
    )
    RoutingRule.objects.create(connection=route_print)
    AutomationRuleFactory(kind="auto_send", delay_minutes=0)
    designs = [approved_with_artwork(decision=Customization.Decision.UNDECIDED) for _ in range(5)]
    for design in designs:
        OrderLineFactory(customization=design)  # five store orders: five fulfilment orders
        artwork_approve(customization=design, user=None)

    at_once(auto_sends_order)
    assert FulfilmentOrder.objects.count() == 5  # one each: no design ordered twice
    later = timezone.now() + timedelta(minutes=1)
    at_once(lambda: auto_sends_send(now=later))

    assert FulfilmentOrder.objects.filter(state=FulfilmentOrder.State.SENT).count() == 5
    sent_refs = [call[1].reference for call in CALLS if call[0] == "send"]
    assert sorted(sent_refs) == sorted(set(sent_refs)) and len(sent_refs) == 5
    assert RuleAction.objects.filter(what="send").count() == 5
