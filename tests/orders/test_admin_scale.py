"""orders.admin.scale: estimated and capped counts shown for what they are, index-first deep
pages, the date drill-down by probes, and filters whose choices do not scan the list's table."""

import datetime
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.utils import timezone

from fulfilment.models import FulfilmentOrder, Shipment
from orders.admin import scale
from orders.models import Customization
from tests.factories import (
    CustomizationFactory,
    FulfilmentOrderFactory,
    VendorConnectionFactory,
    staff_in,
)

LIST = "/admin/orders/customization/"
ORDERS = "/admin/fulfilment/fulfilmentorder/"


@pytest.fixture
def viewer(client, db):
    client.force_login(staff_in("Viewer"))
    return client


def at(year, month=1, day=1, hour=12):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def made(count, **kwargs):
    source = kwargs.pop("connection", None) or VendorConnectionFactory()
    return [
        CustomizationFactory(connection=source, external_id=f"C{n:03d}", customized_at=at(2025, 1, 1 + n), **kwargs)
        for n in range(count)
    ]


def ids_on(page: str) -> list[str]:
    return re.findall(r">(C\d{3})</a>", page)


def test_a_small_list_shows_its_exact_count_with_no_note(viewer):
    made(3)
    page = viewer.get(LIST).content.decode()
    assert "3 customizations" in page
    assert "estimated" not in page and "counted up to" not in page


def test_an_unfiltered_big_table_shows_the_planners_estimate_and_says_so(viewer, monkeypatch):
    made(3)
    monkeypatch.setattr(scale, "estimated_rows", lambda model, using="default": 1_234_567)
    page = viewer.get(LIST).content.decode()
    assert "about 1,234,567 customizations" in page
    assert "(estimated from the table&#x27;s statistics)" in page
    # A filtered list is counted, not estimated.
    filtered = viewer.get(LIST, {"status__exact": "pending"}).content.decode()
    assert "3 customizations" in filtered and "estimated" not in filtered


def test_estimated_rows_reads_pg_class_on_postgresql_and_nothing_on_sqlite(db):
    made(4)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE orders_customization")
        assert scale.estimated_rows(Customization) is not None
    else:
        assert scale.estimated_rows(Customization) is None


def test_a_filtered_list_counts_up_to_the_cap_and_shows_n_plus(viewer, monkeypatch):
    made(5)
    monkeypatch.setattr(admin.site._registry[Customization], "count_cap", 3)
    monkeypatch.setattr(admin.site._registry[Customization], "list_per_page", 2)
    page = viewer.get(LIST, {"status__exact": "pending"}).content.decode()
    if connection.vendor == "postgresql":
        assert "3+ customizations" in page and "(counted up to 3)" in page
        assert "3+ results" in page  # the search form's count says the same
    else:  # SQLite, the embedded default: an exact count
        assert "5 customizations" in page and "counted up to" not in page
    assert ids_on(page) == ["C004", "C003"]
    # The page past the cap still opens (and is counted further).
    last = viewer.get(LIST, {"status__exact": "pending", "p": "3"})
    assert last.status_code == 200 and ids_on(last.content.decode()) == ["C000"]


def test_a_deep_page_shows_the_right_rows_in_the_lists_order(viewer, monkeypatch):
    made(7)
    monkeypatch.setattr(admin.site._registry[Customization], "list_per_page", 2)
    assert ids_on(viewer.get(LIST).content.decode()) == ["C006", "C005"]
    assert ids_on(viewer.get(LIST, {"p": "3"}).content.decode()) == ["C002", "C001"]
    assert ids_on(viewer.get(LIST, {"p": "4"}).content.decode()) == ["C000"]
    assert ids_on(viewer.get(LIST, {"p": "2", "o": "1"}).content.decode()) == ["C002", "C003"]  # by vendor id


def test_a_page_past_an_estimate_is_empty_not_an_error(viewer, monkeypatch):
    made(3)
    monkeypatch.setattr(scale, "estimated_rows", lambda model, using="default": 50_000)
    response = viewer.get(LIST, {"p": "900"})
    assert response.status_code == 200 and ids_on(response.content.decode()) == []


def test_the_date_drill_down_lists_years_months_and_days_that_have_rows(viewer):
    source = VendorConnectionFactory()
    CustomizationFactory(connection=source, external_id="C100", customized_at=at(2023, 6, 2))
    CustomizationFactory(connection=source, external_id="C101", customized_at=at(2025, 3, 9))
    CustomizationFactory(connection=source, external_id="C102", customized_at=at(2025, 3, 20))
    CustomizationFactory(connection=source, external_id="C103", customized_at=at(2025, 11, 1))
    years = viewer.get(LIST).content.decode()
    assert "customized_at__year=2023" in years and "customized_at__year=2025" in years
    assert "customized_at__year=2024" not in years  # no rows that year: no link
    months = viewer.get(LIST, {"customized_at__year": "2025"}).content.decode()
    assert "customized_at__month=3" in months and "customized_at__month=11" in months
    assert "customized_at__month=4" not in months
    assert ids_on(months) == ["C103", "C102", "C101"]
    days = viewer.get(LIST, {"customized_at__year": "2025", "customized_at__month": "3"}).content.decode()
    assert "customized_at__day=9" in days and "customized_at__day=20" in days and "customized_at__day=10" not in days
    assert ids_on(days) == ["C102", "C101"]
    day = viewer.get(
        LIST, {"customized_at__year": "2025", "customized_at__month": "3", "customized_at__day": "9"}
    ).content.decode()
    assert ids_on(day) == ["C101"]


def test_the_vendor_filter_still_filters(viewer):
    made(2)
    other = VendorConnectionFactory(kind="kickflip")
    CustomizationFactory(connection=other, external_id="C900", customized_at=at(2025, 5, 1))
    page = viewer.get(LIST, {"vendor": "kickflip"}).content.decode()
    assert ids_on(page) == ["C900"]
    assert sorted(ids_on(viewer.get(LIST, {"vendor": "qstomizer"}).content.decode())) == ["C000", "C001"]


def test_the_vendor_status_filter_lists_the_values_there_are_and_filters(viewer, gateway):
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-A", vendor_status_name="Printing")
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-B", vendor_status_name="Dispatched")
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-C", vendor_status_name="Dispatched")
    assert scale.distinct_values(FulfilmentOrder, "vendor_status_name") == ["Dispatched", "Printing"]
    page = viewer.get(ORDERS).content.decode()
    assert "vendor_status_name=Dispatched" in page and "vendor_status_name=Printing" in page
    filtered = viewer.get(ORDERS, {"vendor_status_name": "Printing"}).content.decode()
    assert "BO-A" in filtered and "BO-B" not in filtered


def test_the_connection_filter_lists_connections_from_their_own_table(viewer, gateway):
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-A")
    idle = VendorConnectionFactory(kind="custom_gateway", name="Idle partner")  # no orders: listed all the same
    page = viewer.get(ORDERS).content.decode()
    assert f"connection__id__exact={gateway.pk}" in page and f"connection__id__exact={idle.pk}" in page
    assert "BO-A" in viewer.get(ORDERS, {"connection__id__exact": gateway.pk}).content.decode()


def test_distinct_values_skips_nulls_and_honours_the_limit(db):
    assert scale.distinct_values(Shipment, "carrier") == []
    source = VendorConnectionFactory()
    for n in range(3):
        CustomizationFactory(connection=source, sku=f"S{n}")
    assert scale.distinct_values(Customization, "sku", limit=2) == ["S0", "S1"]


def test_a_small_lists_drill_down_reads_its_dates_once_and_a_big_one_probes(viewer, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    source = VendorConnectionFactory()
    for n, when in enumerate([at(2023, 6, 2), at(2025, 3, 9), at(2025, 3, 20), at(2025, 11, 1)]):
        CustomizationFactory(connection=source, external_id=f"C{n:03d}", customized_at=when)

    def drill_down(**params):
        with CaptureQueriesContext(connection) as queries:
            page = viewer.get(LIST, params).content.decode()
        probes = sum(
            query["sql"].startswith('SELECT 1 AS "a"') and "customized_at" in query["sql"] for query in queries
        )
        bounds = sum('MIN("orders_customization"."customized_at")' in query["sql"] for query in queries)
        years = sorted(set(re.findall(r"customized_at__year=(\d+)", page)))
        months = sorted(set(re.findall(r"customized_at__month=(\d+)", page)))
        return years, months, probes, bounds

    # Counted exactly (4 rows): the dates of the 4, no bounds, no probe; the same links.
    assert drill_down() == (["2023", "2025"], [], 0, 0)
    assert drill_down(customized_at__year="2025") == (["2025"], ["11", "3"], 0, 0)
    # Past the count cap (PostgreSQL): the bounds, read once, and a probe per candidate period.
    monkeypatch.setattr(admin.site._registry[Customization], "count_cap", 2)
    monkeypatch.setattr(admin.site._registry[Customization], "list_per_page", 1)
    years, months, probes, bounds = drill_down(status__exact="pending")
    assert years == ["2023", "2025"] and months == []
    if connection.vendor == "postgresql":
        assert (probes, bounds) == (3, 1)  # 2023, 2024, 2025


def test_a_search_matching_more_than_the_dates_read_lists_no_dates_and_says_so(viewer, monkeypatch):
    made(3, sku="TEE-RED")
    page = viewer.get(LIST, {"q": "tee"}).content.decode()
    assert "customized_at__day=" in page and "dates not listed" not in page  # 3 dates read: the days
    monkeypatch.setattr(scale, "SEARCH_DATES_READ", 2)
    monkeypatch.setattr(admin.site._registry[Customization], "count_cap", 2)  # counted past the cap
    monkeypatch.setattr(admin.site._registry[Customization], "list_per_page", 1)
    page = viewer.get(LIST, {"q": "tee"}).content.decode()
    if connection.vendor == "postgresql":
        assert "dates not listed for a search matching over 2" in page
        assert "customized_at__day=" not in page and "customized_at__year=" not in page
    assert ids_on(page)[:1] == ["C002"]  # the rows themselves are listed as before
