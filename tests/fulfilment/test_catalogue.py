"""The partner's catalogue kept here and pushed: the body in the partner's field names, create then
update, the partner's refusals in words, deleting there first (a 404 there is gone), parents
first; and which partner variant an order line is sent as."""

from __future__ import annotations

import pytest

from fulfilment.models import (
    CatalogueCategory,
    CatalogueProduct,
    CataloguePush,
    CatalogueVariant,
    FulfilmentItem,
    PushState,
    VariantMapping,
)
from fulfilment.services.catalogue import (
    CatalogueRefused,
    catalogue_body,
    catalogue_delete,
    catalogue_push,
    line_variant_id,
    vendor_error_words,
)
from orders.models import VendorConnection
from tests.factories import CustomizationFactory, FulfilmentOrderFactory, OrderLineFactory, StoreOrderFactory
from tests.fulfilment import catalogue_partner as shelf_partner
from tests.fulfilment.catalogue_partner import CALLS, FAIL, rejected

pytestmark = pytest.mark.django_db

UID = "aef6d9d6-4cc6-4b45-bccf-aab97e886440"


@pytest.fixture
def shelf(settings):
    settings.VENDORS = [*settings.VENDORS, *shelf_partner.SPECS]
    shelf_partner.reset()
    return VendorConnection.objects.create(
        name="Shelf", kind="shelf_print", secrets={"api_key": "shelf-secret"}, sync_every_minutes=None
    )


def category(shelf, **kwargs):
    return CatalogueCategory.objects.create(connection=shelf, **{"name": "T-Shirts", **kwargs})


def product(cat, **kwargs):
    return CatalogueProduct.objects.create(
        category=cat, **{"name": "Classic White T-Shirt", "order_column": 1, "team_id": 5, **kwargs}
    )


def variant(prod, **kwargs):
    return CatalogueVariant.objects.create(product=prod, **{"name": "Large", "country_id": 1, **kwargs})


# -- the body -----------------------------------------------------------------------------------


def test_the_body_has_the_partners_field_names_and_leaves_blanks_out(shelf):
    parent = category(shelf, name="Clothes", vendor_id=UID)
    cat = category(shelf, parent=parent, description="", editor_category_id="8jeu2oo9", default_location_id="loc-3")

    assert catalogue_body(cat) == {
        "name": "T-Shirts",
        "parent_id": UID,  # a UID string
        "default_dpi": 300,  # the documented default
        "editor_category_id": "8jeu2oo9",
        "default_location_id": "loc-3",
    }
    assert catalogue_body(category(shelf, name="Top")) == {"name": "Top", "default_dpi": 300}


def test_ids_the_partner_types_as_integers_are_sent_as_integers(shelf):
    cat = category(shelf, vendor_id="12")
    prod = product(cat, active=False, code="CWT001", default_location_id=2, vendor_id="7")
    var = variant(prod, weight=0, length=70, price_id=3, uuid="x" * 36, ecommerce_tags="tshirt,white")

    assert catalogue_body(prod) == {
        "category_id": 12,
        "name": "Classic White T-Shirt",
        "code": "CWT001",
        "order_column": 1,
        "active": False,  # false is a value, not a blank
        "team_id": 5,
        "default_location_id": 2,
    }
    assert catalogue_body(var) == {
        "uuid": "x" * 36,
        "name": "Large",
        "product_id": 7,
        "price_id": 3,
        "weight": 0,  # zero is a value
        "length": 70,
        "country_id": 1,
        "ecommerce_tags": "tshirt,white",
    }
    # A category whose id is a UID stays one where the doc says integer: the partner decides.
    assert catalogue_body(product(category(shelf, vendor_id=UID)))["category_id"] == UID


# -- push ---------------------------------------------------------------------------------------


def test_a_new_record_is_created_there_and_keeps_its_id_then_updates_it(shelf, django_user_model):
    user = django_user_model.objects.create(username="manager")
    cat = category(shelf)

    push = catalogue_push(cat, user=user)

    cat.refresh_from_db()
    assert push.ok and push.action == "create" and cat.push_state == PushState.PUSHED and cat.pushed_at
    assert cat.vendor_id and CALLS == [("save", "category", "", {"name": "T-Shirts", "default_dpi": 300})]
    assert push.body == {"name": "T-Shirts", "default_dpi": 300} and push.answer["id"] == cat.vendor_id
    assert (push.user, push.record, push.record_name) == (user, cat, "T-Shirts")

    cat.name = "Premium T-Shirts"
    cat.save()
    again = catalogue_push(cat)

    assert again.action == "update" and again.ok
    assert CALLS[-1] == ("save", "category", cat.vendor_id, {"name": "Premium T-Shirts", "default_dpi": 300})
    assert list(cat.pushes().values_list("action", flat=True)) == ["update", "create"]


def test_a_refusal_with_details_keeps_the_record_failed_with_the_partners_words(shelf):
    cat = category(shelf)
    FAIL[("save", "category")] = rejected(
        400, "The given data was invalid", '{"errors": {"default_dpi": ["The default dpi must be at most 1200."]}}'
    )

    push = catalogue_push(cat)

    cat.refresh_from_db()
    assert not push.ok and cat.push_state == PushState.FAILED and not cat.vendor_id and cat.pushed_at is None
    assert "The given data was invalid (HTTP 400)" in cat.last_error
    assert "The default dpi must be at most 1200." in cat.last_error and push.error == cat.last_error
    assert CatalogueCategory.objects.filter(pk=cat.pk).exists()  # kept here
    # Pushed again once fixed: created, the error gone.
    assert catalogue_push(cat).ok
    cat.refresh_from_db()
    assert cat.push_state == PushState.PUSHED and cat.last_error == "" and cat.vendor_id


def test_a_child_pushes_its_parents_first(shelf):
    var = variant(product(category(shelf)))

    push = catalogue_push(var)

    assert push.ok
    assert [(call[1], call[2]) for call in CALLS] == [("category", ""), ("product", ""), ("variant", "")]
    var.refresh_from_db()
    prod = var.product
    cat = prod.category
    assert CALLS[1][3]["category_id"] == cat.vendor_id  # the UID the partner just gave
    assert CALLS[2][3]["product_id"] == int(prod.vendor_id)
    assert {cat.push_state, prod.push_state, var.push_state} == {PushState.PUSHED}


def test_a_child_whose_parent_is_refused_is_not_sent_and_says_why(shelf):
    prod = product(category(shelf, name="Mugs"))
    FAIL[("save", "category")] = rejected(403, "This team may not add categories")

    push = catalogue_push(prod)

    prod.refresh_from_db()
    assert not push.ok and prod.push_state == PushState.FAILED
    assert "its category “Mugs” must be at the partner first" in prod.last_error
    assert "This team may not add categories" in prod.last_error
    assert [call[1] for call in CALLS] == ["category"]  # the product never went
    assert prod.category.push_state == PushState.FAILED


def test_a_connection_without_a_catalogue_is_refused(gateway_like):
    cat = CatalogueCategory.objects.create(connection=gateway_like, name="X")
    with pytest.raises(CatalogueRefused, match="keeps no catalogue"):
        catalogue_push(cat)


@pytest.fixture
def gateway_like(db):
    from tests.factories import VendorConnectionFactory

    return VendorConnectionFactory(kind="custom_gateway")


# -- delete -------------------------------------------------------------------------------------


def test_delete_deletes_there_first(shelf):
    cat = category(shelf, vendor_id=UID, push_state=PushState.PUSHED)

    push = catalogue_delete(cat)

    assert CALLS == [("delete", "category", UID)] and push.ok and push.action == "delete"
    assert not CatalogueCategory.objects.exists()
    assert CataloguePush.objects.get().record_name == "T-Shirts"  # the history outlives the record


def test_a_404_there_counts_as_gone(shelf):
    prod = product(category(shelf), vendor_id="7")
    FAIL[("delete", "product")] = rejected(404, "Not found")

    catalogue_delete(prod)

    assert not CatalogueProduct.objects.exists()
    assert CataloguePush.objects.get().answer["note"] == "Not found at the partner: gone already."


def test_a_refused_delete_keeps_the_record_and_says_why(shelf):
    prod = product(category(shelf), vendor_id="7", push_state=PushState.PUSHED)
    FAIL[("delete", "product")] = rejected(409, "Product has orders", '{"message": "Product is used by 3 orders"}')

    with pytest.raises(CatalogueRefused, match="Not deleted: Shelf Print: Product has orders") as refused:
        catalogue_delete(prod)

    assert "Product is used by 3 orders" in str(refused.value)
    prod.refresh_from_db()
    assert prod.push_state == PushState.FAILED and "Product has orders" in prod.last_error
    assert not CataloguePush.objects.get().ok


def test_a_record_never_pushed_is_deleted_here_only_and_one_with_children_stays(shelf):
    cat = category(shelf)
    prod = product(cat)
    with pytest.raises(CatalogueRefused, match="still has records under it"):
        catalogue_delete(cat)
    assert catalogue_delete(prod) is None and CALLS == []
    assert not CatalogueProduct.objects.exists()


# -- which partner variant an order line is sent as ----------------------------------------------


@pytest.fixture
def line(shelf):
    """A sent order of one item: a design of template T-77 with SKU MUG-11, ordered as store
    variant 4001 in store order #1 (and as 4009 in another store order)."""
    customization = CustomizationFactory(template_id="T-77", sku="MUG-11")
    store_order = StoreOrderFactory(connection=customization.connection)
    OrderLineFactory(customization=customization, store_order=store_order, variant_id="4001")
    OrderLineFactory(customization=customization, variant_id="4009")
    order = FulfilmentOrderFactory(connection=shelf, store_order=store_order)
    item = FulfilmentItem.objects.create(order=order, customization=customization, external_ref="C1", sku="MUG-11")
    return order, item


def mapping(shelf, match_by, value, **target):
    return VariantMapping.objects.create(connection=shelf, match_by=match_by, match_value=value, **target)


def test_without_a_mapping_the_stores_variant_id_is_sent(line):
    order, item = line
    assert line_variant_id(order, item) == "4001"  # this store order's line, not the other one
    item.customization.order_lines.all().delete()
    assert line_variant_id(order, item) == ""


def test_a_mapping_wins_store_variant_then_template_then_sku(shelf, line):
    order, item = line
    pushed = variant(product(category(shelf)), vendor_id="88")
    mapping(shelf, "sku", "MUG-11", ecommerce_variant_id="SKU-TARGET")
    assert line_variant_id(order, item) == "SKU-TARGET"
    mapping(shelf, "template", "T-77", catalogue_variant=pushed)
    assert line_variant_id(order, item) == "88"  # a catalogue variant is sent as its partner id
    mapping(shelf, "store_variant", "4001", ecommerce_variant_id="V-4001")
    assert line_variant_id(order, item) == "V-4001"


def test_a_mapping_of_another_connection_or_to_a_variant_not_pushed_is_passed_over(shelf, line, gateway_like):
    order, item = line
    mapping(gateway_like, "store_variant", "4001", ecommerce_variant_id="THEIRS")
    mapping(shelf, "template", "T-77", catalogue_variant=variant(product(category(shelf))))  # not pushed
    assert line_variant_id(order, item) == "4001"


def test_a_mapping_needs_exactly_one_target(shelf):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="one of the two"):
        VariantMapping(connection=shelf, match_by="sku", match_value="X").full_clean()
    other = variant(product(category(VendorConnection.objects.create(name="B", kind="shelf_basic", secrets={}))))
    with pytest.raises(ValidationError, match="another connection"):
        VariantMapping(connection=shelf, match_by="sku", match_value="X", catalogue_variant=other).full_clean()


def test_a_record_cannot_move_to_another_connections_catalogue_once_pushed_nor_loop(shelf):
    from django.core.exceptions import ValidationError

    other = VendorConnection.objects.create(name="B", kind="shelf_basic", secrets={})
    theirs = category(other, name="Theirs")
    cat = category(shelf, vendor_id=UID)
    prod = product(cat, vendor_id="7")
    child = category(shelf, name="Child", parent=cat)

    prod.category = theirs
    with pytest.raises(ValidationError, match="at its own partner already"):
        prod.full_clean()
    cat.connection = other
    with pytest.raises(ValidationError, match="at that connection's partner already"):
        cat.full_clean()
    cat.connection, cat.parent = shelf, child
    with pytest.raises(ValidationError, match="cannot be inside itself"):
        cat.full_clean()
    child.parent = theirs
    with pytest.raises(ValidationError, match="another connection's catalogue"):
        child.full_clean()


def test_a_stale_copy_updates_what_another_push_created_and_never_creates_twice(shelf):
    cat = category(shelf)
    stale = CatalogueCategory.objects.get(pk=cat.pk)
    catalogue_push(cat)

    push = catalogue_push(stale)  # e.g. "Push again" clicked twice: the second reads the row first

    assert push.action == "update" and [call[2] for call in CALLS] == ["", cat.vendor_id]


def test_an_adapter_that_cannot_says_so_in_words(shelf, monkeypatch):
    from integrations.partners import NotSupported

    def cannot(self, kind, vendor_id, body):
        raise NotSupported("no variants through this API")

    monkeypatch.setattr(shelf_partner.ShelfPartner, "catalogue_save", cannot)
    push = catalogue_push(category(shelf))
    assert not push.ok and "the partner's adapter cannot do this (no variants through this API)" in push.error


def test_an_error_s_words_do_not_repeat_a_json_body_that_says_nothing_more():
    said = vendor_error_words(
        rejected(404, 'not found. The OMS said: "Product not found."', '{"message": "Product not found."}')
    )
    assert said.count("Product not found.") == 1 and "The partner said" not in said
    # A body with more than the message is still quoted (it may say which field was wrong).
    more = '{"message": "Invalid.", "errors": {"name": ["The name is required."]}}'
    assert f"The partner said: {more}" in vendor_error_words(rejected(400, "Invalid.", more))
    assert "The partner said: <html>oops</html>" in vendor_error_words(
        rejected(500, "Server error", "<html>oops</html>")
    )
