"""Fulfilment admin screens through Django's test client: what each role sees and may do."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from fulfilment.models import FulfilmentOrder, IncomingRequest, StockLevel, StockPush
from fulfilment.services.orders import (
    FulfilmentInvalid,
    fulfilment_order_create,
    order_push_url,
    status_callback_url,
)
from integrations.custom_gateway import sandbox as cg_sandbox
from integrations.custom_gateway.types import ERROR_CODES
from operations.services import dashboard_totals
from orders.models import Customization, OrderLine, SideArtwork, StoreOrder, VendorConnection
from tests.factories import CustomizationFactory, SideFactory, staff_in

pytestmark = pytest.mark.django_db

ADDRESS = {
    "customer_name": "Ada Lovelace",
    "shipping_address_1": "Pinewood Court",
    "shipping_postcode": "SK10 2XR",
    "shipping_country_code": "gb",
}
CREATE_URL = "/admin/fulfilment/fulfilmentorder/create/"
ORDERS_URL = "/admin/fulfilment/fulfilmentorder/"
STOCK_URL = "/admin/fulfilment/stocklevel/"
IMPORT_URL = "/admin/fulfilment/stocklevel/import/"


def approved(connection=None, *, store_order=None, quantity=1, sku="MUG-11"):
    """An approved customization with a ready print file, ordered in `store_order` if given."""
    extra = {"connection": connection} if connection else {}
    customization = CustomizationFactory(
        decision=Customization.Decision.APPROVED, sku=sku, product_title="Mug", **extra
    )
    side = SideFactory(customization=customization, name="Front")
    content = b"\x89PNG fake print file %d" % side.pk
    name = default_storage.save(f"artwork/test/{side.pk}.png", ContentFile(content))
    SideArtwork.objects.create(
        side=side,
        state=SideArtwork.State.READY,
        file=name,
        content_type="image/png",
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
    )
    if store_order:
        OrderLine.objects.create(customization=customization, store_order=store_order, quantity=quantity)
    return customization


def store_order(name: str) -> StoreOrder:
    shop = CustomizationFactory().connection
    return StoreOrder.objects.create(connection=shop, external_id=name.strip("#"), name=name)


def action(client, url, name, pks):
    return client.post(url, {"action": name, "_selected_action": [str(pk) for pk in pks], "index": "0"})


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# -- creating a fulfilment order --------------------------------------------------------------


def test_create_lists_approved_work_by_store_order_and_makes_a_draft(
    client, gateway, django_capture_on_commit_callbacks, tasks_inline
):
    first_order, second_order = store_order("#1001"), store_order("#1002")
    mug, tee = approved(store_order=first_order, quantity=2), approved(store_order=first_order, sku="TEE-M")
    cap = approved(store_order=second_order, sku="CAP")
    loose = approved()
    CustomizationFactory(decision=Customization.Decision.REJECTED)  # never offered
    already = approved(store_order=second_order)
    fulfilment_order_create(connection=gateway, customizations=[already], shipping=ADDRESS)  # not offered again
    manager = staff_in("Manager", username="manager")
    client.force_login(manager)

    page = client.get(CREATE_URL)

    assert page.status_code == 200
    groups = {name: set(items) for name, items in page.context["groups"].items()}
    assert groups == {"#1001": {mug, tee}, "#1002": {cap}, "No store order": {loose}}
    html = page.content.decode()
    assert "<h3>#1001</h3>" in html and "<h3>No store order</h3>" in html
    assert f'value="{already.pk}"' not in html

    tasks_inline.clear()
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            CREATE_URL,
            {"connection": gateway.pk, "customization": [mug.pk, tee.pk], **ADDRESS},  # "send now" unticked
        )

    order = FulfilmentOrder.objects.exclude(items__customization=already).get()
    assert created.status_code == 302
    assert created["Location"] == reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk])
    # A draft: nothing is sent (the one task is the dashboard's totals catching up with a new order).
    assert [name for name, _args, _kwargs in tasks_inline] == [dashboard_totals.REFRESH_TASK]
    assert order.state == FulfilmentOrder.State.DRAFT and order.created_by == manager
    assert order.shipping_country_code == "GB"
    assert {(i.customization_id, i.quantity) for i in order.items.all()} == {(mug.pk, 2), (tee.pk, 1)}
    follow = client.get(created["Location"])
    assert f"{order.external_ref} created as a draft." in messages_of(follow)


def test_create_with_an_invalid_country_says_so_and_creates_nothing(client, gateway):
    mug = approved(store_order=store_order("#1001"))
    client.force_login(staff_in("Manager", username="manager"))

    page = client.post(
        CREATE_URL,
        {"connection": gateway.pk, "customization": [mug.pk], **ADDRESS, "shipping_country_code": "UK"},
    )

    assert page.status_code == 200
    message = "'UK' is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, DE)."
    assert page.context["form"].errors["shipping_country_code"] == [message]
    html = page.content.decode()
    assert escape(message) in html
    assert f'value="{mug.pk}" checked' in html  # the choice is kept for the second try
    assert not FulfilmentOrder.objects.exists()


def test_create_is_for_those_who_may_add_orders(client, gateway):
    client.force_login(staff_in("Reviewer", username="reviewer"))
    assert client.get(CREATE_URL).status_code == 403


# -- sending ------------------------------------------------------------------------------------


def test_send_action_queues_each_draft_once_and_needs_the_send_permission(
    client, gateway, django_capture_on_commit_callbacks
):
    drafts = [
        fulfilment_order_create(connection=gateway, customizations=[approved()], shipping=ADDRESS) for _ in range(2)
    ]
    sent = fulfilment_order_create(connection=gateway, customizations=[approved()], shipping=ADDRESS)
    FulfilmentOrder.objects.filter(pk=sent.pk).update(state=FulfilmentOrder.State.SENT)
    pks = [order.pk for order in [*drafts, sent]]

    client.force_login(staff_in("Reviewer", username="reviewer"))
    listing = client.get(ORDERS_URL)
    assert listing.status_code == 200 and len(listing.context["cl"].result_list) == 3
    assert 'value="send_selected"' not in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        action(client, ORDERS_URL, "send_selected", pks)
    assert queued == []
    assert set(FulfilmentOrder.objects.values_list("state", flat=True)) == {"draft", "sent"}

    client.force_login(staff_in("Manager", username="manager"))
    assert 'value="send_selected"' in client.get(ORDERS_URL).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = action(client, ORDERS_URL, "send_selected", pks)

    assert answer.status_code == 302
    assert len(queued) == len(drafts)
    assert [o.state for o in FulfilmentOrder.objects.filter(pk__in=[d.pk for d in drafts])] == ["queued"] * 2
    assert FulfilmentOrder.objects.get(pk=sent.pk).state == FulfilmentOrder.State.SENT
    assert messages_of(client.get(answer["Location"])) == [
        "2 orders queued to send.",
        "1 already sent or on their way were left alone.",
    ]


def test_codes_page_lists_every_documented_error_code(client):
    client.force_login(staff_in("Viewer", username="viewer"))

    page = client.get(reverse("admin:fulfilment_error_codes"))

    assert page.status_code == 200
    html = page.content.decode()
    for code, text in ERROR_CODES.items():
        assert f"<tr><th>{code}</th><td>{escape(text)}</td></tr>" in html


# -- the Custom Gateway connection -------------------------------------------------------------


def connection_form(connection, **changes) -> dict:
    return {
        "name": connection.name,
        "kind": connection.kind,
        "is_active": "on",
        "company": connection.setting("company"),
        "api_key": "",
        "push_hmac_key": "",
        "orders_url": "",
        "shipping_url": "",
        "stock_url": "",
        **changes,
    }


def test_connection_shows_hook_urls_to_managers_and_never_shows_its_keys(client, gateway):
    url = reverse("admin:orders_vendorconnection_change", args=[gateway.pk])
    secrets = ["cg-api-key-secret", "push-hmac-key-secret"]

    client.force_login(staff_in("Viewer", username="viewer"))
    html = client.get(url).content.decode()
    assert "stored (encrypted)" in html
    assert gateway.hook_token not in html and "URLs to give Custom Gateway" not in html
    assert not [secret for secret in secrets if secret in html]

    client.force_login(staff_in("Manager", username="manager"))
    html = client.get(url).content.decode()
    assert status_callback_url(gateway) in html and order_push_url(gateway) in html
    assert not [secret for secret in secrets if secret in html]

    new_secrets = {"api_key": "new-api-key-7f3a9c", "push_hmac_key": "new-push-key-c41d2e"}
    saved = client.post(url, connection_form(gateway, **new_secrets, _continue="Save and continue editing"))
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved

    gateway.refresh_from_db()
    assert (gateway.secret("api_key"), gateway.secret("push_hmac_key")) == (
        new_secrets["api_key"],
        new_secrets["push_hmac_key"],
    )
    html = (
        client.get(url).content.decode()
        + client.get(reverse("admin:orders_vendorconnection_changelist")).content.decode()
    )
    assert not [secret for secret in [*secrets, *new_secrets.values()] if secret in html]

    # Saving again with the key fields blank keeps the stored keys.
    assert client.post(url, connection_form(gateway)).status_code == 302
    gateway.refresh_from_db()
    assert (gateway.secret("api_key"), gateway.secret("push_hmac_key")) == (
        new_secrets["api_key"],
        new_secrets["push_hmac_key"],
    )


def test_incoming_requests_are_read_only_even_for_managers(client, gateway):
    incoming = IncomingRequest.objects.create(
        kind=IncomingRequest.Kind.ORDER_PUSH, connection=gateway, method="POST", body='{"id": 1}'
    )
    change = reverse("admin:fulfilment_incomingrequest_change", args=[incoming.pk])
    client.force_login(staff_in("Manager", username="manager"))

    page = client.get(change)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and "<textarea" not in html
    assert client.get(reverse("admin:fulfilment_incomingrequest_add")).status_code == 403
    assert client.post(change, {"note": "edited", "body": "{}"}).status_code == 403
    incoming.refresh_from_db()
    assert (incoming.body, incoming.note) == ('{"id": 1}', "")


# -- stock --------------------------------------------------------------------------------------


def test_a_file_chosen_on_the_preview_is_previewed_not_imported(client, gateway):
    client.force_login(staff_in("Manager", username="manager"))
    first = client.post(IMPORT_URL, {"connection": gateway.pk, "file": SimpleUploadedFile("a.csv", b"sku,qty\nA,1\n")})
    assert [row.sku for row in first.context["rows"]] == ["A"]

    # "Import" pressed after choosing another file: that file is shown, nothing is written.
    other = SimpleUploadedFile("b.csv", b"sku,qty\nB,2\n")
    second = client.post(
        IMPORT_URL, {"connection": gateway.pk, "staged": first.context["staged"].pk, "file": other, "confirm": "Import"}
    )
    assert second.status_code == 200 and [row.sku for row in second.context["rows"]] == ["B"]
    assert not StockLevel.objects.exists()

    third = client.post(
        IMPORT_URL, {"connection": gateway.pk, "staged": second.context["staged"].pk, "confirm": "Import"}
    )
    assert third.status_code == 302
    assert dict(StockLevel.objects.values_list("sku", "quantity_available")) == {"B": 2}


@pytest.fixture
def live_gateway(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    cg_sandbox.reset()
    urls = cg_sandbox.base_url(live_server.url)
    connection = VendorConnection(
        name="CG sandbox",
        kind="custom_gateway",
        settings={"company": settings.SANDBOX_CUSTOM_GATEWAY_COMPANY, "stock_url": urls["stock_url"]},
        secrets={"api_key": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    connection.save()
    yield connection
    cg_sandbox.reset()


@pytest.mark.django_db(transaction=True)
def test_pushing_selected_levels_sends_them_once(client, live_gateway, tasks_inline):
    levels = [
        StockLevel.objects.create(connection=live_gateway, sku=f"SKU-{n}", quantity_available=n) for n in (1, 2, 3)
    ]
    manager = staff_in("Manager", username="manager")
    client.force_login(manager)

    answer = action(client, STOCK_URL, "push_selected", [level.pk for level in levels])

    assert answer.status_code == 302
    # The action queues the push (the vendor is not called inside the request) and says so; the
    # push's outcome is in the push history.
    assert messages_of(client.get(answer["Location"])) == [
        "Stock push of 3 selected levels queued for CG sandbox: what was sent and the vendor's answer "
        'appear under <a href="/admin/fulfilment/stockpush/">Stock pushes</a> when it is done.'
    ]
    assert [name for name, _, _ in tasks_inline] == ["fulfilment.tasks.stock_push_task"]
    assert str(StockPush.objects.get()).startswith("Stock push of 3 SKUs")
    assert StockPush.objects.get().status == StockPush.Status.SUCCEEDED
    box = cg_sandbox.sandbox()
    assert len(box.stock_updates) == 1 and box.stock == {"SKU-1": 1, "SKU-2": 2, "SKU-3": 3}
    assert list(StockPush.objects.values_list("user", "count")) == [(manager.pk, 3)]


def test_a_discarded_order_frees_its_customizations_for_a_new_one(client, gateway):
    mug = approved(store_order=store_order("#1001"))
    order = fulfilment_order_create(connection=gateway, customizations=[mug], shipping=ADDRESS)
    client.force_login(staff_in("Manager", username="manager"))
    assert f'value="{mug.pk}"' not in client.get(CREATE_URL).content.decode()  # in a live order
    with pytest.raises(FulfilmentInvalid, match=f"is already in order {order.external_ref}"):
        fulfilment_order_create(connection=gateway, customizations=[mug], shipping=ADDRESS)

    action(client, ORDERS_URL, "discard_selected", [order.pk])

    assert FulfilmentOrder.objects.get(pk=order.pk).state == FulfilmentOrder.State.DISCARDED
    assert f'value="{mug.pk}"' in client.get(CREATE_URL).content.decode()
    again = fulfilment_order_create(connection=gateway, customizations=[mug], shipping=ADDRESS)
    assert again.items.get().customization == mug


def test_discard_needs_the_send_permission_and_leaves_sent_orders(client, gateway):
    mug = approved()
    order = fulfilment_order_create(connection=gateway, customizations=[mug], shipping=ADDRESS)
    client.force_login(staff_in("Reviewer", username="reviewer"))
    action(client, ORDERS_URL, "discard_selected", [order.pk])
    assert FulfilmentOrder.objects.get(pk=order.pk).state == FulfilmentOrder.State.DRAFT

    FulfilmentOrder.objects.filter(pk=order.pk).update(state=FulfilmentOrder.State.SENT)
    client.force_login(staff_in("Manager", username="manager"))
    action(client, ORDERS_URL, "discard_selected", [order.pk])
    assert FulfilmentOrder.objects.get(pk=order.pk).state == FulfilmentOrder.State.SENT
