"""One Address: the same fields on orders we send and orders pushed to us, one form, and the
country checked against ISO 3166-1 in one place (the form, the model and the send rules agree)."""

import pytest
from django.core.exceptions import ValidationError

from fulfilment.address import ADDRESS_FIELDS, AddressForm, address_columns, address_record, country_code_problem
from fulfilment.models import FulfilmentOrder, PushedOrder
from fulfilment.services.orders import fulfilment_order_validate

ADDRESS = {"shipping_address_1": "1 Road", "shipping_postcode": "SK10 2XR", "shipping_country_code": "gb"}


@pytest.mark.parametrize("code, ok", [("GB", True), ("gb", True), (" de ", True), ("UK", False), ("XX", False)])
def test_one_country_check(code, ok):
    assert (country_code_problem(code) == "") is ok
    form = AddressForm({**ADDRESS, "shipping_country_code": code.strip()})
    assert form.is_valid() is ok
    if ok:
        assert form.cleaned_data["shipping_country_code"] == code.strip().upper()
    else:
        assert form.errors["shipping_country_code"] == [country_code_problem(code)]
        order = FulfilmentOrder(**{**ADDRESS, "shipping_country_code": code})
        assert fulfilment_order_validate(order, items=[])["shipping_country_code"] == country_code_problem(code)
        with pytest.raises(ValidationError):
            order.full_clean(
                exclude=[f.name for f in FulfilmentOrder._meta.fields if f.name != "shipping_country_code"]
            )


def test_orders_sent_and_pushed_share_the_shape():
    sent = {f.name for f in FulfilmentOrder._meta.fields}
    pushed = {f.name for f in PushedOrder._meta.fields}
    assert set(ADDRESS_FIELDS) <= sent
    assert set(ADDRESS_FIELDS) - pushed == {"customer_email", "customer_telephone", "shipping_company"}
    assert PushedOrder._meta.get_field("shipping_address_4").verbose_name == "city or town"
    order = FulfilmentOrder(customer_name="Ada", shipping_address_4="Macclesfield", **ADDRESS)
    record = address_record(order)
    assert (record.name, record.town, record.line_1) == ("Ada", "Macclesfield", "1 Road")
    assert address_columns(record, contact=False)["shipping_address_4"] == "Macclesfield"
