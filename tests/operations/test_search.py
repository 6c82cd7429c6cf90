"""The header search box and its results page; fulfilment orders linked to their store order."""

import hashlib
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

from fulfilment.models import FulfilmentItem, FulfilmentOrder, PushedOrderItem, StatusEvent, StockLevel
from fulfilment.services.orders import fulfilment_order_create
from operations.search import COUNT_CAP, MAX_LENGTH, SHOWN
from orders.models import Customization, SideArtwork
from tests.factories import (
    CustomizationFactory,
    FulfilmentOrderFactory,
    NodeFactory,
    OrderLineFactory,
    PushedOrderFactory,
    ShipmentFactory,
    SideFactory,
    StaffFactory,
    StoreOrderFactory,
    VendorOrderFactory,
    staff_in,
)

pytestmark = pytest.mark.django_db
SEARCH = "/admin/search/"


@pytest.fixture
def viewer(client):
    client.force_login(staff_in("Viewer"))
    return client


def groups(response) -> dict[str, list[str]]:
    """{kind label: [row titles]} of a results page."""
    return {group.label: [row.title for row in group.rows] for group in response.context["results"].groups}


def test_the_header_box_is_on_every_staff_page_and_leads_to_the_results(viewer):
    for url in ("/admin/", "/admin/orders/customization/", "/admin/fulfilment/fulfilmentorder/"):
        html = viewer.get(url).content.decode()
        assert f'<form id="header-search" action="{SEARCH}" method="get" role="search">' in html, url
        assert '<label for="header-search-q" class="visually-hidden">' in html


def test_store_orders_found_by_name_number_and_vendor_id(viewer):
    order = StoreOrderFactory(name="#4012", external_id="5551234", store_order_id="6660001")
    StoreOrderFactory(name="#9999")
    for query in ("#4012", "4012", "5551234", "6660001"):
        assert groups(viewer.get(SEARCH, {"q": query})).get("Store orders") == ["#4012"], query
    page = viewer.get(SEARCH, {"q": "401"})
    assert f'href="{reverse("admin:orders_storeorder_change", args=[order.pk])}"' in page.content.decode()


def test_customizations_found_by_vendor_id_sku_personalised_text_and_store_order(viewer):
    design = CustomizationFactory(external_id="778899", sku="MUG-WHITE-11OZ", product_title="Mug")
    NodeFactory(side=SideFactory(customization=design), text="Happy birthday Grandma Lou")
    OrderLineFactory(customization=design, store_order__name="#7001")
    CustomizationFactory(external_id="7788990")  # a longer id is not an exact match
    for query, matched in (
        ("778899", "vendor id"),
        ("white-11", "SKU"),
        ("grandma lou", "personalised text"),
        ("#7001", "store order"),
    ):
        found = viewer.get(SEARCH, {"q": query}).context["results"].groups
        customizations = next(group for group in found if group.label == "Customizations")
        assert [row.title for row in customizations.rows] == ["778899 · Mug"], query
        assert customizations.rows[0].matched == matched
        assert customizations.rows[0].url == reverse("admin:orders_customization_change", args=[design.pk])


def test_fulfilment_orders_found_by_references_tracking_customer_and_sku(viewer, gateway):
    order = FulfilmentOrderFactory(
        connection=gateway, external_ref="BO-000321", customer_name="Ada Lovelace", customer_email="ada@example.org"
    )
    vendor_order = VendorOrderFactory(fulfilment_order=order, vendor_id="CG-55501", ref="R-8812")
    StatusEvent.objects.create(
        fulfilment_order=order, vendor_order=vendor_order, shipping_tracking="1Z999AA10123456784", dedupe_key="a"
    )
    FulfilmentItem.objects.create(order=order, customization=CustomizationFactory(), external_ref="C1", sku="TEE-XL")
    FulfilmentOrderFactory(connection=gateway, customer_name="Someone Else")
    for query in ("BO-000321", "000321", "CG-55501", "R-8812", "10123456784", "lovelace", "ADA@EXAMPLE", "tee-xl"):
        assert groups(viewer.get(SEARCH, {"q": query})).get("Fulfilment orders") == ["BO-000321"], query


def test_pushed_orders_found_by_vendor_id_tracking_customer_and_sku_and_stock_by_sku(viewer, gateway):
    pushed = PushedOrderFactory(connection=gateway, vendor_id="70123", ref="PO-42", customer_name="Grace Hopper")
    ShipmentFactory(order=pushed, tracking="JD014600003828371234")
    PushedOrderItem.objects.create(order=pushed, vendor_id="1", sku="CAP-RED", mapped_sku="SUP-CAP-9")
    StockLevel.objects.create(connection=gateway, sku="CAP-RED", quantity_available=4)
    for query in ("70123", "PO-42", "3828371234", "hopper", "cap-red", "SUP-CAP"):
        assert groups(viewer.get(SEARCH, {"q": query})).get("Pushed orders") == ["PO-42"], query
    assert groups(viewer.get(SEARCH, {"q": "cap-r"}))["Stock levels"] == ["CAP-RED"]


def test_hostile_input_is_searched_for_literally_and_escaped(viewer):
    StoreOrderFactory(name="#100%")
    StoreOrderFactory(name="#1_00")
    StoreOrderFactory(name="#1000")
    NodeFactory(text="<script>alert(1)</script> forever")

    percent = viewer.get(SEARCH, {"q": "100%"})
    underscore = viewer.get(SEARCH, {"q": "1_0"})
    script = viewer.get(SEARCH, {"q": "<script>alert(1)</script>"})

    assert groups(percent)["Store orders"] == ["#100%"]  # % is not a wildcard
    assert groups(underscore)["Store orders"] == ["#1_00"]  # nor is _
    html = script.content.decode()
    assert script.status_code == 200 and "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # in the box and the title, escaped
    assert "Customizations" in groups(script)


def test_empty_short_and_too_long_queries_say_why(viewer):
    StoreOrderFactory(name="#12", external_id="12")

    prompt = viewer.get(SEARCH)
    empty = viewer.get(SEARCH, {"q": "   "})
    short = viewer.get(SEARCH, {"q": "12"})
    long = viewer.get(SEARCH, {"q": "x" * (MAX_LENGTH + 1)})

    assert prompt.status_code == 200 and "Type an order name" in prompt.content.decode()
    assert empty.status_code == 200 and "Type something to search for" in empty.content.decode()
    assert short.status_code == 200 and "type more for a partial match" in short.content.decode()
    assert groups(short) == {"Store orders": ["#12"]}  # the exact vendor id still matches
    assert groups(viewer.get(SEARCH, {"q": "#1"})) == {}  # but no substring under three characters
    assert long.status_code == 400
    assert f"search for at most {MAX_LENGTH}" in long.content.decode()
    assert "Nothing you may view matches" in viewer.get(SEARCH, {"q": "nothing-like-this"}).content.decode()


def test_a_group_is_capped_with_a_link_to_the_filtered_list(viewer):
    StoreOrderFactory.create_batch(SHOWN + 3, name=factory_name("#55"))
    page = viewer.get(SEARCH, {"q": "#55"})
    group = page.context["results"].groups[0]
    assert (group.count, len(group.rows)) == (SHOWN + 3, SHOWN)
    assert f'href="/admin/orders/storeorder/?q=%2355">All {SHOWN + 3} in the store orders list' in (
        page.content.decode()
    )
    assert COUNT_CAP > SHOWN


def factory_name(prefix):
    import factory

    return factory.Sequence(lambda n: f"{prefix}{n:03d}")


def test_groups_only_for_models_the_user_may_view(client, gateway):
    StoreOrderFactory(name="#8080")
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-8080")
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_fulfilmentorder"))
    client.force_login(user)

    page = client.get(SEARCH, {"q": "8080"})

    assert groups(page) == {"Fulfilment orders": ["BO-8080"]}  # no view_storeorder: no store orders
    assert "#8080" not in page.content.decode()


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(SEARCH, {"q": "anything"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# -- fulfilment orders and their store order ----------------------------------------------------


def _approved(store_order=None):
    """An approved design with a ready print file, ordered in `store_order` if given."""
    design = CustomizationFactory(decision=Customization.Decision.APPROVED, sku="MUG", product_title="Mug")
    side = SideFactory(customization=design)
    content = b"\x89PNG fake print file %d" % side.pk
    SideArtwork.objects.create(
        side=side,
        state=SideArtwork.State.READY,
        file=default_storage.save(f"artwork/test/{side.pk}.png", ContentFile(content)),
        content_type="image/png",
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
    )
    if store_order:
        OrderLineFactory(customization=design, store_order=store_order)
    return design


ADDRESS = {"customer_name": "Ada", "shipping_address_1": "1 Road", "shipping_postcode": "SK10 2XR"}


def test_an_order_of_designs_from_one_store_order_links_it_and_is_found_by_it(viewer, gateway):
    shop = StoreOrderFactory(name="#6161")
    other = StoreOrderFactory(name="#6262")
    one = fulfilment_order_create(
        connection=gateway,
        customizations=[_approved(shop), _approved(shop)],
        shipping={**ADDRESS, "shipping_country_code": "GB"},
    )
    mixed = fulfilment_order_create(
        connection=gateway,
        customizations=[_approved(shop), _approved(other)],
        shipping={**ADDRESS, "shipping_country_code": "GB"},
    )

    assert one.store_order == shop and mixed.store_order is None
    listed = viewer.get("/admin/fulfilment/fulfilmentorder/", {"q": "#6161"})
    assert [o.pk for o in listed.context["cl"].result_list] == [one.pk]
    assert groups(viewer.get(SEARCH, {"q": "#6161"}))["Fulfilment orders"] == [one.external_ref]


def test_the_create_screen_links_the_store_order_and_the_search_finds_the_order_by_it(client, gateway):
    shop = StoreOrderFactory(name="#6363")
    mug, tee = _approved(shop), _approved(shop)
    client.force_login(staff_in("Manager"))

    created = client.post(
        "/admin/fulfilment/fulfilmentorder/create/",
        {"connection": gateway.pk, "customization": [mug.pk, tee.pk], **ADDRESS, "shipping_country_code": "gb"},
    )

    order = FulfilmentOrder.objects.get()
    assert created.status_code == 302 and order.store_order == shop
    assert groups(client.get(SEARCH, {"q": "#6363"}))["Fulfilment orders"] == [order.external_ref]


def test_the_list_search_finds_by_customer_and_tracking(viewer, gateway):
    order = FulfilmentOrderFactory(connection=gateway, customer_name="Marie Curie")
    VendorOrderFactory(fulfilment_order=order, shipping_tracking="RR123456785GB")
    FulfilmentOrderFactory(connection=gateway, customer_name="Someone Else")
    for query in ("curie", "RR123456785"):
        listed = viewer.get("/admin/fulfilment/fulfilmentorder/", {"q": query})
        assert [o.pk for o in listed.context["cl"].result_list] == [order.pk], query


def test_the_back_fill_links_only_unambiguous_orders(gateway):
    backfill = importlib.import_module("fulfilment.migrations.0015_search_indexes").store_orders_backfill
    shop, other = StoreOrderFactory(name="#1"), StoreOrderFactory(name="#2")

    def order_of(*designs, store_order=None):
        order = FulfilmentOrderFactory(connection=gateway, store_order=store_order)
        for n, design in enumerate(designs):
            FulfilmentItem.objects.create(order=order, customization=design, external_ref=f"C{n}")
        return order

    clear = order_of(_approved(shop), _approved(shop))
    mixed = order_of(_approved(shop), _approved(other))
    partly = order_of(_approved(shop), _approved())  # one design was never ordered
    empty = order_of()
    kept = order_of(_approved(shop), store_order=other)  # already linked: left alone

    backfill(apps, SimpleNamespace(connection=connection))

    linked = dict(FulfilmentOrder.objects.values_list("pk", "store_order_id"))
    assert linked[clear.pk] == shop.pk
    assert linked[mixed.pk] is None and linked[partly.pk] is None and linked[empty.pk] is None
    assert linked[kept.pk] == other.pk


# -- "starts with" first, one query for every group ---------------------------------------------


def test_where_values_start_with_the_term_only_those_are_listed_and_the_page_says_so(viewer, gateway):
    starts = StockLevel.objects.create(connection=gateway, sku="MUG-11", quantity_available=1)
    StockLevel.objects.create(connection=gateway, sku="BIG-MUG-11", quantity_available=1)
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-MUG-11")  # another field: searched anywhere

    page = viewer.get(SEARCH, {"q": "mug-11"})
    anywhere = viewer.get(SEARCH, {"q": "mug-11", "anywhere": "1"})

    assert groups(page) == {"Fulfilment orders": ["BO-MUG-11"], "Stock levels": [starts.sku]}
    html = page.content.decode()
    assert "Only those whose SKU starts with “mug-11” are listed" in html
    assert 'href="/admin/search/?q=mug-11&amp;anywhere=1">Find “mug-11” anywhere in them</a>' in html
    assert groups(anywhere)["Stock levels"] == ["BIG-MUG-11", "MUG-11"]
    assert "Only those whose" not in anywhere.content.decode()
    assert "Searched anywhere in every field" in anywhere.content.decode()


def test_one_query_finds_every_group_and_one_more_per_group_shown(viewer, gateway, django_assert_num_queries):
    from operations.search import search

    StoreOrderFactory(name="#3141")
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-3141")
    user = StaffFactory(is_superuser=True)

    # The ids of every group, then the rows of the two found; on PostgreSQL one more, the
    # personalised text read anywhere since no text holds "3141" as a word.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 3):
        results = search("3141", user=user, url_for=lambda name, obj: "/")

    assert [group.label for group in results.groups] == ["Store orders", "Fulfilment orders"]


def test_each_column_reads_at_most_one_past_the_cap(viewer, gateway, monkeypatch):
    monkeypatch.setattr("operations.search.COUNT_CAP", 2)
    for n in range(4):
        StockLevel.objects.create(connection=gateway, sku=f"CAP-{n}", quantity_available=n)

    group = viewer.get(SEARCH, {"q": "cap-"}).context["results"].groups[0]

    assert (group.count, group.capped, len(group.rows)) == (3, True, 3)  # 2 + 1 read: "2+"
    assert group.count_text == "2+"


def test_personalised_text_is_read_by_its_words_first_and_says_so(viewer, require_postgres):
    """A text search at a million designs reads the words' index: texts holding the typed words as
    words (the last as a word's start) are listed alone, the page says so, and `anywhere` also
    finds it mid-word."""
    words = CustomizationFactory(external_id="W-1")
    NodeFactory(side=SideFactory(customization=words), text="Happy birthday Ada 333334")
    inside = CustomizationFactory(external_id="W-2")
    NodeFactory(side=SideFactory(customization=inside), text="Unbirthday ada 3333345")

    page = viewer.get(SEARCH, {"q": "birthday Ada 33333"})
    (group,) = page.context["results"].groups
    assert [row.title.split(" · ")[0] for row in group.rows] == ["W-1"] and group.words_only == ["personalised text"]
    assert "in whole words (the last one may start a word) are listed" in page.content.decode()

    anywhere = viewer.get(SEARCH, {"q": "birthday Ada 33333", "anywhere": "1"})
    assert sorted(title.split(" · ")[0] for title in groups(anywhere)["Customizations"]) == ["W-1", "W-2"]
    # Only mid-word: nothing has the words, so the text is read anywhere, with no note.
    (mid,) = viewer.get(SEARCH, {"q": "irthday ad"}).context["results"].groups
    assert sorted(row.title.split(" · ")[0] for row in mid.rows) == ["W-1", "W-2"] and mid.words_only == []


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("Birthday Ada", "'birthday' & 'ada':*"),
        ("O'Brien & !x | <-> :*", "'o' & 'brien' & 'x':*"),  # tsquery syntax never reaches it
        ("---", "''"),
    ],
)
def test_the_words_query_holds_only_words(typed, query):
    from operations.search import words_query

    assert words_query(typed) == query


def test_a_hostile_text_search_is_searched_literally_on_every_database(viewer):
    design = CustomizationFactory(external_id="H-1")
    NodeFactory(side=SideFactory(customization=design), text="it's O'Brien & co :* !")
    assert [
        title.split(" · ")[0] for title in groups(viewer.get(SEARCH, {"q": "O'Brien & co :*"}))["Customizations"]
    ] == ["H-1"]
    assert "Customizations" not in groups(viewer.get(SEARCH, {"q": "O'Brien | nobody"}))
