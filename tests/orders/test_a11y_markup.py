"""Accessible names the admin's own markup lacked, through Django's test client (the browser test
tests/browser/test_accessibility.py runs axe on every screen): a blank value in a list filter is
a named link, the split date-time's inputs have labels, and the editable stock list's inputs are
named per row."""

import re

import pytest
from django.urls import reverse

from fulfilment.models import StockLevel
from tests.factories import StaffFactory, StoreOrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    user = StaffFactory(username="root", is_superuser=True)
    client.force_login(user)
    return user


def test_a_blank_value_in_a_list_filter_is_a_named_link(client, root):
    StoreOrderFactory(status="")
    StoreOrderFactory(status="shipped")

    page = client.get(reverse("admin:orders_storeorder_changelist")).content.decode()

    assert '<a href="?status=">(blank)</a>' in page
    assert '<a href="?status=shipped">shipped</a>' in page
    filters = page[page.index('id="changelist-filter"') :]
    assert not re.search(r"<a [^>]*>\s*</a>", filters)  # no empty link among the filters


def test_the_split_date_time_inputs_are_labelled(client, root):
    page = client.get(reverse("admin:auth_user_change", args=[root.pk])).content.decode()

    assert '<label for="id_date_joined_0" class="datetime-part">Date:</label>' in page
    assert '<label for="id_date_joined_1" class="datetime-part">Time:</label>' in page


def test_the_editable_stock_list_names_each_input_by_its_row(client, root, gateway):
    level = StockLevel.objects.create(connection=gateway, sku="MUG-11OZ-WHT", quantity_available=5)

    page = client.get(reverse("admin:fulfilment_stocklevel_changelist")).content.decode()

    assert f'aria-label="Quantity available, {level}"' in page
