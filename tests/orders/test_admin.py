"""Staff screens in the admin: connections (write-only key, schedule, Sync now), runs, customizations."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection as db_connection
from django.urls import reverse

from orders.models import Customization, DesignNode, SyncRun, VendorConnection
from orders.services.image_proxy import proxy_url
from tests.factories import (
    CustomizationFactory,
    NodeFactory,
    OrderLineFactory,
    SideFactory,
    StaffFactory,
    StoreOrderFactory,
    VendorConnectionFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "qst-live-7f3a9c2e-very-secret"


def staff_with(*codenames):
    user = StaffFactory()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def manager(client):
    user = staff_with(
        "add_vendorconnection",
        "change_vendorconnection",
        "view_vendorconnection",
        "sync_vendorconnection",
        "view_syncrun",
        "view_customization",
    )
    client.force_login(user)
    return user


def connection_form(**overrides):
    data = {
        "name": "Main shop",
        "kind": "qstomizer",
        "is_active": "on",
        "shop_domain": "mystore.myshopify.com",
        "api_key": SECRET,
        "base_url": "",
        "sync_every_minutes": "15",
        "lookback_days": "30",
        "detail_concurrency": "8",
    }
    data.update(overrides)
    return data


def test_api_key_is_encrypted_at_rest_and_never_shown_back(client, manager):
    response = client.post(reverse("admin:orders_vendorconnection_add"), connection_form())
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    connection = VendorConnection.objects.get()
    assert connection.secret("api_key") == SECRET
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM orders_vendorconnection WHERE id = %s", [connection.pk])
        stored = cursor.fetchone()[0]
    assert SECRET not in stored
    assert connection.setting("base_url") == "https://api.bigvanet.com/v3"

    page = client.get(reverse("admin:orders_vendorconnection_change", args=[connection.pk]))
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "A key is stored" in page.content.decode()


def test_blank_key_on_edit_keeps_the_stored_key(client, manager):
    connection = VendorConnectionFactory(api_key=SECRET)
    url = reverse("admin:orders_vendorconnection_change", args=[connection.pk])

    response = client.post(url, connection_form(name=connection.name, api_key="", lookback_days="10"))

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.secret("api_key") == SECRET and connection.lookback_days == 10


def test_missing_key_on_create_is_a_clear_error(client, manager):
    response = client.post(reverse("admin:orders_vendorconnection_add"), connection_form(api_key=""))

    assert response.status_code == 200
    assert "Qstomizer needs the V3 API key." in response.content.decode()
    assert not VendorConnection.objects.exists()


def test_view_only_staff_sees_that_a_key_is_stored_but_not_the_key(client):
    connection = VendorConnectionFactory(api_key=SECRET)
    client.force_login(staff_with("view_vendorconnection"))

    page = client.get(reverse("admin:orders_vendorconnection_change", args=[connection.pk])).content.decode()

    assert "stored (encrypted)" in page
    assert SECRET not in page


def test_schedule_follows_the_connection_settings(client, manager):
    client.post(reverse("admin:orders_vendorconnection_add"), connection_form(sync_every_minutes="5"))
    connection = VendorConnection.objects.get()
    task = connection.periodic_task
    assert task.enabled and task.interval.every == 5 and task.task == "orders.tasks.sync_connection_task"

    url = reverse("admin:orders_vendorconnection_change", args=[connection.pk])
    client.post(url, connection_form(api_key="", sync_every_minutes=""))
    task.refresh_from_db()
    assert not task.enabled


def test_sync_now_queues_one_task_per_connection_and_shows_the_runs(
    client, manager, django_capture_on_commit_callbacks
):
    first, second = VendorConnectionFactory(), VendorConnectionFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("admin:orders_vendorconnection_changelist"),
            {"action": "sync_now", "_selected_action": [first.pk, second.pk]},
        )

    assert response.status_code == 302
    assert reverse("admin:orders_syncrun_changelist") in response["Location"]
    queued = sorted(callback.args[0] for callback in callbacks)
    assert queued == sorted([first.pk, second.pk])
    assert all(callback.keywords["trigger"] == SyncRun.Trigger.MANUAL for callback in callbacks)


def test_sync_now_needs_the_sync_permission(client):
    VendorConnectionFactory()
    client.force_login(staff_with("view_vendorconnection"))

    page = client.get(reverse("admin:orders_vendorconnection_changelist")).content.decode()

    assert "sync_now" not in page


def test_running_sync_progress_partial_polls_until_done(client, manager):
    run = SyncRun.objects.create(connection=VendorConnectionFactory(), progress=0.42, fetched=120)
    url = reverse("admin:orders_syncrun_progress", args=[run.pk])

    running = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in running and "42%" in running and "120 read" in running

    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED, progress=1.0)
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert (
        "hx-trigger" not in done
        and '<progress class="progress" max="100" value="100" aria-label="Sync progress">' in done
    )


def test_sync_run_screens_need_login(client):
    run = SyncRun.objects.create(connection=VendorConnectionFactory())
    for url in (
        reverse("admin:orders_syncrun_progress", args=[run.pk]),
        reverse("admin:orders_syncrun_changelist"),
        reverse("admin:orders_customization_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_customization_list_search_and_filters(client, manager):

    pending = CustomizationFactory(status=Customization.Status.PENDING)
    approval = CustomizationFactory(status=Customization.Status.ARTWORK_APPROVAL_PENDING, connection=pending.connection)
    order = StoreOrderFactory(connection=pending.connection, external_id="4889333336255", name="#3891")
    OrderLineFactory(customization=approval, store_order=order, quantity=2)
    url = reverse("admin:orders_customization_changelist")

    by_status = client.get(url, {"status__exact": "artwork_approval_pending"})
    assert list(by_status.context["cl"].result_list) == [approval]
    by_order = client.get(url, {"q": "#3891"})
    assert list(by_order.context["cl"].result_list) == [approval]
    by_id = client.get(url, {"q": pending.external_id})
    assert list(by_id.context["cl"].result_list) == [pending]
    assert "#3891" in by_status.content.decode()


def test_customization_detail_shows_sides_nodes_and_raw_payload(client, manager, django_assert_max_num_queries):
    customization = CustomizationFactory(payload={"status_id": 1, "sides": []}, user_notes="Please call me")
    front = SideFactory(customization=customization, name="Front", preview_url="https://cdn.test/front.jpg")
    NodeFactory(side=front, kind=DesignNode.Kind.TEXT, text="BASKETBALL", font_family="Carter One", font_size=40)
    NodeFactory(side=front, kind=DesignNode.Kind.IMAGE, text="", image_url="https://cdn.test/clip.png")

    page = client.get(reverse("admin:orders_customization_change", args=[customization.pk])).content.decode()

    for expected in (
        "Front",
        proxy_url("https://cdn.test/front.jpg"),  # vendor images through our own origin
        "BASKETBALL",
        "Carter One",
        proxy_url("https://cdn.test/clip.png"),
        "Please call me",
        "Raw vendor payload",
        "&quot;status_id&quot;: 1",
    ):
        assert expected in page
