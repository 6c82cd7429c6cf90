"""The catalogue screens: saving pushes and shows the partner's answer on the page, deleting
deletes there first, "Push again", the push history, mappings; Viewers look, Managers change."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from fulfilment.models import CatalogueCategory, CatalogueProduct, CataloguePush, CatalogueVariant, VariantMapping
from orders.models import VendorConnection
from tests.factories import VendorConnectionFactory, staff_in
from tests.fulfilment import catalogue_partner as shelf_partner
from tests.fulfilment.catalogue_partner import CALLS, FAIL, rejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(settings):
    settings.VENDORS = [*settings.VENDORS, *shelf_partner.SPECS]
    shelf_partner.reset()
    return VendorConnection.objects.create(
        name="Shelf", kind="shelf_print", secrets={"api_key": "shelf-secret"}, sync_every_minutes=None
    )


@pytest.fixture
def manager(client):
    client.force_login(staff_in("Manager", username="manager"))
    return client


def add_category(client, shelf, **data):
    return client.post(
        reverse("admin:fulfilment_cataloguecategory_add"),
        {"connection": shelf.pk, "name": "T-Shirts", "default_dpi": 300, **data},
        follow=True,
    )


def test_saving_pushes_and_the_answer_is_on_the_page(manager, shelf):
    page = add_category(manager, shelf).content.decode()

    cat = CatalogueCategory.objects.get()
    assert cat.vendor_id and f"pushed to the partner (its id there: {cat.vendor_id})" in page
    change = manager.get(reverse("admin:fulfilment_cataloguecategory_change", args=[cat.pk])).content.decode()
    assert "Pushes to the partner" in change and "&quot;default_dpi&quot;: 300" in change


def test_only_connections_with_a_catalogue_are_offered(manager, shelf):
    gateway = VendorConnectionFactory(kind="custom_gateway", name="CG")
    form = manager.get(reverse("admin:fulfilment_cataloguecategory_add")).context["adminform"].form
    assert list(form.fields["connection"].queryset) == [shelf]
    refused = add_category(manager, gateway)
    assert "Select a valid choice" in refused.content.decode() and not CatalogueCategory.objects.exists()


def test_a_refusal_is_shown_in_words_and_the_record_kept_failed(manager, shelf):
    FAIL[("save", "category")] = rejected(400, "The given data was invalid", '{"name": ["Taken already."]}')

    page = add_category(manager, shelf).content.decode()

    cat = CatalogueCategory.objects.get()
    assert "was saved here, but the partner refused it: Shelf Print: The given data was invalid (HTTP 400)" in page
    assert "Taken already." in page and cat.push_state == "failed"
    listed = manager.get(reverse("admin:fulfilment_cataloguecategory_changelist"), {"push_state": "failed"})
    assert "Push failed" in listed.content.decode()

    manager.post(
        reverse("admin:fulfilment_cataloguecategory_changelist"),
        {"action": "push_again", ACTION_CHECKBOX_NAME: [cat.pk], "index": 0},
    )
    cat.refresh_from_db()
    assert cat.push_state == "pushed" and cat.vendor_id
    assert list(CataloguePush.objects.order_by("at", "id").values_list("ok", flat=True)) == [False, True]
    history = manager.get(reverse("admin:fulfilment_cataloguepush_changelist")).content.decode()
    change = reverse("admin:fulfilment_cataloguecategory_change", args=[cat.pk])
    assert f'<a href="{change}">T-Shirts</a>' in history and "Taken already." in history


def test_bad_numbers_are_form_errors_not_crashes(manager, shelf):
    cat = CatalogueCategory.objects.create(connection=shelf, name="T", vendor_id="12")
    prod = CatalogueProduct.objects.create(category=cat, name="P", order_column=1, team_id=5, vendor_id="7")
    response = manager.post(
        reverse("admin:fulfilment_cataloguevariant_add"),
        {"product": prod.pk, "name": "L", "country_id": "one", "weight": "-5", "uuid": "short"},
    )
    assert response.status_code == 200 and CALLS == [] and not CatalogueVariant.objects.exists()
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"country_id", "weight", "uuid"}


def test_deleting_deletes_there_first_and_a_refusal_keeps_it(manager, shelf):
    cat = CatalogueCategory.objects.create(connection=shelf, name="Mugs", vendor_id="UID-1", push_state="pushed")
    delete = reverse("admin:fulfilment_cataloguecategory_delete", args=[cat.pk])
    FAIL[("delete", "category")] = rejected(422, "Category has products")

    refused = manager.post(delete, {"post": "yes"}, follow=True)

    assert "Not deleted: Shelf Print: Category has products (HTTP 422)" in refused.content.decode()
    assert CatalogueCategory.objects.filter(pk=cat.pk).exists()
    assert refused.redirect_chain[-1][0].endswith(f"/{cat.pk}/change/")

    FAIL[("delete", "category")] = rejected(404, "Not found")
    gone = manager.post(delete, {"post": "yes"}, follow=True)
    assert "was deleted, at the partner and here" in gone.content.decode()
    assert not CatalogueCategory.objects.exists()
    assert [call[0] for call in CALLS] == ["delete", "delete"]


def test_a_record_with_children_shows_djangos_protected_page_and_nothing_is_sent(manager, shelf):
    cat = CatalogueCategory.objects.create(connection=shelf, name="Mugs", vendor_id="UID-1")
    CatalogueProduct.objects.create(category=cat, name="P", order_column=1, team_id=5)
    response = manager.post(reverse("admin:fulfilment_cataloguecategory_delete", args=[cat.pk]), {"post": "yes"})
    assert response.status_code == 200 and CALLS == [] and CatalogueCategory.objects.exists()


def test_viewers_look_and_cannot_change(client, shelf):
    cat = CatalogueCategory.objects.create(connection=shelf, name="Mugs")
    client.force_login(staff_in("Viewer", username="viewer"))
    assert client.get(reverse("admin:fulfilment_cataloguecategory_change", args=[cat.pk])).status_code == 200
    assert add_category(client, shelf).status_code == 403
    response = client.post(
        reverse("admin:fulfilment_cataloguecategory_changelist"),
        {"action": "push_again", ACTION_CHECKBOX_NAME: [cat.pk], "index": 0},
    )
    assert response.status_code == 200 and CALLS == []


def test_mappings_are_searched_and_filtered(manager, shelf):
    VariantMapping.objects.create(connection=shelf, match_by="sku", match_value="MUG-11", ecommerce_variant_id="V1")
    VariantMapping.objects.create(connection=shelf, match_by="template", match_value="T-9", ecommerce_variant_id="V2")
    url = reverse("admin:fulfilment_variantmapping_changelist")
    found = manager.get(url, {"q": "MUG"}).content.decode()
    assert "MUG-11" in found and "T-9" not in found
    assert "T-9" in manager.get(url, {"match_by__exact": "template"}).content.decode()
    both = manager.post(
        reverse("admin:fulfilment_variantmapping_add"),
        {"connection": shelf.pk, "match_by": "sku", "match_value": "X"},
    )
    assert "one of the two" in both.content.decode()
