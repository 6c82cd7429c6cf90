"""Virtual products from approved designs, end to end: the customizations' admin action, the
screen choosing connection, base products and category, the queued task (run inline) hosting the
print file at the Custom Gateway sandbox's User Image API (which fetches our signed link over
HTTP) and calling its GraphQL mutation; ids stored and shown, errors in words, nothing twice."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from fulfilment.models import VirtualProduct
from fulfilment.services.virtual_products import virtual_products_create, virtual_products_queue
from integrations.custom_gateway import sandbox as cg_sandbox
from integrations.custom_gateway import sandbox_products
from orders.models import Customization, VendorConnection
from tests.factories import staff_in
from tests.fulfilment.test_flows import approved_with_artwork

pytestmark = pytest.mark.django_db(transaction=True)
CREATE = reverse("admin:fulfilment_virtualproduct_create")


@pytest.fixture
def hub():
    sandbox_products.reset()
    yield sandbox_products.products()
    sandbox_products.reset()


@pytest.fixture
def cg(live_server, custom_gateway_sandbox, settings, hub):
    connection = VendorConnection(
        name="CG products",
        kind="custom_gateway",
        settings={
            "company": settings.SANDBOX_CUSTOM_GATEWAY_COMPANY,
            **cg_sandbox.base_url(live_server.url),
            **sandbox_products.urls(live_server.url),
        },
        secrets={
            "api_key": settings.SANDBOX_API_KEY,
            "oauth_client_id": sandbox_products.client_id(),
            "oauth_client_secret": settings.SANDBOX_API_KEY,
        },
        sync_every_minutes=None,
    )
    connection.save()
    return connection


def approved_design(title="Fox mug", decision=Customization.Decision.APPROVED):
    return approved_with_artwork(title=title, decision=decision)


def run_action(client, designs, cg, bases="10001, 10002", category="500"):
    page = client.post(
        reverse("admin:orders_customization_changelist"),
        {"action": "create_virtual_products", ACTION_CHECKBOX_NAME: [d.pk for d in designs]},
    )
    assert page.status_code == 302 and page["Location"].startswith(CREATE)
    screen = client.get(page["Location"])
    assert screen.status_code == 200 and cg.name in screen.content.decode()
    ids = page["Location"].split("ids=", 1)[1]
    return client.post(CREATE, {"ids": ids, "connection": cg.pk, "base_products": bases, "category_id": category})


def test_the_action_makes_one_product_per_base_and_shows_them(client, cg, hub, tasks_inline):
    design = approved_design()
    client.force_login(staff_in("Manager"))

    done = run_action(client, [design], cg)

    assert done.status_code == 302
    assert [name for name, _, _ in tasks_inline] == ["fulfilment.tasks.virtual_products_create_task"]
    rows = list(VirtualProduct.objects.filter(customization=design).order_by("base_product_id"))
    assert [(r.base_product_id, r.state) for r in rows] == [("10001", "created"), ("10002", "created")]
    assert all(r.vendor_id for r in rows) and rows[0].vendor_id != rows[1].vendor_id
    assert rows[0].original_url.endswith("/original.png") and rows[0].preview_url.endswith("/preview.png")
    assert rows[0].processed_url.endswith("/processed.png")
    # The sandbox fetched our signed link to the stored print file, as the vendor would.
    assert len(hub.images) == 1 and "/files/artwork/" in hub.images[0]
    (mutation,) = hub.mutations
    assert mutation["baseProducts"] == ["10001", "10002"] and mutation["categoryId"] == "500"
    assert mutation["artwork"][0]["design_name"] == "Fox mug"
    assert mutation["artwork"][0]["urls"]["original"] == rows[0].original_url
    page = client.get(reverse("admin:orders_customization_change", args=[design.pk])).content.decode()
    assert 'id="virtual-products"' in page and rows[0].vendor_id in page and rows[1].vendor_id in page


def test_repeating_the_action_makes_nothing_twice(client, cg, hub, tasks_inline):
    design = approved_design()
    client.force_login(staff_in("Manager"))
    run_action(client, [design], cg)
    made = sorted(VirtualProduct.objects.values_list("vendor_id", flat=True))

    again = run_action(client, [design], cg)
    follow = client.get(again["Location"]).content.decode()

    assert sorted(VirtualProduct.objects.values_list("vendor_id", flat=True)) == made
    assert len(hub.mutations) == 1 and len(hub.images) == 1
    assert "made already" in follow
    # A task run again by the broker (at-least-once) finds nothing to do.
    assert virtual_products_create(design.pk, cg.pk) == "nothing to do"
    # One more base product: only that one is sent.
    run_action(client, [design], cg, bases="10001 10003")
    assert hub.mutations[-1]["baseProducts"] == ["10003"]
    assert VirtualProduct.objects.filter(customization=design).count() == 3


def test_graphql_errors_are_kept_in_words_and_a_retry_sends_again(cg, hub, tasks_inline):
    design = approved_design()
    virtual_products_queue(customizations=[design], connection=cg, base_products=["10001"], category_id="ERROR")

    row = VirtualProduct.objects.get(customization=design)
    assert row.state == VirtualProduct.State.FAILED and not row.vendor_id
    assert "Category ERROR not found" in row.error

    virtual_products_queue(customizations=[design], connection=cg, base_products=["10001"], category_id="500")
    row.refresh_from_db()
    assert row.state == VirtualProduct.State.CREATED and row.vendor_id and row.category_id == "500"


def test_a_partial_answer_is_left_to_check_and_not_sent_again(cg, hub, tasks_inline):
    design = approved_design()
    report = virtual_products_queue(
        customizations=[design], connection=cg, base_products=["10001", "BAD-7"], category_id="500"
    )

    assert report.queued == [design.pk]
    rows = VirtualProduct.objects.filter(customization=design)
    assert {r.state for r in rows} == {VirtualProduct.State.CHECK}
    assert all("Partly made (1 of 2)" in r.error and "BAD-7 does not exist" in r.error for r in rows)
    assert all(len(r.vendor_ids) == 1 for r in rows)
    again = virtual_products_queue(
        customizations=[design], connection=cg, base_products=["10001", "BAD-7"], category_id="500"
    )
    assert again.queued == [] and len(hub.mutations) == 1


def test_an_expired_token_is_replaced_once(cg, hub, tasks_inline):
    first, second = approved_design(), approved_design("Owl mug")
    virtual_products_queue(customizations=[first], connection=cg, base_products=["10001"], category_id="500")
    hub.revoke_tokens()  # as if it had expired at the vendor before our cache's end

    virtual_products_queue(customizations=[second], connection=cg, base_products=["10001"], category_id="500")

    assert VirtualProduct.objects.filter(state=VirtualProduct.State.CREATED).count() == 2
    assert hub.token_requests == 2


def test_unapproved_designs_and_bad_ids_are_refused_in_words(client, cg, hub, tasks_inline):
    pending = approved_design(decision=Customization.Decision.UNDECIDED)
    client.force_login(staff_in("Manager"))

    page = client.post(
        reverse("admin:orders_customization_changelist"),
        {"action": "create_virtual_products", ACTION_CHECKBOX_NAME: [pending.pk]},
        follow=True,
    )
    assert "not approved" in page.content.decode()
    design = approved_design()
    bad = client.post(
        CREATE, {"ids": str(design.pk), "connection": cg.pk, "base_products": "<script>", "category_id": "5"}
    )
    assert bad.status_code == 200 and "not an id" in bad.content.decode()
    assert not VirtualProduct.objects.exists() and tasks_inline == []


def test_a_connection_without_oauth_client_says_so(cg, hub, tasks_inline):
    cg.secrets = {k: v for k, v in cg.secrets.items() if not k.startswith("oauth_")}
    cg.save()
    design = approved_design()

    virtual_products_queue(customizations=[design], connection=cg, base_products=["10001"], category_id="500")

    row = VirtualProduct.objects.get(customization=design)
    assert row.state == VirtualProduct.State.FAILED and "no OAuth client id and secret" in row.error


def test_the_demo_makes_one_virtual_product_from_an_approved_design(cg, hub, live_server, tasks_inline):
    from integrations.sandbox.demo import demo_virtual_product

    offered = cg_sandbox.demo_connection(live_server.url, "custom_gateway")
    assert offered["secrets"]["oauth_client_id"] and offered["settings"]["graphql_url"].startswith(live_server.url)
    design = approved_design()

    # Queued (the worker's task, inline here) and run at once: whichever comes first makes it.
    assert demo_virtual_product(cg, [design], None) in ("created", "nothing to do")
    assert demo_virtual_product(cg, [design], None) == "already there"
    assert len(hub.mutations) == 1
    (product,) = VirtualProduct.objects.all()
    assert product.state == VirtualProduct.State.CREATED and product.vendor_id


def test_a_failing_image_host_is_retried_then_given_up_in_words(cg, hub, tasks_inline, settings):
    from fulfilment.tasks import virtual_products_create_task

    design = approved_design()
    hub.fail_next("image", 503, times=20)
    virtual_products_create_task.max_retries = 0  # this run is the last attempt
    try:
        virtual_products_queue(customizations=[design], connection=cg, base_products=["10001"], category_id="500")
    finally:
        virtual_products_create_task.max_retries = 5

    row = VirtualProduct.objects.get(customization=design)
    assert row.state == VirtualProduct.State.FAILED and "Gave up after several attempts" in row.error
    assert hub.mutations == []
