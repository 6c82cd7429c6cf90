"""Custom Gateway's saved designs and print jobs as customizations: the save-design callback is
stored raw, then becomes one customization per ref (a replay writes nothing), garbage is refused
in words, it waits in the review queue; print jobs are added by ref (command, CSV) and sent to
Order-iT as type 2 items, an unknown one answered 8043 in words."""

import json
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from fulfilment.models import FulfilmentOrder, IncomingRequest
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send, fulfilment_payload, hook_url_for
from integrations.custom_gateway import sandbox_designs
from integrations.custom_gateway.designs import print_job_record, saved_design_parse
from integrations.partners import HookInvalid, HookKind
from orders.models import Customization
from orders.selectors import review_queue
from orders.services.print_jobs import print_jobs_add
from tests.factories import staff_in

DATA = {
    "created_from": "https://designer.test/s/app/acp3_2/en_GB/default.html#p=1007644&r=2d-canvas&guid=99999",
    "ref": "44EEEA752F59C3A3B1",
    "thumbnails": [
        {"name": "thumbnail", "url": "https://cdn.test/t.png", "description": ""},
        {"name": "thumbnail_60", "url": "https://cdn.test/t60.png", "description": ""},
    ],
}
ADDRESS = {
    "customer_name": "Ada Lovelace",
    "shipping_address_1": "Pinewood Court",
    "shipping_postcode": "SK10 2XR",
    "shipping_country_code": "GB",
}


def designs_url(token):
    return reverse("fulfilment:hook", args=["custom-gateway", token, "designs"])


def post_form(client, token, body: str):
    return client.post(designs_url(token), data=body, content_type="application/x-www-form-urlencoded")


def form(data) -> str:
    return urlencode({"data": json.dumps(data) if not isinstance(data, str) else data})


# -- the callback -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_saved_design_is_stored_raw_then_becomes_one_customization_and_a_replay_writes_nothing(client, gateway):
    body = form(DATA)
    response = post_form(client, gateway.hook_token, body)

    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    stored = IncomingRequest.objects.get()
    assert stored.body == body and stored.kind == HookKind.SAVED_DESIGN and stored.hook == "designs"
    design = Customization.objects.get(connection=gateway)
    assert design.external_id == "design-44EEEA752F59C3A3B1" and design.payload == DATA
    assert design.status == Customization.Status.ARTWORK_APPROVAL_PENDING and design.vendor_status == "saved design"
    # "thumbnail" and "thumbnail_60" are one view, shown by the full-size one, with the reload link.
    (side,) = design.sides.all()
    assert side.preview_url == "https://cdn.test/t.png"
    assert side.generator_tool_url == DATA["created_from"] + "&ps=44EEEA752F59C3A3B1"
    assert design.options["reload_url"] == side.generator_tool_url
    updated_at = design.updated_at

    again = post_form(client, gateway.hook_token, body)

    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert IncomingRequest.objects.count() == 2  # both kept raw
    design.refresh_from_db()
    assert Customization.objects.count() == 1 and design.updated_at == updated_at

    changed = post_form(client, gateway.hook_token, form({**DATA, "thumbnails": DATA["thumbnails"][:1] * 1}))
    assert changed.json()["outcome"] == "applied" and Customization.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, reason",
    [
        ("", "empty"),
        ('{"ref": "X"}', "JSON, not a form"),
        ("other=1", "no data field"),
        ("data=1&data=2", "more than one data field"),
        (form("not json"), "data field is not JSON"),
        (form([1, 2]), "JSON list, not an object"),
        (form({"thumbnails": []}), "ref is missing"),
        (form({"ref": "<script>"}), "is not a reference"),
        (form({"ref": "AB", "thumbnails": "x"}), "thumbnails is not a list"),
        (form({"ref": "AB", "thumbnails": ["x"]}), "thumbnail 1 is not an object"),
        (form({"ref": "AB", "thumbnails": [{}] * 51}), "at most 50"),
        (form({"ref": {"a": 1}}), "is not text"),
    ],
)
def test_garbage_is_refused_in_words_and_kept_with_the_reason(client, gateway, body, reason):
    response = post_form(client, gateway.hook_token, body)

    assert response.status_code == 400
    stored = IncomingRequest.objects.get()
    assert stored.outcome == IncomingRequest.Outcome.INVALID and reason in stored.note
    assert not Customization.objects.exists()


@pytest.mark.django_db
def test_an_unknown_token_stores_no_design(client, gateway):
    assert post_form(client, "not-the-token", form(DATA)).status_code == 404
    assert not Customization.objects.exists() and IncomingRequest.objects.get().body == ""


def test_a_javascript_thumbnail_or_app_url_is_not_kept():
    design = saved_design_parse(
        form({**DATA, "created_from": "javascript:alert(1)", "thumbnails": [{"name": "t", "url": "javascript:x"}]})
    )
    assert design.created_from == "" and design.reload_url == "" and design.thumbnails[0].url == ""


@pytest.mark.django_db
def test_a_saved_design_waits_in_the_review_queue_and_its_pages_show_it(client, gateway):
    post_form(client, gateway.hook_token, form(DATA))
    design = Customization.objects.get()
    assert not gateway.review_everything and list(review_queue()) == [design]

    client.force_login(staff_in("Reviewer"))
    queue = client.get(reverse("admin:orders_reviewitem_changelist"))
    assert queue.status_code == 200 and "44EEEA752F59C3A3B1" in queue.content.decode()
    page = client.get(reverse("admin:orders_reviewitem_review", args=[design.pk]))
    assert page.status_code == 200
    change = client.get(reverse("admin:orders_customization_change", args=[design.pk]))
    assert change.status_code == 200 and "https://cdn.test/t.png" in change.content.decode()


# -- print jobs -------------------------------------------------------------------------------


def test_a_print_job_ref_is_checked():
    assert print_job_record("CF921CF10F59B3A258").production_data[0]["line_properties"] == {
        "print_job_ref": "CF921CF10F59B3A258"
    }
    with pytest.raises(HookInvalid, match="is not a reference"):
        print_job_record("no spaces please")


@pytest.mark.django_db
def test_add_print_jobs_from_the_command_line_and_a_csv_file(gateway, tmp_path, capsys):
    csv_file = tmp_path / "refs.csv"
    csv_file.write_text("order,printJobRef\n1001,AAA111\n1002,BBB222\n1003,AAA111\n")

    call_command("add_print_jobs", "--connection", gateway.name, "CCC333", "bad ref!", "--file", str(csv_file))

    out, err = capsys.readouterr()
    assert "3 added, 0 already here, 1 refused" in out and "refused: bad ref!" in err
    assert set(Customization.objects.values_list("external_id", flat=True)) == {
        "printjob-AAA111",
        "printjob-BBB222",
        "printjob-CCC333",
    }
    call_command("add_print_jobs", "--connection", gateway.name, "AAA111")
    assert "0 added, 1 already here" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No connection is named"):
        call_command("add_print_jobs", "--connection", "nope", "AAA111")


@pytest.mark.django_db
def test_a_connection_without_print_jobs_refuses_them():
    from orders.services.print_jobs import PrintJobsRefused
    from tests.factories import VendorConnectionFactory

    with pytest.raises(PrintJobsRefused, match="has no print jobs"):
        print_jobs_add(VendorConnectionFactory(kind="qstomizer"), ["AAA111"])


# -- sending a print job: type 2, against the sandbox over HTTP ---------------------------------


def _approved_print_job(connection, ref):
    print_jobs_add(connection, [ref])
    customization = Customization.objects.get(connection=connection, external_id=f"printjob-{ref}")
    customization.decision = Customization.Decision.APPROVED
    customization.save()
    return customization


@pytest.mark.django_db(transaction=True)
def test_a_print_job_is_sent_as_type_2_and_an_unknown_one_is_refused_8043_in_words(
    custom_gateway_connection, custom_gateway_sandbox
):
    gateway = custom_gateway_connection
    known = sandbox_designs.demo_print_jobs()[0]
    order = fulfilment_order_create(
        connection=gateway, customizations=[_approved_print_job(gateway, known)], shipping=ADDRESS
    )

    sent = fulfilment_order_send(order)

    assert sent.state == FulfilmentOrder.State.SENT, sent.last_error
    (item,) = fulfilment_payload(order)["items"]
    assert item["type"] == 2 and item["print_job_ref"] == known and "external_url" not in item

    unknown = fulfilment_order_create(
        connection=gateway, customizations=[_approved_print_job(gateway, "ABCDEF")], shipping=ADDRESS
    )
    failed = fulfilment_order_send(unknown)

    assert failed.state == FulfilmentOrder.State.FAILED
    assert "8043" in failed.last_error and "print job is invalid" in failed.last_error


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_posts_a_saved_design_to_the_hook(custom_gateway_connection, custom_gateway_sandbox, live_server):
    url = hook_url_for(custom_gateway_connection, HookKind.SAVED_DESIGN)

    assert sandbox_designs.saved_design_post(url, origin=live_server.url) == 200

    design = Customization.objects.get(connection=custom_gateway_connection)
    assert design.external_id.startswith("design-") and design.sides.count() == 1
    assert design.sides.get().preview_url.startswith(live_server.url)


@pytest.mark.django_db
def test_a_manager_adds_print_jobs_by_pasting_refs_or_uploading_a_csv(client, gateway):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff_in("Manager"))
    url = reverse("admin:orders_vendorconnection_print_jobs", args=[gateway.pk])
    change_page = client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
    assert url in change_page and "/designs/" in change_page  # the form's button, the callback URL
    assert client.get(url).status_code == 200

    pasted = client.post(url, {"refs": "AAA111, BBB222\nbad/ref"}, follow=True)
    said = [str(m) for m in pasted.context["messages"]]
    assert any("2 added, 0 already here, 1 refused" in m for m in said), said
    upload = SimpleUploadedFile("refs.csv", b"printJobRef\nBBB222\nCCC333\n", content_type="text/csv")
    uploaded = client.post(url, {"csv_file": upload}, follow=True)
    assert any("1 added, 1 already here" in str(m) for m in uploaded.context["messages"])
    empty = client.post(url, {"refs": ""})
    assert empty.status_code == 200 and "Paste some refs or choose a CSV file." in empty.content.decode()
    assert Customization.objects.filter(connection=gateway).count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_demo_puts_a_saved_design_and_a_print_job_in_the_review_queue(
    custom_gateway_connection, custom_gateway_sandbox, live_server
):
    from integrations.custom_gateway import sandbox as cg_sandbox
    from integrations.sandbox.demo import demo_designs

    demo_designs(custom_gateway_connection, cg_sandbox, live_server.url)

    queued = {c.vendor_status for c in review_queue().filter(connection=custom_gateway_connection)}
    assert queued == {"saved design", "print job"}


@pytest.mark.django_db
def test_the_stored_callback_is_listed_for_staff_and_reprocessing_it_writes_nothing(client, gateway):
    from fulfilment.services.incoming import incoming_reprocess

    post_form(client, gateway.hook_token, form(DATA))
    stored = IncomingRequest.objects.get()
    client.force_login(staff_in("Viewer"))
    listing = client.get(reverse("admin:fulfilment_incomingrequest_changelist"))
    assert listing.status_code == 200
    assert client.get(reverse("admin:fulfilment_incomingrequest_change", args=[stored.pk])).status_code == 200

    assert incoming_reprocess(stored) == IncomingRequest.Outcome.DUPLICATE
    assert Customization.objects.count() == 1
