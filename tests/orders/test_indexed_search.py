"""The customization and fulfilment order lists' search (orders/admin/indexed_search.py) finds
exactly what Django's own search found, once each, without DISTINCT."""

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.test import RequestFactory
from django.urls import reverse

from fulfilment.models import FulfilmentItem, FulfilmentOrder, StatusEvent
from orders.models import Customization
from tests.factories import (
    CustomizationFactory,
    FulfilmentOrderFactory,
    NodeFactory,
    OrderLineFactory,
    SideFactory,
    StoreOrderFactory,
    VendorConnectionFactory,
    VendorOrderFactory,
    staff_in,
)


def both(model, terms):
    """(indexed search's pks, Django's search's pks) for each term, and no duplicate in the first."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = staff_in("Manager")
    queryset = model.objects.all()
    out = []
    for term in terms:
        ours, duplicates = model_admin.get_search_results(request, queryset, term)
        theirs, may_duplicate = ModelAdmin.get_search_results(model_admin, request, queryset, term)
        pks = list(ours.values_list("pk", flat=True))
        assert not duplicates and len(pks) == len(set(pks)), term
        out.append((term, set(pks), set(theirs.values_list("pk", flat=True))))
    return out


@pytest.fixture
def designs(db):
    connection = VendorConnectionFactory()
    first = CustomizationFactory(connection=connection, external_id="777001", sku="TEE-RED-L")
    second = CustomizationFactory(connection=connection, external_id="ab12", sku="MUG-WHITE")
    third = CustomizationFactory(connection=connection, external_id="777002", sku="TEE-BLUE-S")
    order = StoreOrderFactory(connection=connection, name="#3891")
    other = StoreOrderFactory(connection=connection, name="#3892")
    for design in (first, second):
        OrderLineFactory(customization=design, store_order=order)  # two designs, one order
    OrderLineFactory(customization=first, store_order=other)  # one design on two orders
    side = SideFactory(customization=first)
    NodeFactory(side=side, text="Happy Birthday Anna")
    NodeFactory(side=side, text="Anna 2026")  # two matching nodes: still one row
    NodeFactory(side=SideFactory(customization=third), text="For Tom")
    return first, second, third


TERMS = ["777001", "AB12", "#389", "3891", "tee", "anna", "ANNA birthday", '"Happy Birthday"', "nothing", "7770"]


def test_customization_search_matches_djangos(designs):
    results = both(Customization, TERMS)
    for term, ours, theirs in results:
        assert ours == theirs, term
    found = {term: ours for term, ours, _ in results}
    first, second, third = designs
    assert found["#389"] == {first.pk, second.pk}
    assert found["anna"] == {first.pk}
    assert found["7770"] == set()  # vendor id: exact only
    assert found["tee"] == {first.pk, third.pk}


def test_fulfilment_order_search_matches_djangos(gateway, designs):
    first, second, _ = designs
    a = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000101", customer_name="Anna Smith")
    b = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000102", customer_email="tom@example.com")
    VendorOrderFactory(fulfilment_order=a, ref="GW-55", shipping_tracking="TRK123")
    VendorOrderFactory(fulfilment_order=a, ref="GW-56")
    for i in range(3):
        StatusEvent.objects.create(fulfilment_order=a, dedupe_key=f"e{i}", effect="apply", shipping_tracking="TRK123")
    FulfilmentItem.objects.create(order=b, customization=first, external_ref="1", sku="TEE-RED-L")
    FulfilmentItem.objects.create(order=b, customization=second, external_ref="2", sku="TEE-RED-M")
    terms = ["BO-0001", "000102", "gw-5", "trk123", "anna", "example.com", "tee-red", "BO tom", "none"]
    for term, ours, theirs in both(FulfilmentOrder, terms):
        assert ours == theirs, term
    assert both(FulfilmentOrder, ["tee-red"])[0][1] == {b.pk}


def test_the_lists_answer_a_search(client, designs):
    client.force_login(staff_in("Manager"))
    page = client.get(reverse("admin:orders_customization_changelist"), {"q": "anna"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    page = client.get(reverse("admin:fulfilment_fulfilmentorder_changelist"), {"q": "nobody'"})
    assert page.status_code == 200


def test_a_term_matching_more_than_the_ids_read_keeps_the_subquery_and_finds_the_same(designs, monkeypatch):
    monkeypatch.setattr(admin.site._registry[Customization], "search_ids_read", 1)
    for term, ours, theirs in both(Customization, TERMS):
        assert ours == theirs, term
    first, second, third = designs
    assert dict((term, ours) for term, ours, _ in both(Customization, ["#389", "tee"])) == {
        "#389": {first.pk, second.pk},
        "tee": {first.pk, third.pk},
    }


def test_a_searched_page_runs_the_search_once_per_term(client, designs):
    """The count, the page and the date drill-down read the matched ids, not the search again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff_in("Manager"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:orders_customization_changelist"), {"q": "anna tee"})
    assert page.context["cl"].result_count == 1
    searching = [query["sql"] for query in queries.captured_queries if "LIKE" in query["sql"]]
    assert len(searching) == 2  # "anna", then "tee"
