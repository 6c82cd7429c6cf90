"""The dashboard's kept daily totals: the charts read from them show what the rows give (the
turnaround's median and 90th percentile within a bucket), the receivers keep them as the services
announce orders, sends and shipments, and a recompute run again, late or twice at once gives the
same rows."""

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import timezone

from fulfilment.models import FulfilmentItem, FulfilmentOrder
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_discard, fulfilment_order_send
from integrations.custom_gateway import sandbox as cg_sandbox
from operations import dashboard
from operations.charts import turnaround_bars
from operations.models import DailyTotals
from operations.services import dashboard_totals
from operations.services.dashboard_totals import bucket, bucket_hours, histogram_percentile, rebuild, recompute
from orders.models import Customization
from tests.factories import CustomizationFactory, FulfilmentOrderFactory, StatusEventFactory, VendorConnectionFactory
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork

State = FulfilmentOrder.State


def resolution(hours: float | None) -> float:
    """The width of the bucket the figure falls in (0.1 hour below two days, 0.1 day above)."""
    return bucket_hours(bucket((hours or 0) * 3600))[1]


def assert_same_charts(days: int) -> None:
    """Every chart from the kept totals against the same chart computed from the rows."""
    assert dashboard.kept_orders_per_day(days) == dashboard.orders_per_day(days)
    assert dashboard.kept_designs_per_day(days) == dashboard.designs_per_day(days)
    assert dashboard.kept_problem_rates(days) == dashboard.problem_rates(days)
    kept, rows = dashboard.kept_turnaround(days), dashboard.turnaround(days)
    assert [(t.partner, t.orders) for t in kept] == [(t.partner, t.orders) for t in rows]
    for from_totals, from_rows in zip(kept, rows, strict=True):
        for name in ("to_sent_median", "to_sent_p90", "to_shipped_median", "to_shipped_p90"):
            exact, estimate = getattr(from_rows, name), getattr(from_totals, name)
            assert (exact is None) == (estimate is None), name
            if exact is not None:
                assert abs(estimate - exact) <= resolution(exact), (from_rows.partner, name, exact, estimate)


@pytest.mark.django_db
def test_the_charts_from_the_kept_totals_are_the_charts_from_the_rows(gateway):
    pick = random.Random(13)
    ideal = VendorConnectionFactory(name="Ideal", kind="idealfactory")
    sources = [VendorConnectionFactory(name="Shop"), VendorConnectionFactory(name="Shop 2")]
    now = timezone.now()
    for _ in range(150):
        CustomizationFactory(
            connection=pick.choice(sources), customized_at=now - timedelta(hours=pick.uniform(0, 2400))
        )
    for n in range(200):
        created = now - timedelta(hours=pick.uniform(0, 2400))
        state = pick.choice([State.SENT] * 6 + [State.FAILED, State.DISCARDED, State.DRAFT])
        sent_at = created + timedelta(hours=pick.uniform(0, 30)) if state == State.SENT else None
        order = FulfilmentOrderFactory(
            connection=pick.choice([gateway, ideal]),
            state=state,
            status=pick.choice(["", "in_production", "shipped", "problem", "on_hold"]),
            has_error=pick.random() < 0.1,
            status_conflict="a later status came first" if pick.random() < 0.05 else "",
            sent_at=sent_at,
        )
        FulfilmentOrder.objects.filter(pk=order.pk).update(created_at=created)
        if pick.random() < 0.1:
            StatusEventFactory(fulfilment_order=order, status="problem", received_at=created)
        if sent_at is None:
            continue
        # Its designs: the last approval counts (hours to days before the send); a rejected one not.
        for decision, hours in [("approved", pick.uniform(0.05, 90)), ("approved", 100), ("rejected", 1)]:
            design = CustomizationFactory(
                connection=sources[0], decision=decision, decided_at=sent_at - timedelta(hours=hours)
            )
            FulfilmentItem.objects.create(order=order, customization=design, external_ref=f"L{n}-{hours}")
        if pick.random() < 0.7:  # shipped: the first applied Shipped status counts
            shipped = sent_at + timedelta(hours=pick.uniform(2, 24 * 12))
            StatusEventFactory(fulfilment_order=order, status="shipped", received_at=shipped)
            StatusEventFactory(fulfilment_order=order, status="shipped_confirmed", received_at=shipped + timedelta(1))
            StatusEventFactory(
                fulfilment_order=order, status="shipped", effect="stale", received_at=shipped - timedelta(hours=1)
            )

    assert rebuild() > 0
    for days in dashboard.WINDOWS:
        assert_same_charts(days)
    assert (
        sum(row.sent for row in DailyTotals.objects.all())
        == FulfilmentOrder.objects.filter(sent_at__isnull=False).count()
    )
    assert rebuild() == 0  # again: nothing changes
    chart = turnaround_bars("chart-turnaround", dashboard.kept_turnaround(90), 90)
    assert chart.svg and chart.note == "Median and 90th percentile to 0.1 hour below two days, 0.1 day from there."


@pytest.mark.django_db
def test_the_percentiles_of_a_histogram_are_within_a_bucket():
    assert bucket(0) == 0 and bucket(3 * 3600) == 30 and bucket(-60) == -1
    assert bucket_hours(bucket(47.95 * 3600)) == pytest.approx((47.9, 0.1))
    assert bucket_hours(bucket(50 * 3600)) == pytest.approx((48, 2.4))
    hours = [1, 2, 3, 4, 10]
    histogram = {}
    for value in hours:
        dashboard_totals.histogram_add(histogram, {str(bucket(value * 3600)): 1})
    assert abs(histogram_percentile(histogram, 0.5) - 3) <= 0.1
    assert abs(histogram_percentile(histogram, 0.9) - dashboard.percentile(hours, 0.9)) <= 0.1
    assert histogram_percentile({}, 0.5) is None


@pytest.mark.django_db
def test_a_recompute_repairs_a_day_and_run_again_changes_nothing(gateway):
    order = FulfilmentOrderFactory(connection=gateway, state=State.DRAFT)
    today = timezone.localdate()
    assert recompute(["orders"], today) == 1
    DailyTotals.objects.update(orders=7, problems=3)  # drift: a row changed without its signal
    assert recompute(["orders"], today) == 1
    assert DailyTotals.objects.values_list("connection_id", "orders", "problems").get() == (gateway.pk, 1, 0)
    assert recompute(["orders"], today) == 0
    FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.DISCARDED)
    recompute(["orders"], today)
    assert DailyTotals.objects.values_list("orders", flat=True).get() == 0


@pytest.mark.django_db
def test_the_rebuild_command(gateway):
    old = FulfilmentOrderFactory(connection=gateway, state=State.DRAFT)
    FulfilmentOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    FulfilmentOrderFactory(connection=gateway, state=State.DRAFT)

    call_command("dashboard_totals_rebuild", "--days", "3")
    assert list(DailyTotals.objects.values_list("day", "orders")) == [(timezone.localdate(), 1)]
    call_command("dashboard_totals_rebuild")
    assert sorted(DailyTotals.objects.values_list("orders", flat=True)) == [1, 1]
    with pytest.raises(CommandError):
        call_command("dashboard_totals_rebuild", "--days", "0")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_recomputes_of_a_day_at_once_keep_one_row_each(gateway, require_postgres):
    shop = VendorConnectionFactory(name="Shop")
    for _ in range(3):
        FulfilmentOrderFactory(connection=gateway, state=State.DRAFT)
        CustomizationFactory(connection=shop, customized_at=timezone.now())
    today = timezone.localdate()

    def run(_):
        try:
            return recompute(dashboard_totals.PARTS, today)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        written = list(pool.map(run, range(4)))
    assert sorted(written) == [0, 0, 0, 2]  # the first writes both rows, the others find them right
    rows = dict(DailyTotals.objects.values_list("connection_id", "orders"))
    assert rows == {gateway.pk: 3, shop.pk: 0}
    assert DailyTotals.objects.get(connection=shop).designs == 3


@pytest.mark.django_db(transaction=True)
def test_the_receivers_keep_the_totals_as_orders_are_made_sent_and_shipped(
    custom_gateway_connection, custom_gateway_sandbox, tasks_inline
):
    gateway = custom_gateway_connection
    designs = [approved_with_artwork(), approved_with_artwork()]
    Customization.objects.update(decided_at=timezone.now() - timedelta(hours=2))
    order = fulfilment_order_create(connection=gateway, customizations=designs[:1], shipping=ADDRESS)
    draft = fulfilment_order_create(connection=gateway, customizations=designs[1:], shipping=ADDRESS)
    row = DailyTotals.objects.get(connection=gateway)
    assert (row.orders, row.sent) == (2, 0)

    order = fulfilment_order_send(order)
    assert order.state == State.SENT, order.last_error
    fulfilment_order_discard(draft)
    row.refresh_from_db()
    assert (row.orders, row.sent, sum(row.to_sent.values()), row.to_shipped) == (1, 1, 1, {})

    vendor_id = int(order.vendor_orders.get().vendor_id)
    cg_sandbox.emit_status(vendor_id, 8, tracking="RM123456789GB", carrier="Royal Mail")  # Dispatched
    row.refresh_from_db()
    assert sum(row.to_shipped.values()) == 1
    assert_same_charts(30)

    # A design approved again after the send: the turnaround of the order carrying it follows.
    design = Customization.objects.get(fulfilment_items__order=order)
    before = dict(row.to_sent)
    Customization.objects.filter(pk=design.pk).update(decided_at=order.sent_at - timedelta(hours=5))
    dashboard_totals.design_decided(design.pk)
    row.refresh_from_db()
    assert row.to_sent != before and row.to_sent == {str(bucket(5 * 3600)): 1}


@pytest.mark.django_db
def test_a_burst_of_changes_queues_one_recompute_per_day_and_part_with_the_interval_as_countdown(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A stream of events (status callbacks, a sync's batches) must not recompute a day each: the
    receivers queue at most one task per day and part per DASHBOARD_TOTALS_REFRESH_SECONDS, with that
    interval as its countdown, so the task reads every change that queued nothing."""
    from django.core.cache import cache

    from config.celery import app

    settings.DASHBOARD_TOTALS_REFRESH_SECONDS = 30
    cache.clear()
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), kwargs=None, **options: sent.append((args, options)))
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(50):
            dashboard_totals.recompute_days(["orders", "sent"], [now, now])
        dashboard_totals.recompute_days(["orders"], [now - timedelta(days=3), None])
    today, earlier = timezone.localdate(now).isoformat(), timezone.localdate(now - timedelta(days=3)).isoformat()
    assert sorted(args for args, _ in sent) == sorted([("orders", today), ("sent", today), ("orders", earlier)])
    assert {options["countdown"] for _, options in sent} == {30}
    cache.clear()


def test_the_background_recompute_writes_the_day_and_refuses_an_unknown_part(gateway):
    order = FulfilmentOrderFactory(connection=gateway)
    day = timezone.localdate(order.created_at).isoformat()
    assert dashboard_totals.refresh("orders", day) == 1
    assert DailyTotals.objects.get(connection=gateway, day=day).orders == 1
    with pytest.raises(ValueError, match="unknown part"):
        dashboard_totals.refresh("everything", day)


def test_the_daily_repair_recomputes_the_last_week_from_the_rows(gateway):
    from operations.tasks import dashboard_totals_repair_task

    FulfilmentOrderFactory(connection=gateway)
    rebuild()
    DailyTotals.objects.update(orders=9)  # changed without an event
    dashboard_totals_repair_task.apply()
    assert DailyTotals.objects.get(connection=gateway).orders == 1
