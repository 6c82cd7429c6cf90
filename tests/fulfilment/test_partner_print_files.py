"""Print files a partner makes (PRINT_FILE_POLLING), for any partner: a fake one registered in the
settings alone (its spec, adapter and PRINT_FILES_READY hook below). Each item sent is tracked,
polled with backoff until it settles, downloaded only if its bytes are a real PDF or image,
measured and previewed; a hook only triggers a poll; staff Retry, see problems, and run the
command."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from PIL import Image
from pypdf import PdfWriter

from fulfilment.models import FulfilmentOrder, IncomingRequest, PartnerPrintFile
from fulfilment.selectors import fulfilment_orders_needing_attention
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send
from fulfilment.services.print_files import partner_print_files_due_now, partner_print_files_poll, poll_delay
from fulfilment.services.queue import PRINT_FILE_RETRY_TASK, PRINT_FILES_POLL_TASK
from integrations.http import DownloadResult, VendorRetryable
from integrations.partners import (
    CreatedLine,
    CreatedOrder,
    HookInvalid,
    HookKind,
    IncomingHook,
    PrintFileReport,
    PrintFilesNotice,
    PrintFileState,
    SendResult,
    VendorStatus,
)
from integrations.registry import Capability, Secret, VendorSpec
from orders.models import VendorConnection
from orders.services.connections import connection_schedule_update
from tests.factories import staff_in
from tests.fulfilment.fakes import FakeClient, FakePartner
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork

pytestmark = pytest.mark.django_db

STATES = {
    "received": PrintFileState.RECEIVED,
    "processing": PrintFileState.PROCESSING,
    "processingfailed": PrintFileState.FAILED,
    "ready": PrintFileState.READY,
}
# What the fake partner says: store item id -> (code, url) or an exception to raise.
AT_PARTNER: dict = {}
FILES: dict[str, bytes] = {}  # url -> the bytes its download writes
UPDATES: list = []  # (vendor_id, OrderChanges)
POLLED: list[str] = []


def pdf(pages=2, width=288, height=432) -> bytes:
    writer, buffer = PdfWriter(), io.BytesIO()
    for _ in range(pages):
        writer.add_blank_page(width=width, height=height)
    writer.write(buffer)
    return buffer.getvalue()


def png(width=40, height=30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


class PrintCoPartner(FakePartner):
    label = "PrintCo"
    idempotent_send = True

    def request_body(self, order):
        return {"ref": order.reference}

    def send(self, order):
        lines = tuple(CreatedLine(line.reference, f"L-{line.reference}") for line in order.lines)
        return SendResult(created=(CreatedOrder("P-1", reference=order.reference, lines=lines),))

    def print_file_status(self, store_item_id):
        POLLED.append(store_item_id)
        said = AT_PARTNER.get(store_item_id, ("received", None))
        if isinstance(said, Exception):
            raise said
        code, url = said
        return PrintFileReport(store_item_id, STATES.get(code), code, url or "", raw={"status": code, "url": url})

    def download(self, url, fileobj):
        content = FILES[url]
        fileobj.write(content)
        return DownloadResult(len(content), hashlib.sha256(content).hexdigest(), "application/pdf", url)

    def update(self, vendor_id, changes):
        UPDATES.append((vendor_id, changes))
        return {"ok": True}

    @classmethod
    def status_of(cls, code):
        return VendorStatus(None, code, code)


def printco_verify(config, body, headers):
    expected = hmac.new(config.secrets["api_key"].encode(), body, hashlib.sha256).hexdigest()
    return "" if hmac.compare_digest(expected, headers.get("X-Signature", "")) else "signature does not match"


def printco_parse(body):
    try:
        data = json.loads(body)
        return [PrintFilesNotice(tuple(str(i) for i in data.get("items", [])))]
    except (ValueError, AttributeError, TypeError) as exc:
        raise HookInvalid(f"not a notice: {exc}") from None


CAPABILITIES = {Capability.FULFILMENT_SEND, Capability.PRINT_FILE_POLLING, Capability.FULFILMENT_UPDATE}
HOOKS = {
    "print-files": IncomingHook(
        "Print files ready", verify=printco_verify, parse=printco_parse, kind=HookKind.PRINT_FILES_READY
    )
}
SPEC = VendorSpec(
    kind="printco",
    label="PrintCo",
    client=lambda config, options: FakeClient(),
    secrets=(Secret("api_key", "API key"),),
    capabilities=frozenset(CAPABILITIES),
    partner=PrintCoPartner,
    hooks=HOOKS,
    rate_limits={"h": 1000},
)
# The same partner without FULFILMENT_UPDATE: it cannot be asked to remake a file.
SPEC_NO_UPDATE = VendorSpec(
    kind="printco_basic",
    label="PrintCo Basic",
    client=SPEC.client,
    secrets=SPEC.secrets,
    capabilities=frozenset(CAPABILITIES - {Capability.FULFILMENT_UPDATE}),
    partner=PrintCoPartner,
    hooks=HOOKS,
)


@pytest.fixture(autouse=True)
def printco_registered(settings):
    settings.VENDORS = [
        *settings.VENDORS,
        "tests.fulfilment.test_partner_print_files.SPEC",
        "tests.fulfilment.test_partner_print_files.SPEC_NO_UPDATE",
    ]
    for store in (AT_PARTNER, FILES, UPDATES, POLLED):
        store.clear()


def connection_of(kind="printco", name="PrintCo"):
    return VendorConnection.objects.create(
        name=name, kind=kind, secrets={"api_key": "pc-secret"}, sync_every_minutes=None
    )


@pytest.fixture
def printco():
    return connection_of()


def sent_order(connection, items=1):
    order = fulfilment_order_create(
        connection=connection, customizations=[approved_with_artwork() for _ in range(items)], shipping=ADDRESS
    )
    order = fulfilment_order_send(order)
    assert order.state == FulfilmentOrder.State.SENT, order.last_error
    return order


def row_of(order, index=0) -> PartnerPrintFile:
    return PartnerPrintFile.objects.filter(order=order).order_by("pk")[index]


def poll_now(**kwargs):
    """A poll run as the beat task makes it, with every unsettled file due."""
    PartnerPrintFile.objects.filter(next_poll_at__isnull=False).update(next_poll_at=timezone.now())
    return partner_print_files_poll(**kwargs)


def ready(row, content: bytes, url="https://files.printco.example/x.pdf"):
    AT_PARTNER[row.store_item_id] = ("ready", url)
    FILES[url] = content


# -- tracking and the state machine --------------------------------------------------------------


def test_each_item_sent_to_such_a_partner_gets_one_print_file_keyed_by_its_store_item_id(printco, settings):
    order = sent_order(printco, items=2)
    rows = list(PartnerPrintFile.objects.filter(order=order).order_by("pk"))
    items = list(order.items.order_by("pk"))
    assert [r.store_item_id for r in rows] == [f"{order.external_ref}-{i.external_ref}" for i in items]
    assert [r.store_item_id for r in rows] == [i.store_item_id for i in items]
    assert all(r.state == "received" and r.polls == 0 and r.next_poll_at > timezone.now() for r in rows)
    # Sending again (a reconciled duplicate, a replayed task) makes no second row.
    fulfilment_order_send(order)
    assert PartnerPrintFile.objects.filter(order=order).count() == 2


def test_a_partner_without_print_file_polling_gets_none(gateway, client):
    from fulfilment.services.print_files import partner_print_files_track

    order = FulfilmentOrder.objects.create(connection=gateway, external_ref="FO-9", shipping_country_code="GB")
    assert partner_print_files_track(order) == 0 and not PartnerPrintFile.objects.exists()
    client.force_login(staff_in("Viewer"))
    page = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk])).content.decode()
    assert "print files made by the partner" not in page.lower()


def test_it_is_polled_through_every_state_with_backoff_until_it_settles(printco, settings):
    settings.PRINT_FILE_POLL_BASE_SECONDS, settings.PRINT_FILE_POLL_MAX_SECONDS = 60, 3600
    row = row_of(sent_order(printco))
    waits = []
    for code in ["received", "processing", "rendering-v2", "processing"]:
        AT_PARTNER[row.store_item_id] = (code, None)
        before = timezone.now()
        assert poll_now().polled == 1
        row.refresh_from_db()
        waits.append(round((row.next_poll_at - before).total_seconds() / 60))
        assert row.vendor_code == code and not row.file
    assert row.polls == 4 and waits == [1, 2, 4, 8]  # 1, 2, 4 ... minutes
    assert row.state == "processing" and row.error == ""

    AT_PARTNER[row.store_item_id] = ("rendering-v2", None)
    poll_now()
    row.refresh_from_db()
    assert row.state == "unknown" and "'rendering-v2', a state we do not know" in row.error and row.next_poll_at

    ready(row, pdf())
    assert poll_now().outcomes == {"stored": 1}
    row.refresh_from_db()
    assert (row.state, row.next_poll_at, row.settled) == ("ready", None, True)
    # Settled: the next runs leave it alone.
    POLLED.clear()
    assert poll_now().polled == 0 and POLLED == []


def test_backoff_doubles_and_is_capped(settings):
    settings.PRINT_FILE_POLL_BASE_SECONDS, settings.PRINT_FILE_POLL_MAX_SECONDS = 60, 3600
    assert [poll_delay(n).total_seconds() / 60 for n in range(0, 9)] == [1, 1, 2, 4, 8, 16, 32, 60, 60]
    assert poll_delay(500).total_seconds() == 3600


def test_processingfailed_is_a_failed_problem_state_shown_to_staff(printco, client):
    order = sent_order(printco)
    row = row_of(order)
    AT_PARTNER[row.store_item_id] = ("processingfailed", None)
    assert poll_now().outcomes == {"failed": 1}
    row.refresh_from_db()
    assert row.state == "failed" and row.next_poll_at is None and "PrintCo could not make this print file" in row.error
    assert list(fulfilment_orders_needing_attention(FulfilmentOrder.objects.all(), "print_file_failed")) == [order]

    client.force_login(staff_in("Viewer"))
    listed = client.get(reverse("admin:fulfilment_fulfilmentorder_changelist"), {"attention": "print_file_failed"})
    assert order.external_ref in listed.content.decode()
    assert "Print file failed" in listed.content.decode()
    # The review screen (orders app) shows it as a problem of the design.
    customization = row.item.customization
    review = client.get(reverse("admin:orders_reviewitem_review", args=[customization.pk])).content.decode()
    assert "partner-print-file-failed" in review and order.external_ref in review


def test_the_partner_down_or_refusing_is_recorded_and_polled_again_later(printco):
    row = row_of(sent_order(printco))
    AT_PARTNER[row.store_item_id] = VendorRetryable("timed out", vendor="PrintCo")
    assert poll_now().outcomes == {"later": 1}
    row.refresh_from_db()
    assert row.state == "received" and row.polls == 1 and "Could not ask, will poll again" in row.error
    assert row.next_poll_at > timezone.now()


def test_our_count_of_the_partners_rate_limit_is_waited_out(printco, monkeypatch):
    monkeypatch.setitem(SPEC.rate_limits, "h", 1)
    order = sent_order(printco, items=2)  # the send took the hour's one call
    assert poll_now().outcomes == {"waiting": 2}
    assert POLLED == []
    row = row_of(order)
    # Polled when the hour's window ends (the next full hour), not on the usual backoff.
    next_hour = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert row.polls == 0 and "Waiting" in row.error and row.next_poll_at == next_hour


def test_a_run_is_bounded(printco, settings):
    settings.PRINT_FILE_POLL_BATCH = 2
    sent_order(printco, items=3)
    assert poll_now().polled == 2
    assert partner_print_files_poll().polled == 1  # the third, still due; the two polled are not


# -- the download -----------------------------------------------------------------------------------


def test_a_ready_pdf_is_stored_measured_and_previewed(printco):
    row = row_of(sent_order(printco))
    content = pdf(pages=3, width=400, height=200)
    ready(row, content)
    poll_now()
    row.refresh_from_db()
    assert row.content_type == "application/pdf" and row.page_count == 3
    assert row.size_bytes == len(content) and row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.file.name.endswith(".pdf") and default_storage.open(row.file.name).read() == content
    with Image.open(default_storage.open(row.preview.name)) as preview:
        assert preview.format == "PNG" and max(preview.size) <= 800 and preview.size[0] > preview.size[1]


def test_a_ready_image_is_stored_with_its_pixel_size_and_a_downscaled_preview(printco):
    row = row_of(sent_order(printco))
    ready(row, png(2000, 1000), url="https://files.printco.example/x.png")
    poll_now()
    row.refresh_from_db()
    assert (row.state, row.content_type, row.width, row.height) == ("ready", "image/png", 2000, 1000)
    assert row.file.name.endswith(".png")
    with Image.open(default_storage.open(row.preview.name)) as preview:
        assert preview.size == (800, 400)


def test_an_html_page_instead_of_a_print_file_fails_in_words(printco):
    row = row_of(sent_order(printco))
    ready(row, b"<!doctype html><html><body>Access denied</body></html>", url="https://files.printco.example/x.pdf")
    assert poll_now().outcomes == {"failed": 1}
    row.refresh_from_db()
    assert row.state == "failed" and not row.file and row.next_poll_at is None
    assert row.error == "The print file is an HTML page, not a print file."


def test_an_oversize_file_is_refused(printco, settings):
    settings.PRINT_FILE_MAX_BYTES = 1000
    row = row_of(sent_order(printco))
    ready(row, pdf(pages=20))
    poll_now()
    row.refresh_from_db()
    assert row.state == "failed" and "too large (over the limit of 1,000 bytes)" in row.error and not row.file


def test_a_download_cut_short_is_tried_again_later(printco, monkeypatch):
    row = row_of(sent_order(printco))
    ready(row, pdf())

    def cut(self, url, fileobj):
        fileobj.write(b"%PDF-1.7 half")
        raise VendorRetryable("the download was cut short", vendor="PrintCo")

    monkeypatch.setattr(PrintCoPartner, "download", cut)
    assert poll_now().outcomes == {"later": 1}
    row.refresh_from_db()
    assert row.state == "ready" and not row.file and row.next_poll_at and "download failed" in row.error
    monkeypatch.undo()
    assert poll_now().outcomes == {"stored": 1}  # the next poll downloads it whole


def test_ready_without_a_url_is_polled_again(printco):
    row = row_of(sent_order(printco))
    AT_PARTNER[row.store_item_id] = ("ready", None)
    poll_now()
    row.refresh_from_db()
    assert row.state == "unknown" and "no URL" in row.error and row.next_poll_at


# -- the hook -------------------------------------------------------------------------------------


def hook(client, connection, body: bytes):
    signature = hmac.new(b"pc-secret", body, hashlib.sha256).hexdigest()
    url = reverse("fulfilment:hook", args=["printco", connection.hook_token, "print-files"])
    return client.post(url, data=body, content_type="application/json", headers={"X-Signature": signature})


def test_the_hook_polls_the_items_it_names_now(client, printco, tasks_inline, django_capture_on_commit_callbacks):
    order = sent_order(printco, items=2)
    first, second = row_of(order, 0), row_of(order, 1)
    # The body says "ready" with a URL: never trusted. The partner's own answer is what counts.
    body = json.dumps({"items": [first.store_item_id], "status": "ready", "url": "https://evil.example/x"}).encode()
    AT_PARTNER[first.store_item_id] = ("processing", None)

    with django_capture_on_commit_callbacks(execute=True):
        response = hook(client, printco, body)

    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    assert [first.store_item_id] == POLLED
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == "processing" and first.url == "" and second.polls == 0
    assert [name for name, *_ in tasks_inline] == [PRINT_FILES_POLL_TASK]
    incoming = IncomingRequest.objects.get()
    assert incoming.kind == "print_files_ready" and "names 1 item: 1 print file" in incoming.note


def test_a_notification_while_the_file_is_being_polled_is_not_lost(printco, monkeypatch):
    # The partner answers "processing", but while it does, the file becomes ready and the
    # notification makes the row due now: the late "processing" must not push the row back.
    row = row_of(sent_order(printco))
    ready(row, pdf())
    answer = PrintCoPartner.print_file_status

    def slow_processing(self, store_item_id):
        partner_print_files_due_now(printco, [store_item_id])  # the hook, meanwhile
        return PrintFileReport(store_item_id, PrintFileState.PROCESSING, "processing")

    monkeypatch.setattr(PrintCoPartner, "print_file_status", slow_processing)
    assert poll_now().outcomes == {"superseded": 1}
    row.refresh_from_db()
    assert row.state == "received" and row.next_poll_at <= timezone.now()  # due now, as the hook said

    monkeypatch.setattr(PrintCoPartner, "print_file_status", answer)
    assert partner_print_files_poll().outcomes == {"stored": 1}  # the hook's poll, not the backoff
    row.refresh_from_db()
    assert row.state == "ready" and row.file


@pytest.mark.parametrize("body", [b'{"items": []}', b"\x00garbage, not json", b"[1, 2"])
def test_a_hook_naming_nothing_or_garbage_still_polls_every_unsettled_file(
    client, printco, tasks_inline, body, django_capture_on_commit_callbacks
):
    order = sent_order(printco, items=2)
    other = sent_order(connection_of(name="Another PrintCo"))
    AT_PARTNER[row_of(order, 0).store_item_id] = ("processingfailed", None)
    poll_now(ids=[row_of(order, 0).pk])  # settled: not polled again
    POLLED.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert hook(client, printco, body).status_code == 200

    assert sorted(POLLED) == [row_of(order, 1).store_item_id]
    assert row_of(other).polls == 0  # another connection's are not this hook's
    assert IncomingRequest.objects.get().outcome == "applied"


def test_an_unsigned_hook_triggers_nothing(client, printco, tasks_inline):
    sent_order(printco)
    url = reverse("fulfilment:hook", args=["printco", printco.hook_token, "print-files"])
    response = client.post(url, data=b"{}", content_type="application/json", headers={"X-Signature": "nope"})
    assert response.status_code == 401 and POLLED == [] and tasks_inline == []


# -- Retry ------------------------------------------------------------------------------------------


def failed_row(connection):
    row = row_of(sent_order(connection))
    AT_PARTNER[row.store_item_id] = ("processingfailed", None)
    poll_now()
    row.refresh_from_db()
    assert row.state == "failed"
    return row


def retry(client, row, run):
    url = reverse("admin:fulfilment_partnerprintfile_retry", args=[row.pk])
    with run(execute=True):
        return client.post(url)


def test_retry_of_a_failed_file_asks_the_partner_to_remake_it_and_polls_again(
    client, printco, tasks_inline, django_capture_on_commit_callbacks
):
    row = failed_row(printco)
    client.force_login(staff_in("Manager"))

    response = retry(client, row, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    ((vendor_id, changes),) = UPDATES
    assert vendor_id == "P-1" and changes.note is None
    (line,) = changes.lines
    assert line.reference == row.item.external_ref and line.files  # the line again, with its files
    row.refresh_from_db()
    assert (row.state, row.error, row.polls, row.vendor_code) == ("received", "", 0, "")
    assert row.next_poll_at is not None
    assert [name for name, *_ in tasks_inline] == [PRINT_FILE_RETRY_TASK]
    assert "asked to remake" in " ".join(m.message for m in response.wsgi_request._messages)


def test_a_remake_the_partner_refuses_stays_failed_with_its_reason(
    client, printco, tasks_inline, monkeypatch, django_capture_on_commit_callbacks
):
    from integrations.http import VendorRejected

    row = failed_row(printco)

    def refuse(self, vendor_id, changes):
        raise VendorRejected("order is already in production", vendor="PrintCo", status=400)

    monkeypatch.setattr(PrintCoPartner, "update", refuse)
    client.force_login(staff_in("Manager"))
    retry(client, row, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.state == "failed" and row.error == "Not remade: PrintCo: order is already in production (HTTP 400)"


def test_retry_where_the_partner_cannot_remake_says_so(client, tasks_inline, django_capture_on_commit_callbacks):
    row = failed_row(connection_of(kind="printco_basic", name="Basic"))
    client.force_login(staff_in("Manager"))
    retry(client, row, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert UPDATES == [] and row.state == "failed"
    assert row.error == "PrintCo Basic cannot be asked to remake print files through its API: ask the partner."


def test_retry_of_a_stuck_or_unknown_one_polls_it_now(
    client, printco, tasks_inline, django_capture_on_commit_callbacks
):
    row = row_of(sent_order(printco))
    AT_PARTNER[row.store_item_id] = ("rendering-v2", None)
    poll_now()
    PartnerPrintFile.objects.filter(pk=row.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
    AT_PARTNER[row.store_item_id] = ("processing", None)
    client.force_login(staff_in("Manager"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:fulfilment_partnerprintfile_changelist"),
            {"action": "retry_selected", "_selected_action": [row.pk], "index": "0"},
        )
    row.refresh_from_db()
    assert row.state == "processing" and row.polls == 2 and UPDATES == []


def test_retry_is_refused_below_the_send_permission(client, printco, tasks_inline, django_capture_on_commit_callbacks):
    row = failed_row(printco)
    client.force_login(staff_in("Reviewer"))
    assert retry(client, row, django_capture_on_commit_callbacks).status_code == 403
    assert client.get(reverse("admin:fulfilment_partnerprintfile_retry", args=[row.pk])).status_code in (403, 405)
    assert UPDATES == [] and tasks_inline == []


# -- the admin ----------------------------------------------------------------------------------------


def test_the_order_page_shows_its_print_files_with_preview_size_and_download(client, printco):
    order = sent_order(printco)
    row = row_of(order)
    ready(row, png(300, 200), url="https://files.printco.example/x.png")
    poll_now()
    client.force_login(staff_in("Viewer"))
    page = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk])).content.decode()
    assert "print files made by the partner" in page.lower()
    assert reverse("admin:fulfilment_partnerprintfile_preview", args=[row.pk]) in page
    assert reverse("admin:fulfilment_partnerprintfile_file", args=[row.pk]) in page
    assert "300×200 px" in page and "Retry" not in page  # a Viewer may not retry

    served = client.get(reverse("admin:fulfilment_partnerprintfile_file", args=[row.pk]))
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == png(300, 200)
    preview = client.get(reverse("admin:fulfilment_partnerprintfile_preview", args=[row.pk]))
    assert preview["Content-Type"] == "image/png"


def test_a_failed_file_has_a_retry_button_for_managers(client, printco):
    row = failed_row(printco)
    client.force_login(staff_in("Manager"))
    page = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[row.order_id])).content.decode()
    assert f'formaction="{reverse("admin:fulfilment_partnerprintfile_retry", args=[row.pk])}' in page
    page = client.get(reverse("admin:fulfilment_partnerprintfile_change", args=[row.pk])).content.decode()
    assert "Retry (remake)" in page


def test_a_stored_file_that_is_not_what_it_should_be_is_not_served(client, printco):
    row = row_of(sent_order(printco))
    name = default_storage.save("partner-print-files/bad.pdf", ContentFile(b"<html><script>x</script></html>"))
    PartnerPrintFile.objects.filter(pk=row.pk).update(file=name, state="ready")
    client.force_login(staff_in("Viewer"))
    response = client.get(reverse("admin:fulfilment_partnerprintfile_file", args=[row.pk]))
    assert response.status_code == 403 and b"HTML page" in response.content


def test_the_partners_url_is_a_link_only_when_it_is_http(client, printco):
    row = row_of(sent_order(printco))
    client.force_login(staff_in("Viewer"))
    PartnerPrintFile.objects.filter(pk=row.pk).update(url="javascript:alert(1)")
    page = client.get(reverse("admin:fulfilment_partnerprintfile_change", args=[row.pk])).content.decode()
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page
    PartnerPrintFile.objects.filter(pk=row.pk).update(url="https://files.printco.example/x.pdf")
    page = client.get(reverse("admin:fulfilment_partnerprintfile_change", args=[row.pk])).content.decode()
    assert 'href="https://files.printco.example/x.pdf"' in page


def test_the_list_filters_by_state_and_connection_and_finds_by_order_ref(client, printco):
    order = sent_order(printco)
    other = sent_order(connection_of(name="Another PrintCo"))
    client.force_login(staff_in("Viewer"))
    url = reverse("admin:fulfilment_partnerprintfile_changelist")
    found = client.get(url, {"q": order.external_ref}).content.decode()
    assert row_of(order).store_item_id in found and row_of(other).store_item_id not in found
    by_connection = client.get(url, {"connection": str(printco.pk)}).content.decode()
    assert row_of(order).store_item_id in by_connection and row_of(other).store_item_id not in by_connection
    assert row_of(order).store_item_id not in client.get(url, {"state": "failed"}).content.decode()


def test_the_connection_filter_names_each_connection_once_however_many_files_it_has(client, printco):
    sent_order(printco, items=3)
    client.force_login(staff_in("Viewer"))
    page = client.get(reverse("admin:fulfilment_partnerprintfile_changelist")).content.decode()
    assert page.count(f"?connection={printco.pk}") == 1


def test_a_failed_file_is_said_at_the_top_of_its_order_and_counted_in_the_order_list(client, printco):
    row = failed_row(printco)
    fine = sent_order(printco)
    client.force_login(staff_in("Viewer"))
    page = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[row.order_id])).content.decode()
    top = page[: page.index("Customer and shipping")]
    assert 'id="print-file-failed"' in top and row.store_item_id in top
    assert reverse("admin:fulfilment_partnerprintfile_change", args=[row.pk]) in top
    other = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[fine.pk])).content.decode()
    assert 'id="print-file-failed"' not in other

    listed = client.get(reverse("admin:fulfilment_fulfilmentorder_changelist")).content.decode()
    assert '<span class="badge badge-failed">1 failed</span>' in listed
    assert '<span class="badge badge-running">1 received</span>' in listed


def test_the_preview_links_to_the_stored_file_and_is_not_cropped(client, printco):
    row = row_of(sent_order(printco))
    ready(row, png(300, 200), url="https://files.printco.example/x.png")
    poll_now()
    client.force_login(staff_in("Viewer"))
    page = client.get(reverse("admin:fulfilment_partnerprintfile_change", args=[row.pk])).content.decode()
    file_url = reverse("admin:fulfilment_partnerprintfile_file", args=[row.pk])
    assert f'<a href="{file_url}" title="Open the print file"><img class="print-file-preview"' in page


# -- operators ---------------------------------------------------------------------------------------


def test_the_command_polls_due_or_all_of_one_connection(printco, capsys):
    order = sent_order(printco, items=2)
    other = sent_order(connection_of(name="Another PrintCo"))
    ready(row_of(order, 0), pdf())

    call_command("poll_print_files", "--connection", "PrintCo", "--no-progress")
    assert "0 print files polled: none due" in capsys.readouterr().out  # not due yet

    call_command("poll_print_files", "--connection", str(printco.pk), "--all", "--no-progress")
    assert "2 print files polled: 1 received, 1 stored" in capsys.readouterr().out
    assert row_of(other).polls == 0

    with pytest.raises(CommandError, match="no connection 'Nope'"):
        call_command("poll_print_files", "--connection", "Nope")


def test_the_command_refuses_a_connection_that_makes_no_print_files(gateway):
    with pytest.raises(CommandError, match="does not make print files to poll"):
        call_command("poll_print_files", "--connection", gateway.name)


def test_each_such_connection_has_its_own_poll_schedule_staff_can_change(client, printco, gateway):
    connection_schedule_update(printco)
    connection_schedule_update(gateway)
    task = PeriodicTask.objects.get(task=PRINT_FILES_POLL_TASK)
    assert json.loads(task.args) == [printco.pk] and task.enabled and task.interval.every == 1
    # A Manager makes it every 5 minutes; saving the connection again keeps that.
    task.interval = type(task.interval).objects.create(every=5, period="minutes")
    task.save()
    printco.is_active = False
    printco.save()
    connection_schedule_update(printco)
    task.refresh_from_db()
    assert task.interval.every == 5 and not task.enabled
    printco.is_active = True
    printco.save()
    connection_schedule_update(printco)

    client.force_login(staff_in("Manager"))
    page = client.get(reverse("admin:orders_vendorconnection_change", args=[printco.pk])).content.decode()
    assert "Poll print files PrintCo" in page and "every 5 minutes" in page
    assert (
        "Poll print files"
        not in client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
    )


def test_the_scheduled_task_polls_the_connections_due_files(printco, tasks_inline):
    from fulfilment.tasks import partner_print_files_poll_task

    row = row_of(sent_order(printco))
    PartnerPrintFile.objects.filter(pk=row.pk).update(next_poll_at=timezone.now())
    assert partner_print_files_poll_task.apply(args=[printco.pk]).get() == {"polled": 1, "received": 1}
    assert partner_print_files_poll_task.apply(args=[999999]).get() == {"polled": 0, "connection": "gone"}
