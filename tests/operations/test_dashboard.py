"""The home dashboard: each attention count against the database and the admin list it links to
(showing exactly those rows), late orders, stale connections, the chart series, who sees what,
and the app list's order."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from fulfilment.models import FulfilmentItem, FulfilmentOrder, PartnerPrintFile
from operations import dashboard
from operations.charts import dashboard_charts, nice_ceiling
from operations.services.dashboard_totals import rebuild
from orders.models import Customization, SideArtwork, SyncRun
from tests.factories import (
    CustomizationFactory,
    FulfilmentOrderFactory,
    SideArtworkFactory,
    StaffFactory,
    StatusEventFactory,
    StockLevelFactory,
    SyncRunFactory,
    VendorConnectionFactory,
    staff_in,
)

pytestmark = pytest.mark.django_db
State = FulfilmentOrder.State


@pytest.fixture(autouse=True)
def no_cached_charts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def manager():
    return staff_in("Manager")


def counts(user) -> dict[str, int]:
    return {item.key: item.count for item in dashboard.attention_items(user)}


def urls(user) -> dict[str, str]:
    return {item.key: item.url for item in dashboard.attention_items(user)}


def listed(user, url) -> int:
    """How many rows the admin list behind `url` shows the user."""
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    if "cl" in response.context:
        return response.context["cl"].result_count
    return response.context["page"].paginator.count  # the review queue


def test_every_count_matches_the_list_it_links_to(manager, gateway):
    now = timezone.now()
    shop = VendorConnectionFactory(name="Shop")
    # Designs: two awaiting review (one flagged), one decided.
    CustomizationFactory(connection=shop, status=Customization.Status.ARTWORK_APPROVAL_PENDING)
    CustomizationFactory(connection=shop, has_bad_words=True, bad_words=["darn"])
    CustomizationFactory(connection=shop, has_bad_words=True, decision=Customization.Decision.APPROVED)
    # Artwork: one failed, one needing attention, one ready.
    for state in (SideArtwork.State.FAILED, SideArtwork.State.NEEDS_ATTENTION, SideArtwork.State.READY):
        SideArtworkFactory(state=state, side__customization__connection=shop)
    # Fulfilment orders, one per problem, and a healthy one.
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, status="problem", vendor_status_name="QC Query")
    FulfilmentOrderFactory(connection=gateway, state=State.FAILED)
    FulfilmentOrderFactory(connection=gateway, state=State.DRAFT, on_hold=True, hold_reason="Customer called")
    FulfilmentOrderFactory(connection=gateway, state=State.CHECK)
    stuck = FulfilmentOrderFactory(connection=gateway, state=State.SENDING)
    FulfilmentOrder.objects.filter(pk=stuck.pk).update(updated_at=now - timedelta(hours=2))
    FulfilmentOrderFactory(
        connection=gateway,
        state=State.SENT,
        status="in_production",
        required_dispatch_date=now.date() - timedelta(days=2),
    )
    healthy = FulfilmentOrderFactory(connection=gateway, state=State.SENT, status="in_production")
    # A partner print file failed, one ready.
    for n, state in enumerate((PartnerPrintFile.State.FAILED, PartnerPrintFile.State.READY)):
        item = FulfilmentItem.objects.create(
            order=healthy, customization=CustomizationFactory(connection=shop), external_ref=f"L{n}"
        )
        PartnerPrintFile.objects.create(order=healthy, item=item, store_item_id=f"L{n}", state=state)
    # Syncs: one failed an hour ago, one failed two days ago, one succeeded.
    SyncRunFactory(connection=shop, status=SyncRun.Status.FAILED, started_at=now - timedelta(hours=1))
    SyncRunFactory(connection=shop, status=SyncRun.Status.FAILED, started_at=now - timedelta(days=2))
    SyncRunFactory(connection=shop, status=SyncRun.Status.SUCCEEDED, finished_at=now - timedelta(hours=1))
    # Stock: one below its threshold, one at it, one without a threshold.
    StockLevelFactory(connection=gateway, quantity_available=2, low_stock_threshold=5)
    StockLevelFactory(connection=gateway, quantity_available=5, low_stock_threshold=5)
    StockLevelFactory(connection=gateway, quantity_available=0)

    expected = {
        "review": 2,
        "bad_words": 1,
        "artwork": 2,
        "partner_print_files": 1,
        "qc_query": 1,
        "send_failed": 1,
        "on_hold": 1,
        "stuck": 1,
        "check": 1,
        "late": 1,
        "syncs_failed": 1,
        "stale_connections": 0,
        "low_stock": 1,
    }
    assert counts(manager) == expected
    for key, url in urls(manager).items():
        if key != "stale_connections":
            assert listed(manager, url) == expected[key], key


def test_late_is_past_the_dispatch_date_and_not_shipped_cancelled_or_discarded(manager, gateway):
    today = timezone.localdate()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    late_draft = FulfilmentOrderFactory(connection=gateway, state=State.DRAFT, required_dispatch_date=yesterday)
    late_sent = FulfilmentOrderFactory(
        connection=gateway, state=State.SENT, status="packed", required_dispatch_date=yesterday
    )
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, status="shipped", required_dispatch_date=yesterday)
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, status="cancelled", required_dispatch_date=yesterday)
    FulfilmentOrderFactory(connection=gateway, state=State.DISCARDED, required_dispatch_date=yesterday)
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, required_dispatch_date=today)
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, required_dispatch_date=tomorrow)
    FulfilmentOrderFactory(connection=gateway, state=State.SENT)

    assert set(dashboard.late_orders()) == {late_draft, late_sent}
    client = Client()
    client.force_login(manager)
    response = client.get(urls(manager)["late"])
    assert {row.pk for row in response.context["cl"].result_list} == {late_draft.pk, late_sent.pk}


def test_a_connection_is_stale_when_its_last_good_sync_is_old(manager, gateway, settings):
    settings.DASHBOARD_SYNC_STALE_HOURS = 24
    now = timezone.now()
    old, fresh, partial, never, new, inactive = (
        VendorConnectionFactory(name=name, is_active=name != "inactive")
        for name in ("old", "fresh", "partial", "never", "new", "inactive")
    )
    from orders.models import VendorConnection

    VendorConnection.objects.exclude(name="new").update(created_at=now - timedelta(days=10))
    SyncRunFactory(connection=old, finished_at=now - timedelta(hours=30))
    SyncRunFactory(connection=old, status=SyncRun.Status.FAILED, finished_at=now - timedelta(hours=1))
    SyncRunFactory(connection=fresh, finished_at=now - timedelta(hours=2))
    SyncRunFactory(connection=partial, status=SyncRun.Status.PARTIAL, finished_at=now - timedelta(hours=3))
    SyncRunFactory(connection=inactive, finished_at=now - timedelta(days=5))
    # gateway (Custom Gateway) never syncs customizations: never stale.

    assert list(dashboard.stale_connections()) == [never, old]
    assert counts(manager)["stale_connections"] == 2
    client = Client()
    client.force_login(manager)
    response = client.get(urls(manager)["stale_connections"])
    assert {row.pk for row in response.context["cl"].result_list} == {old.pk, never.pk}


def test_designs_and_orders_per_day_per_source_and_partner(gateway):
    today = timezone.localdate()
    now = timezone.now()
    shop, other = VendorConnectionFactory(name="Shop"), VendorConnectionFactory(name="Other shop")
    for days_ago, connection in [(0, shop), (0, shop), (0, other), (2, shop), (40, shop)]:
        CustomizationFactory(connection=connection, customized_at=now - timedelta(days=days_ago))
    made = [FulfilmentOrderFactory(connection=gateway, state=State.SENT) for _ in range(3)]
    FulfilmentOrderFactory(connection=gateway, state=State.DISCARDED)
    FulfilmentOrder.objects.filter(pk=made[0].pk).update(created_at=now - timedelta(days=1))

    designs = dashboard.designs_per_day(30, today=today)
    assert len(designs.days) == 30 and designs.days[-1] == today
    assert dict(designs.series) == {"Shop": [0] * 27 + [1, 0, 2], "Other shop": [0] * 29 + [1]}
    assert dashboard.designs_per_day(90, today=today).total == 5

    orders = dashboard.orders_per_day(30, today=today)
    assert dict(orders.series) == {"Custom Gateway": [0] * 28 + [1, 2]}


def test_turnaround_median_and_90th_percentile_per_partner(gateway):
    now = timezone.now()
    shop = VendorConnectionFactory(name="Shop")
    # Approved -> sent: 1, 2, 3, 4 and 10 hours; sent -> shipped: 24 and 48 hours (three not shipped).
    for n, (to_sent, to_shipped) in enumerate([(1, 24), (2, 48), (3, None), (4, None), (10, None)]):
        sent_at = now - timedelta(days=3)
        order = FulfilmentOrderFactory(connection=gateway, state=State.SENT, sent_at=sent_at)
        design = CustomizationFactory(
            connection=shop, decision=Customization.Decision.APPROVED, decided_at=sent_at - timedelta(hours=to_sent)
        )
        FulfilmentItem.objects.create(order=order, customization=design, external_ref=f"L{n}")
        if to_shipped:
            StatusEventFactory(fulfilment_order=order, status="in_production", received_at=sent_at)
            StatusEventFactory(
                fulfilment_order=order, status="shipped", received_at=sent_at + timedelta(hours=to_shipped)
            )
            StatusEventFactory(
                fulfilment_order=order, status="shipped_confirmed", received_at=sent_at + timedelta(hours=99)
            )
    # Sent before the window: left out.
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, sent_at=now - timedelta(days=60))

    [row] = dashboard.turnaround(30)
    assert row.partner == "Custom Gateway" and row.orders == 5
    assert row.to_sent_median == pytest.approx(3)
    assert row.to_sent_p90 == pytest.approx(4 + 0.6 * 6)  # percentile_cont: between 4 and 10
    assert row.to_shipped_median == pytest.approx(36)
    assert row.to_shipped_p90 == pytest.approx(45.6)
    assert dashboard.percentile([1, 2, 3, 4, 10], 0.9) == pytest.approx(7.6)


def test_problem_rate_per_partner(gateway):
    other = VendorConnectionFactory(name="Ideal", kind="idealfactory")
    queried = FulfilmentOrderFactory(connection=gateway, state=State.SENT, status="in_production")
    StatusEventFactory(fulfilment_order=queried, status="problem")  # queried once, since resolved
    FulfilmentOrderFactory(connection=gateway, state=State.FAILED)
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, has_error=True)
    FulfilmentOrderFactory(connection=gateway, state=State.SENT, status="shipped")
    FulfilmentOrderFactory(connection=gateway, state=State.DISCARDED)
    FulfilmentOrderFactory(connection=other, state=State.SENT, status="shipped")

    rates = {rate.partner: (rate.problems, rate.orders) for rate in dashboard.problem_rates(30)}
    assert rates == {"Custom Gateway": (3, 4), "Ideal": (0, 1)}


def test_charts_render_svg_with_names_escaped_and_a_table(manager, gateway):
    shop = VendorConnectionFactory(name="<script>alert(1)</script>")
    CustomizationFactory(connection=shop, customized_at=timezone.now())
    rebuild()  # the charts read the kept totals (tests/operations/test_dashboard_totals.py)
    charts = {chart.id: chart for chart in dashboard_charts(dashboard.chart_data(manager, 30))}

    designs = charts["chart-designs"]
    assert designs.svg.startswith("<svg") and '<title id="chart-designs-title">' in designs.svg
    assert "<script>" not in designs.svg and "&lt;script&gt;" in designs.svg
    assert designs.headers == ["Day", "<script>alert(1)</script>", "Total"]  # escaped by the template
    assert designs.rows[-1][-1] == "1"
    assert charts["chart-orders"].svg is None and charts["chart-orders"].empty
    assert nice_ceiling(7) == 8 and nice_ceiling(28) == 30 and nice_ceiling(130) == 150 and nice_ceiling(0) == 1


def test_a_viewer_sees_the_dashboard_anonymous_goes_to_login(client, gateway):
    shop = VendorConnectionFactory(name="<b>Shop</b>")
    CustomizationFactory(connection=shop, has_bad_words=True, customized_at=timezone.now())
    rebuild()

    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    client.force_login(staff_in("Viewer"))
    response = client.get("/admin/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Needs attention now" in body and "Flagged (bad words)" in body
    assert 'href="/admin/orders/reviewitem/?reason=bad_words"' in body
    assert "&lt;b&gt;Shop&lt;/b&gt;" in body and "<b>Shop</b>" not in body
    assert 'aria-labelledby="chart-designs-title chart-designs-desc"' in body
    # The review queue comes first, the libraries' screens last, under System.
    apps = body[body.index('id="apps-heading"') :]
    rows = ["orders-reviewitem", "orders-customization", "fulfilment-fulfilmentorder"]
    positions = [apps.index(f'id="{row}"') for row in rows]
    assert positions == sorted(positions)
    assert positions[-1] < apps.index(">System<") < apps.index('id="django_celery_beat-periodictask"')

    assert client.get("/admin/?days=90").status_code == 200
    for bad in ("7", "abc", "-30", "9" * 30):
        response = client.get(f"/admin/?days={bad}")
        assert response.status_code == 400 and b"days must be one of 30, 90" in response.content


def test_only_what_the_user_may_view_is_counted():
    """A staff user who may view only stock levels sees only the low-stock count and no charts."""
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_stocklevel"))
    assert [item.key for item in dashboard.attention_items(user)] == ["low_stock"]
    assert dashboard_charts(dashboard.chart_data(user, 30)) == []
    client = Client()
    client.force_login(user)
    body = client.get("/admin/").content.decode()
    assert "Stock levels below their threshold" in body and "Awaiting review" not in body
    assert "chart-orders" not in body


def test_the_dashboard_takes_a_fixed_number_of_queries(manager, gateway, django_assert_max_num_queries):
    shop = VendorConnectionFactory(name="Shop")
    for n in range(20):
        CustomizationFactory(connection=shop, customized_at=timezone.now() - timedelta(days=n))
        FulfilmentOrderFactory(connection=gateway, state=State.SENT, sent_at=timezone.now())
    rebuild()
    client = Client()
    client.force_login(manager)
    with django_assert_max_num_queries(40):
        assert client.get("/admin/?days=90").status_code == 200


def test_a_long_partner_name_is_shortened_left_of_its_bars_and_whole_on_hover(manager):
    long_name = "Demo Custom Gateway (sandbox) & Co"
    partner = VendorConnectionFactory(name=long_name, kind="custom_gateway")
    FulfilmentOrderFactory(connection=partner, state=State.FAILED)
    rebuild()
    charts = {chart.id: chart for chart in dashboard_charts(dashboard.chart_data(manager, 30))}

    svg = str(charts["chart-problems"].svg)
    assert "<title>Demo Custom Gateway (sandbox) &amp; Co</title>Demo Custom Gateway (…</text>" in svg


def test_an_empty_chart_says_how_old_the_newest_design_is(manager, gateway):
    CustomizationFactory(connection=gateway, customized_at=timezone.now() - timedelta(days=200))
    charts = {chart.id: chart for chart in dashboard_charts(dashboard.chart_data(manager, 30))}

    designs = charts["chart-designs"]
    newest = timezone.localtime(timezone.now() - timedelta(days=200))
    assert (
        designs.svg is None
        and designs.empty == f"No designs in the last 30 days: the newest is from {newest:%d %b %Y}."
    )


def test_a_count_stops_at_the_cap_and_says_so(manager, gateway, monkeypatch, client):
    """However long a backlog grows, each attention count reads at most cap + 1 rows ("1,000+")."""
    monkeypatch.setattr("orders.selectors.REVIEW_COUNT_CAP", 2)
    for _ in range(3):
        FulfilmentOrderFactory(connection=gateway, state=State.FAILED)
    FulfilmentOrderFactory(connection=gateway, state=State.CHECK)

    assert str(counts(manager)["send_failed"]) == "2+" and counts(manager)["check"] == 1
    client.force_login(manager)
    body = client.get("/admin/").content.decode()
    assert '<span class="count">2+</span> <span class="what">Failed to send</span>' in body
