"""Order-iT's other fields through the neutral app: billing (create screen, Update form, the
order's body for Custom Gateway and Ideal Factory), coupon and payment id, the packing slip PDF
behind its signed link, and each item's type, editable while the order is a draft."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from fulfilment.admin.orders import OrderUpdateForm
from fulfilment.models import FulfilmentItem, FulfilmentOrder
from fulfilment.services.actions import _changed_columns
from fulfilment.services.links import artwork_url, packing_slip_url
from fulfilment.services.orders import (
    fulfilment_order_create,
    fulfilment_order_send,
    fulfilment_payload,
    order_to_send,
)
from integrations.idealfactory.wire import order_body as idealfactory_body
from integrations.partners import Address, LineKind
from orders.models import SideArtwork
from tests.factories import CustomizationFactory, staff_in
from tests.fulfilment.test_flows import approved_with_artwork

pytestmark = pytest.mark.django_db

ADDRESS = {
    "customer_name": "Ada Lovelace",
    "shipping_address_1": "Pinewood Court",
    "shipping_address_4": "Macclesfield",
    "shipping_postcode": "SK10 2XR",
    "shipping_country_code": "gb",
}
BILLING = {
    "billing_customer_name": "Bob Billing",
    "billing_company": "Bills Co",
    "billing_address_1": "1 Ledger Lane",
    "billing_address_4": "Leeds",
    "billing_postcode": "LS1 1AA",
}
CREATE_URL = "/admin/fulfilment/fulfilmentorder/create/"


def approved(sku="MUG-11"):
    return approved_with_artwork(sku=sku)


def draft(gateway, **more) -> FulfilmentOrder:
    return fulfilment_order_create(connection=gateway, customizations=[approved()], shipping={**ADDRESS, **more})


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


class _Form(HTMLParser):
    """The values a browser would submit for the page's form (inputs, checked boxes, selects)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data.lstrip("\n") if not self.data[self._textarea][0] else data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None


def form_data(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    return parser.data


# -- billing, coupon, payment ---------------------------------------------------------------------


def test_billing_coupon_and_payment_go_into_the_custom_gateway_body(gateway):
    order = draft(gateway, **BILLING, coupon_code="SPRING10", payment_trans_id="pi_3Ab")

    payload = fulfilment_payload(order)

    assert payload["billing_customer_name"] == "Bob Billing" and payload["billing_company"] == "Bills Co"
    assert payload["billing_address_1"] == "1 Ledger Lane" and payload["billing_address_4"] == "Leeds"
    assert payload["billing_postcode"] == "LS1 1AA"
    assert payload["coupon_code"] == "SPRING10" and payload["payment_trans_id"] == "pi_3Ab"
    assert payload["shipping_note_url"] == packing_slip_url(order)


def test_without_billing_the_order_has_none_of_its_own(gateway):
    order = draft(gateway)

    assert order_to_send(order).billing is None
    assert fulfilment_payload(order)["billing_address_1"] == "Pinewood Court"  # billed where it ships


def test_ideal_factory_gets_the_billing_address_too(gateway):
    order = draft(gateway, **BILLING)
    to_send = order_to_send(order)

    body = idealfactory_body(to_send, store_ids=["S1"])

    billing, shipping = body["addresses"]
    assert billing["type_id"] == "billing" and shipping["type_id"] == "shipping"
    assert "1 Ledger Lane" in billing.values() and "LS1 1AA" in billing.values()
    assert "GB" in billing.values()  # no billing country of its own: the shipping one
    assert "Pinewood Court" in shipping.values()


def test_the_create_screen_asks_for_billing_only_when_it_differs(client, gateway):
    mug = approved()
    client.force_login(staff_in("Manager", username="manager"))
    base = {"connection": gateway.pk, "customization": [mug.pk], **ADDRESS}

    page = client.get(CREATE_URL + f"?ids={mug.pk}")
    assert 'id="billing-section"' in page.content.decode() and "Billing address differs" in page.content.decode()

    missing = client.post(CREATE_URL, {**base, "billing_differs": "on", "billing_company": "Bills Co"})
    assert missing.status_code == 200 and not FulfilmentOrder.objects.exists()
    errors = missing.context["form"].errors
    assert errors["billing_address_1"] == ["The billing address line 1 is required when the billing address differs."]
    assert "billing_postcode" in errors and "billing_customer_name" in errors
    assert " open>" in missing.content.decode()  # the section is shown open with its errors

    bad_country = client.post(CREATE_URL, {**base, "billing_differs": "on", **BILLING, "billing_country_code": "UK"})
    assert "is not an ISO 3166-1 alpha-2" in bad_country.context["form"].errors["billing_country_code"][0]

    created = client.post(
        CREATE_URL, {**base, "billing_differs": "on", **BILLING, "coupon_code": "C10", "payment_trans_id": "tx9"}
    )
    assert created.status_code == 302
    order = FulfilmentOrder.objects.get()
    assert (order.billing_address_1, order.billing_postcode, order.coupon_code, order.payment_trans_id) == (
        "1 Ledger Lane",
        "LS1 1AA",
        "C10",
        "tx9",
    )


def test_billing_typed_but_not_ticked_is_not_kept(client, gateway):
    mug = approved()
    client.force_login(staff_in("Manager", username="manager"))

    created = client.post(CREATE_URL, {"connection": gateway.pk, "customization": [mug.pk], **ADDRESS, **BILLING})

    assert created.status_code == 302
    assert FulfilmentOrder.objects.get().billing_address_1 == ""


def test_the_update_form_sends_a_changed_billing_address_and_keeps_it(gateway):
    order = draft(gateway)
    data = {**ADDRESS, "shipping_country_code": "GB", "billing_differs": "on", **BILLING}

    form = OrderUpdateForm(data, order=order)

    assert form.is_valid(), form.errors
    changes = form.changes()
    assert changes.address is None  # the shipping address did not change
    assert changes.billing == Address(
        name="Bob Billing",
        company="Bills Co",
        line_1="1 Ledger Lane",
        town="Leeds",
        postcode="LS1 1AA",
        country_code="GB",
    )
    columns = _changed_columns(changes, order)
    assert columns["billing_address_1"] == "1 Ledger Lane" and columns["billing_country_code"] == "GB"


def test_unticking_billing_on_the_update_form_bills_the_shipping_address(gateway):
    order = draft(gateway, **BILLING)
    form = OrderUpdateForm({**ADDRESS, "shipping_country_code": "GB", **BILLING}, order=order)  # not ticked

    assert form.is_valid(), form.errors
    changes = form.changes()

    assert changes.billing is not None and changes.billing.line_1 == "Pinewood Court"  # sent: the shipping one
    assert _changed_columns(changes, order)["billing_address_1"] == ""  # kept: none of its own
    assert OrderUpdateForm({**ADDRESS, "shipping_country_code": "GB"}, order=draft(gateway)).errors == {
        "__all__": ["Nothing was changed: there is nothing to send."]
    }


# -- the packing slip ----------------------------------------------------------------------------


def test_the_packing_slip_is_a_real_pdf_behind_a_signed_link_without_login(gateway):
    order = draft(gateway, **BILLING, note="Gift: no prices")
    order.items.update(colour="Navy", size="XL", description="Tee (navy)")
    url = order_to_send(order).packing_slip_url
    assert url.startswith("http") and url == packing_slip_url(order)

    answer = Client().get(urlsplit(url).path)  # anonymous

    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    text = pdf_text(answer.content)
    for expected in (
        order.external_ref,
        "Ship to",
        "Ada Lovelace",
        "Pinewood Court",
        "SK10 2XR",
        "Bill to",
        "1 Ledger Lane",
        "1 x Tee (navy) (MUG-11, Navy, XL)",
        "Gift: no prices",
    ):
        assert expected in text, expected


def test_a_forged_or_foreign_packing_slip_token_gets_nothing(gateway):
    order = draft(gateway)
    path = reverse("fulfilment:packing-slip", args=["x"])[: -len("x/")]
    token = packing_slip_url(order).rstrip("/").rsplit("/", 1)[1]
    anonymous = Client()

    assert anonymous.get(f"{path}{token}/").status_code == 200
    assert anonymous.get(f"{path}{token[:-2]}xx/").status_code == 404  # signature altered
    assert anonymous.get(f"{path}not-a-token/").status_code == 404
    artwork = SideArtwork.objects.get(side__customization__fulfilment_items__order=order)
    other_salt = artwork_url(artwork).rstrip("/").rsplit("/", 1)[1]
    assert anonymous.get(f"{path}{other_salt}/").status_code == 404  # another link's token
    order.external_ref = "BO-RENAMED"
    order.save(update_fields=["external_ref"])
    assert anonymous.get(f"{path}{token}/").status_code == 404  # bound to the order's reference


def test_a_long_order_makes_a_slip_of_several_pages(gateway):
    order = draft(gateway, note="x" * 30)
    for index in range(80):
        FulfilmentItem.objects.create(
            order=order, customization=CustomizationFactory(), external_ref=f"X{index}", description=f"Item {index}"
        )
    token = packing_slip_url(order).rstrip("/").rsplit("/", 1)[1]

    answer = Client().get(reverse("fulfilment:packing-slip", args=[token]))

    assert len(PdfReader(io.BytesIO(answer.content)).pages) == 2 and "1 x Item 79" in pdf_text(answer.content)


# -- item types ----------------------------------------------------------------------------------


def test_an_item_made_textual_without_its_product_is_not_sent(gateway):
    order = draft(gateway)
    order.items.update(kind=LineKind.TEXTUAL.value)

    failed = fulfilment_order_send(order)

    assert failed.state == FulfilmentOrder.State.FAILED
    assert "a textual item needs its textual product id (8052" in failed.last_error


def test_the_item_inline_edits_a_drafts_item_type(client, gateway):
    order = draft(gateway)
    item = order.items.get()
    client.force_login(staff_in("Manager", username="manager"))
    url = reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk])
    data = form_data(client.get(url).content.decode())
    assert "items-0-kind" in data and data["items-0-kind"] == ["artwork"]

    refused = client.post(url, {**data, "items-0-kind": "textual", "items-0-textual_product_id": ""})
    assert refused.status_code == 200
    assert "A textual item needs the partner&#x27;s product id." in refused.content.decode()

    saved = client.post(
        url,
        {**data, "items-0-kind": "stock", "items-0-sku": "", "items-0-colour": "Red", "items-0-size": "M"},
        follow=True,
    )
    item.refresh_from_db()
    assert (item.kind, item.colour, item.size) == ("stock", "Red", "M")
    warning = " ".join(str(m) for m in saved.context["messages"])
    assert "Saved, but it cannot be sent as it is:" in warning and "a stock item needs its SKU" in warning

    client.post(
        url, {**data, "items-0-kind": "stock", "items-0-sku": "BAG-TOTE", "items-0-colour": "Red", "items-0-size": "M"}
    )
    assert fulfilment_payload(order)["items"][0] == {
        "external_ref": item.external_ref,
        "quantity": 1,
        "sku": "BAG-TOTE",
        "description": "Mug",
        "type": 4,
        "colour": "Red",
        "size": "M",
    }


def test_a_sent_orders_items_cannot_be_edited(client, gateway):
    order = draft(gateway)
    FulfilmentOrder.objects.filter(pk=order.pk).update(state=FulfilmentOrder.State.SENT, sent_at=datetime.now(UTC))
    client.force_login(staff_in("Manager", username="manager"))
    url = reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk])

    page = client.get(url)

    assert "items-0-kind" not in form_data(page.content.decode())
    assert "Artwork (the design&#x27;s print files)" in page.content.decode()  # shown, read-only


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_takes_billing_and_every_item_type_and_fetches_the_slip(
    custom_gateway_connection, custom_gateway_sandbox
):
    customizations = [approved(sku=f"SKU-{n}") for n in range(4)]
    order = fulfilment_order_create(
        connection=custom_gateway_connection,
        customizations=customizations,
        shipping={**ADDRESS, **BILLING, "coupon_code": "SPRING10", "payment_trans_id": "pi_1"},
    )
    items = list(order.items.order_by("id"))
    kinds = [
        {},
        {"kind": "print_on_demand", "print_on_demand_ref": "POD-1"},
        {"kind": "stock", "colour": "Red", "size": "M"},
        {"kind": "textual", "textual_product_id": 1007644},
    ]
    for item, change in zip(items, kinds, strict=True):
        FulfilmentItem.objects.filter(pk=item.pk).update(**change)

    sent = fulfilment_order_send(order)

    assert sent.state == FulfilmentOrder.State.SENT, sent.last_error
    (received,) = [o for o in custom_gateway_sandbox.orders.values() if o.external_ref == order.external_ref]
    body = received.payload
    assert body["billing_customer_name"] == "Bob Billing" and body["billing_postcode"] == "LS1 1AA"
    assert body["coupon_code"] == "SPRING10" and body["payment_trans_id"] == "pi_1"
    assert [item["type"] for item in body["items"]] == [1, 3, 4, 5]
    assert body["items"][2]["colour"] == "Red" and body["items"][3]["textual_product_id"] == 1007644
    # The vendor fetches the shipping note over HTTP, with no login.
    slip = requests.get(body["shipping_note_url"], timeout=10)
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF-")
    assert order.external_ref in pdf_text(slip.content)
