"""Alerts: each kind e-mails the staff who chose it once per incident (repeated failures count on
the open incident and alert nobody), and again only after the thing recovered and failed anew;
the chat webhook gets one post and its URL is never logged; two workers seeing one failure make
one incident."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import pytest
import responses
from django.core import mail
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from fulfilment.models import FulfilmentItem, FulfilmentOrder, PartnerPrintFile, StatusEvent, StockLevel
from fulfilment.services.announce import fulfilment_order_announce
from fulfilment.services.orders import fulfilment_order_send, fulfilment_order_to_check
from fulfilment.services.print_files import print_file_update
from integrations.http import VendorRejected
from operations.alerts_models import AlertKind, AlertPreference, Incident
from operations.services import alerts as alerts_service
from orders.models import SideArtwork
from orders.services.artwork import artwork_fetch
from orders.services.sync import customizations_sync
from tests.factories import CustomizationFactory, FulfilmentOrderFactory, SideFactory, staff_in

pytestmark = pytest.mark.django_db

CHAT_URL = "https://hooks.chat.example/services/T0001/B0001/s3cr3t-w3bh00k-t0k3n"


@pytest.fixture
def alerted(db, tasks_inline, settings):
    """A Viewer who gets every kind by e-mail; tasks run inline; no chat configured."""
    settings.BACKOFFICE_URL = "https://bo.example.com"
    settings.ALERT_CHAT_WEBHOOK_URL = ""
    user = staff_in("Viewer")
    user.email = "ops@example.com"
    user.save()
    alerts_service.alert_preference_set(user, email_kinds=AlertKind.values, chat_kinds=[])
    return user


def mails(kind: str) -> list:
    label = AlertKind(kind).label
    return [message for message in mail.outbox if message.subject.startswith(f"[Back office] {label}:")]


def sweep(run_callbacks, **kwargs):
    with run_callbacks(execute=True):
        return alerts_service.incidents_sweep(**kwargs)


# --- each kind: once per incident, again after recovery and a new failure ---------------------------


def test_a_failed_sync_alerts_once_until_a_good_sync(
    alerted, qstomizer_connection, sandbox, django_capture_on_commit_callbacks
):
    def failing_sync():
        sandbox.fail_next("orders", 401)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(VendorRejected):
            customizations_sync(connection=qstomizer_connection)

    failing_sync()
    failing_sync()  # the retry fails again: counted, not alerted
    assert len(mails(AlertKind.SYNC_FAILED)) == 1
    incident = Incident.objects.get(kind=AlertKind.SYNC_FAILED)
    assert (incident.is_open, incident.occurrences) == (True, 2)
    message = mails(AlertKind.SYNC_FAILED)[0]
    assert message.to == ["ops@example.com"]
    assert f"Sync of {qstomizer_connection.name} failed" in message.subject
    assert "https://bo.example.com/admin/orders/syncrun/" in message.body
    assert "What to do:" in message.body

    with django_capture_on_commit_callbacks(execute=True):
        customizations_sync(connection=qstomizer_connection)
    incident.refresh_from_db()
    assert not incident.is_open

    failing_sync()
    assert len(mails(AlertKind.SYNC_FAILED)) == 2
    assert Incident.objects.filter(kind=AlertKind.SYNC_FAILED).count() == 2


def test_a_partner_print_file_that_fails_alerts_once_until_it_is_ready(
    alerted, gateway, django_capture_on_commit_callbacks
):
    order = FulfilmentOrderFactory(connection=gateway, state="sent")
    item = FulfilmentItem.objects.create(order=order, customization=CustomizationFactory(), external_ref="C1")
    row = PartnerPrintFile.objects.create(order=order, item=item, store_item_id="BO-1-C1")

    def to(state, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            print_file_update(row, state=state, **fields)

    to("failed", error="The artwork is 20 dpi.")
    to("received")  # retried at the partner
    to("failed", error="The artwork is still 20 dpi.")
    assert len(mails(AlertKind.PRINT_FILE_FAILED)) == 1
    assert "20 dpi" in mails(AlertKind.PRINT_FILE_FAILED)[0].body
    assert Incident.objects.get().occurrences == 2

    to("ready")
    assert not Incident.objects.open().exists()
    to("failed", error="Broken again.")
    assert len(mails(AlertKind.PRINT_FILE_FAILED)) == 2


def test_an_artwork_download_that_fails_alerts_once_until_it_is_fetched(alerted, django_capture_on_commit_callbacks):
    side = SideFactory()  # the vendor gives no print file for it: the download fails
    artwork_fetch(side)
    artwork = SideArtwork.objects.get(side=side)
    assert artwork.state == "failed"
    sweep(django_capture_on_commit_callbacks)
    artwork_fetch(side, retry_failed=True)
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.PRINT_FILE_FAILED)) == 1

    SideArtwork.objects.filter(pk=artwork.pk).update(state="ready", error="")
    sweep(django_capture_on_commit_callbacks)
    assert not Incident.objects.open().exists()
    artwork_fetch(side, retry_failed=False)  # ready: nothing to do
    SideArtwork.objects.filter(pk=artwork.pk).update(state="pending")
    artwork_fetch(side)
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.PRINT_FILE_FAILED)) == 2


def test_an_order_in_a_problem_state_alerts_once_until_it_is_well(alerted, gateway, django_capture_on_commit_callbacks):
    order = FulfilmentOrderFactory(connection=gateway, shipping_postcode="")  # not sendable
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_order_send(order)
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_order_send(order)  # staff send it again: it fails again
    order.refresh_from_db()
    assert order.state == "failed"
    assert len(mails(AlertKind.ORDER_PROBLEM)) == 1
    message = mails(AlertKind.ORDER_PROBLEM)[0]
    assert "failed to send" in message.subject and "postcode" in message.body
    sweep(django_capture_on_commit_callbacks)  # the sweep sees it too: still one
    assert len(mails(AlertKind.ORDER_PROBLEM)) == 1

    # Sent after all (a partner's callback, as the services announce it): resolved.
    FulfilmentOrder.objects.filter(pk=order.pk).update(state="sent", status="accepted")
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_order_announce(order.pk, previous_state="failed")
    assert not Incident.objects.open().exists()

    order.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_order_to_check(order, "The answer was lost")
    assert len(mails(AlertKind.ORDER_PROBLEM)) == 2
    assert "needs a check" in mails(AlertKind.ORDER_PROBLEM)[1].subject


def test_a_late_order_alerts_once_until_it_ships(alerted, gateway, django_capture_on_commit_callbacks):
    order = FulfilmentOrderFactory(
        connection=gateway,
        state="sent",
        status="in_production",
        required_dispatch_date=timezone.localdate() - timedelta(days=1),
    )
    sweep(django_capture_on_commit_callbacks)
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.ORDER_LATE)) == 1
    assert order.external_ref in mails(AlertKind.ORDER_LATE)[0].subject

    FulfilmentOrder.objects.filter(pk=order.pk).update(status="shipped")
    sweep(django_capture_on_commit_callbacks)
    assert not Incident.objects.open().exists()

    again = FulfilmentOrderFactory(
        connection=gateway, state="sent", required_dispatch_date=timezone.localdate() - timedelta(days=2)
    )
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.ORDER_LATE)) == 2
    assert again.external_ref in mails(AlertKind.ORDER_LATE)[1].subject


def test_a_sent_order_with_no_callback_for_hours_alerts_once_until_one_comes(
    alerted, gateway, settings, django_capture_on_commit_callbacks
):
    settings.ALERT_NO_CALLBACK_HOURS = 24
    now = timezone.now()
    order = FulfilmentOrderFactory(connection=gateway, state="sent", status="accepted")
    FulfilmentOrder.objects.filter(pk=order.pk).update(sent_at=now - timedelta(hours=30))
    sweep(django_capture_on_commit_callbacks, now=now)
    sweep(django_capture_on_commit_callbacks, now=now)
    assert len(mails(AlertKind.NO_CALLBACK)) == 1
    assert "24 hours" in mails(AlertKind.NO_CALLBACK)[0].subject

    StatusEvent.objects.create(fulfilment_order=order, status="in_production", dedupe_key="x1", received_at=now)
    sweep(django_capture_on_commit_callbacks, now=now)
    assert not Incident.objects.open().exists()

    sweep(django_capture_on_commit_callbacks, now=now + timedelta(hours=25))  # silent again since
    assert len(mails(AlertKind.NO_CALLBACK)) == 2


def test_the_hd_quota_alerts_once_per_connection_until_files_are_made_again(
    alerted, django_capture_on_commit_callbacks
):
    customization = CustomizationFactory()
    artworks = [
        SideArtwork.objects.create(
            side=SideFactory(customization=customization), state="failed", error="Monthly HD quota reached."
        )
        for _ in range(3)
    ]
    sweep(django_capture_on_commit_callbacks)
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.HD_QUOTA)) == 1
    assert mails(AlertKind.PRINT_FILE_FAILED) == []  # the quota says it, not each file
    assert "3 print files" in mails(AlertKind.HD_QUOTA)[0].body

    SideArtwork.objects.filter(pk__in=[a.pk for a in artworks]).update(state="ready", error="")
    sweep(django_capture_on_commit_callbacks)
    assert not Incident.objects.open().exists()
    SideArtwork.objects.filter(pk=artworks[0].pk).update(state="failed", error="Monthly HD quota reached.")
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.HD_QUOTA)) == 2


def test_stock_below_its_threshold_alerts_once_until_it_is_back_above(
    alerted, gateway, django_capture_on_commit_callbacks
):
    level = StockLevel.objects.create(connection=gateway, sku="MUG-RED", quantity_available=3, low_stock_threshold=10)
    StockLevel.objects.create(connection=gateway, sku="MUG-BLUE", quantity_available=3)  # no threshold: never
    sweep(django_capture_on_commit_callbacks)
    StockLevel.objects.filter(pk=level.pk).update(quantity_available=2)
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.STOCK_LOW)) == 1
    assert "MUG-RED" in mails(AlertKind.STOCK_LOW)[0].subject

    StockLevel.objects.filter(pk=level.pk).update(quantity_available=40)
    sweep(django_capture_on_commit_callbacks)
    assert not Incident.objects.open().exists()
    StockLevel.objects.filter(pk=level.pk).update(quantity_available=1)
    sweep(django_capture_on_commit_callbacks)
    assert len(mails(AlertKind.STOCK_LOW)) == 2


# --- who gets what ---------------------------------------------------------------------------------


def test_each_staff_member_gets_only_the_kinds_they_chose(
    db, tasks_inline, gateway, django_capture_on_commit_callbacks
):
    def member(role, email, kinds, *, active=True):
        user = staff_in(role)
        user.email, user.is_active = email, active
        user.save()
        alerts_service.alert_preference_set(user, email_kinds=kinds, chat_kinds=[])
        return user

    member("Manager", "stock@example.com", [AlertKind.STOCK_LOW])
    member("Reviewer", "syncs@example.com", [AlertKind.SYNC_FAILED])
    member("Viewer", "gone@example.com", [AlertKind.STOCK_LOW], active=False)
    staff_in("Viewer")  # never chose anything: gets nothing
    StockLevel.objects.create(connection=gateway, sku="TEE-S", quantity_available=0, low_stock_threshold=5)

    sweep(django_capture_on_commit_callbacks)

    assert [message.to for message in mail.outbox] == [["stock@example.com"]]
    assert Incident.objects.get().emailed_to == 1


# --- the chat webhook ------------------------------------------------------------------------------


@responses.activate
def test_the_chat_gets_one_post_and_its_url_is_never_logged(
    db, tasks_inline, gateway, settings, caplog, django_capture_on_commit_callbacks
):
    settings.ALERT_CHAT_WEBHOOK_URL = CHAT_URL
    user = staff_in("Viewer")
    alerts_service.alert_preference_set(user, email_kinds=[], chat_kinds=[AlertKind.STOCK_LOW])
    responses.post(CHAT_URL, status=500)  # the chat is down: retried
    responses.post(CHAT_URL, body="ok")
    StockLevel.objects.create(connection=gateway, sku="CAP-1", quantity_available=1, low_stock_threshold=4)

    with caplog.at_level(logging.DEBUG):
        sweep(django_capture_on_commit_callbacks)
        sweep(django_capture_on_commit_callbacks)

    assert len(responses.calls) == 2  # the 500, then its retry; the second sweep posts nothing
    posted = json.loads(responses.calls[-1].request.body)
    assert "CAP-1" in posted["text"] and "What to do" in posted["text"]
    assert Incident.objects.get().chatted_at is not None
    assert "chat alert for incident" in caplog.text  # the failure is logged...
    assert "s3cr3t" not in caplog.text and "hooks.chat.example" not in caplog.text  # ...without the URL
    assert mail.outbox == []  # nobody chose e-mail


# --- once, whoever sees it first -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_seeing_the_same_failure_open_one_incident(require_postgres):
    problem = alerts_service.Problem(kind=AlertKind.SYNC_FAILED, key="sync_failed:conn:999", title="Sync of X failed")
    start, results = threading.Barrier(4), []

    def worker():
        try:
            start.wait()
            results.append(alerts_service.incident_raise(problem))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len([incident for incident in results if incident is not None]) == 1
    incident = Incident.objects.get()
    assert incident.occurrences == 4


# --- the screens -----------------------------------------------------------------------------------


def test_my_alerts_saves_only_the_staff_members_own_known_choices(client):
    viewer, other = staff_in("Viewer"), staff_in("Manager")
    alerts_service.alert_preference_set(other, email_kinds=[AlertKind.SYNC_FAILED], chat_kinds=[])
    client.force_login(viewer)
    url = reverse("admin:operations_alertpreference_changelist")

    response = client.post(
        url, {"email": ["stock_low", "<script>", "x" * 5000], "chat": ["order_late"], "user": other.pk}
    )

    assert response.status_code == 302
    assert AlertPreference.objects.get(user=viewer).email_kinds == ["stock_low"]
    assert AlertPreference.objects.get(user=viewer).chat_kinds == ["order_late"]
    assert AlertPreference.objects.get(user=other).email_kinds == ["sync_failed"]  # untouched
    page = client.get(url).content.decode()
    assert 'value="stock_low" id="email-stock_low" checked' in page


def test_managers_filter_the_incidents_by_kind_and_open(client):
    Incident.objects.create(kind=AlertKind.SYNC_FAILED, key="sync_failed:conn:1", title="Sync of A failed")
    Incident.objects.create(
        kind=AlertKind.SYNC_FAILED, key="sync_failed:conn:2", title="Sync of B failed", resolved_at=timezone.now()
    )
    Incident.objects.create(kind=AlertKind.STOCK_LOW, key="stock_low:1", title="Stock low: MUG")
    client.force_login(staff_in("Manager"))

    page = client.get(reverse("admin:operations_incident_changelist"), {"kind__exact": "sync_failed", "open": "yes"})

    text = page.content.decode()
    assert page.status_code == 200
    assert "Sync of A failed" in text and "Sync of B failed" not in text and "Stock low: MUG" not in text
    client.force_login(staff_in("Viewer"))
    assert client.get(reverse("admin:operations_incident_changelist")).status_code == 403


def test_the_sweep_catches_a_recent_failure_no_event_announced_but_not_old_history(
    alerted, gateway, django_capture_on_commit_callbacks
):
    old = FulfilmentOrderFactory(connection=gateway, state="failed", last_error="Refused last month.")
    FulfilmentOrder.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
    missed = FulfilmentOrderFactory(connection=gateway, state="failed", last_error="The partner said no.")

    sweep(django_capture_on_commit_callbacks)

    assert [message.subject for message in mails(AlertKind.ORDER_PROBLEM)] == [
        f"[Back office] Fulfilment order has a problem: Fulfilment order {missed.external_ref} failed to send"
    ]
