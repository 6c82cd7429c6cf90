"""Who may open every admin URL and run every admin action: one declared table, walked for real.

The walk takes every URL pattern under ``admin.site.get_urls()`` (each ModelAdmin's own, its
``get_urls()`` extras, htmx partials and file views) and every action of every registered
ModelAdmin, and checks them for anonymous, Viewer, Reviewer and Manager against ``PAGES``,
``POSTS``, ``APP_LISTS`` and ``ACTIONS`` below. Those tables are the single source of truth: a URL
name or action that is not declared fails ``test_every_admin_url_and_action_is_declared``.

How to declare a new page or action (one row each):
- a page (GET shows something):        ``"<url name>": Page(VIEWER)``; ``denied=404`` where we hide
  that the object exists; ``fill="app.Model"`` when its ``<pk>`` is not the admin's own model.
- a URL that changes something (POST): ``"<url name>": Post(REVIEWER, data={...})``.
- the five standard pages of a ModelAdmin: ``**model_pages("app_model", view=..., add=..., delete=...)``.
- an action: ``ACTIONS["app.Model"]["action_name"] = MANAGER``.
The role is the least role that may do it; every lower role must be refused, every higher allowed.
NO_ROLE: no staff group may (only a superuser, or nobody where the admin forbids it outright).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.urls import URLPattern, URLResolver, resolve, reverse
from django.utils import timezone

from tests.factories import CustomizationFactory, SideFactory, staff_in

ANONYMOUS, VIEWER, REVIEWER, MANAGER, NO_ROLE = "anonymous", "Viewer", "Reviewer", "Manager", "no role"
RANK = {ANONYMOUS: 0, VIEWER: 1, REVIEWER: 2, MANAGER: 3, NO_ROLE: 4}
ROLES = [ANONYMOUS, VIEWER, REVIEWER, MANAGER]


@dataclass(frozen=True)
class Page:
    role: str  # the least role that may open it (ANONYMOUS: anyone)
    denied: int = 403  # what a staff role below gets; 404 where we deliberately hide existence
    ok: int = 200  # what an allowed role gets
    fill: str | None = None  # the world object for <pk>/<object_id>, if not the admin's own model


@dataclass(frozen=True)
class Post:
    role: str
    denied: int = 403
    fill: str | None = None
    data: dict = field(default_factory=dict)


def model_pages(prefix, *, view=VIEWER, add=MANAGER, delete=MANAGER):
    """The five pages every ModelAdmin has. Change and history open read-only with view."""
    return {
        f"{prefix}_changelist": Page(view),
        f"{prefix}_change": Page(view),
        f"{prefix}_history": Page(view),
        f"{prefix}_add": Page(add),
        f"{prefix}_delete": Page(delete),
    }


PAGES = {
    # The site's own pages.
    "login": Page(ANONYMOUS),
    "index": Page(VIEWER),
    "password_change": Page(VIEWER),
    "password_change_done": Page(VIEWER),
    "jsi18n": Page(VIEWER),
    # No ModelAdmin declares autocomplete_fields: the view refuses every request.
    "autocomplete": Page(NO_ROLE),
    # No model has get_absolute_url: "view on site" is a 404 for everyone.
    "view_on_site": Page(NO_ROLE, denied=404, fill="orders.VendorConnection"),
    # Users, groups and django-axes' lockout records: superusers only.
    **model_pages("auth_user", view=NO_ROLE, add=NO_ROLE, delete=NO_ROLE),
    "auth_user_password_change": Page(NO_ROLE, fill="auth.User"),
    **model_pages("auth_group", view=NO_ROLE, add=NO_ROLE, delete=NO_ROLE),
    **model_pages("axes_accessattempt", view=NO_ROLE, add=NO_ROLE, delete=NO_ROLE),
    **model_pages("axes_accesslog", view=NO_ROLE, add=NO_ROLE, delete=NO_ROLE),
    **model_pages("axes_accessfailurelog", view=NO_ROLE, add=NO_ROLE, delete=NO_ROLE),
    # Schedules (django-celery-beat): Managers change them.
    **model_pages("django_celery_beat_periodictask"),
    **model_pages("django_celery_beat_intervalschedule"),
    **model_pages("django_celery_beat_crontabschedule"),
    **model_pages("django_celery_beat_solarschedule"),
    **model_pages("django_celery_beat_clockedschedule"),
    # Vendor connections.
    **model_pages("orders_vendorconnection"),
    "orders_vendorconnection_rotate_hook": Page(MANAGER),
    # The Smartlink builder and its preview (a GET form): whoever may view the connection; only a
    # manager's link carries the save-design callback (tests/orders/test_smartlinks_admin.py).
    "orders_vendorconnection_smartlink": Page(VIEWER),
    "orders_vendorconnection_smartlink_preview": Page(VIEWER, ok=400),
    "orders_vendorconnection_print_jobs": Page(MANAGER, fill="orders.VendorConnection"),
    **model_pages("orders_syncrun", add=NO_ROLE),
    "orders_syncrun_progress": Page(VIEWER, denied=404, fill="orders.SyncRun"),
    # Customizations and store orders come from vendors: nobody adds or deletes them here.
    **model_pages("orders_customization", add=NO_ROLE, delete=NO_ROLE),
    **model_pages("orders_storeorder", add=NO_ROLE, delete=NO_ROLE),
    # The bad-words list is one screen.
    "orders_badwordlist_changelist": Page(VIEWER),
    "orders_badwordlist_preview": Page(MANAGER, fill="orders.VendorConnection:kickflip"),
    # Review.
    "orders_reviewitem_changelist": Page(VIEWER),
    "orders_reviewitem_review": Page(VIEWER, fill="orders.Customization"),
    "orders_reviewitem_artwork_file": Page(VIEWER, fill="orders.SideArtwork"),
    **model_pages("orders_reviewdecision", add=NO_ROLE, delete=NO_ROLE),
    **model_pages("orders_printrequirement"),
    **model_pages("orders_sideartwork", add=NO_ROLE, delete=NO_ROLE),
    # Fulfilment.
    **model_pages("fulfilment_fulfilmentorder", add=NO_ROLE),
    "fulfilment_fulfilmentorder_create": Page(MANAGER),
    "fulfilment_error_codes": Page(VIEWER),
    # Staff actions at the partner (send permission). Their pages say in words when the order
    # does not allow them now (the world's order is a Custom Gateway draft).
    "fulfilment_fulfilmentorder_update": Page(MANAGER),
    "fulfilment_fulfilmentorder_cancel": Page(MANAGER),
    "fulfilment_fulfilmentorder_confirm_sent": Page(MANAGER),
    "fulfilment_fulfilmentorder_send_again": Page(MANAGER),
    # POST only: their GET goes back to the order's page.
    "fulfilment_fulfilmentorder_refresh": Page(MANAGER, ok=302),
    "fulfilment_fulfilmentorder_probe": Page(MANAGER, ok=302),
    **model_pages("fulfilment_routingrule"),
    **model_pages("fulfilment_incomingrequest", add=NO_ROLE, delete=NO_ROLE),
    **model_pages("fulfilment_pushedorder", add=NO_ROLE, delete=NO_ROLE),
    "fulfilment_pushedorder_label": Page(VIEWER, fill="fulfilment.ShippingLabel"),
    "fulfilment_pushedorder_label_preview": Page(VIEWER, fill="fulfilment.ShippingLabel"),
    "fulfilment_pushedorder_label_print": Page(VIEWER, fill="fulfilment.ShippingLabel"),
    # The PDF of ?orders=...: with none given there is nothing to print (404, said in words).
    "fulfilment_pushedorder_labels_pdf": Page(MANAGER, ok=404),
    # Print files partners make: looked at by all, made by the partner (nobody adds or deletes).
    **model_pages("fulfilment_partnerprintfile", add=NO_ROLE, delete=NO_ROLE),
    "fulfilment_partnerprintfile_file": Page(VIEWER),
    "fulfilment_partnerprintfile_preview": Page(VIEWER),
    # Vendor images through our origin (a signed link to a cached copy or a placeholder).
    "orders_vendor_image": Page(VIEWER, fill="orders.ProxiedImage"),
    # A side's vendor preview mirrored into our storage as a thumbnail (its pk twice: pk, version).
    "orders_side_thumbnail": Page(VIEWER, fill="orders.CustomizationSide:thumbnail"),
    **model_pages("fulfilment_stocklevel"),
    "fulfilment_stocklevel_import": Page(MANAGER),
    **model_pages("fulfilment_stockpush", add=NO_ROLE, delete=NO_ROLE),
    # The partner's catalogue (saving pushes), its push history, mappings, batch orders.
    **model_pages("fulfilment_cataloguecategory"),
    **model_pages("fulfilment_catalogueproduct"),
    **model_pages("fulfilment_cataloguevariant"),
    **model_pages("fulfilment_cataloguepush", add=NO_ROLE, delete=NO_ROLE),
    **model_pages("fulfilment_variantmapping"),
    **model_pages("fulfilment_printtemplate"),
    **model_pages("fulfilment_batchorder", add=NO_ROLE, delete=NO_ROLE),
    "fulfilment_batchorder_combine": Page(MANAGER),
    # Virtual products made from approved designs, and the screen the customizations' action opens.
    **model_pages("fulfilment_virtualproduct", add=NO_ROLE, delete=NO_ROLE),
    "fulfilment_virtualproduct_create": Page(MANAGER),
    # Products made in the partner's creator (the world's connection has no VPC URL: the creator
    # page says so in words); their snapshots; pushed orders' stored artwork.
    **model_pages("fulfilment_creatorproduct", add=NO_ROLE),
    "fulfilment_creatorproduct_creators": Page(MANAGER),
    "fulfilment_creatorproduct_creator": Page(MANAGER, fill="orders.VendorConnection"),
    "fulfilment_creatorproduct_snapshot": Page(VIEWER),
    **model_pages("fulfilment_pushedasset", add=NO_ROLE, delete=NO_ROLE),
    "fulfilment_pushedasset_file": Page(VIEWER),
    # Alerts: every staff member chooses their own (one page, no other); Managers see incidents.
    "operations_alertpreference_changelist": Page(VIEWER),
    **model_pages("operations_incident", view=MANAGER, add=NO_ROLE, delete=NO_ROLE),
    # Notes and tags (operations): every note in one list (written and deleted on the things'
    # pages); the tags in use (Managers rename and delete them); the activity panel of a thing.
    **model_pages("operations_note", add=NO_ROLE, delete=NO_ROLE),
    **model_pages("operations_tag"),
    "operations_note_panel": Page(VIEWER, fill="fulfilment.FulfilmentOrder"),
    # Configuration history (django-auditlog): every role sees it, nobody writes or deletes it.
    **model_pages("auditlog_logentry", add=NO_ROLE, delete=NO_ROLE),
    # Holds and automation rules: Managers hold, release and reprint (the send permission) and
    # edit the rules; what the rules did is read-only. The world's order is a draft: its reprint
    # page says in words that only a shipped order can be reprinted; release is POST only.
    "fulfilment_fulfilmentorder_hold": Page(MANAGER),
    "fulfilment_fulfilmentorder_release": Page(MANAGER, ok=302),
    "fulfilment_fulfilmentorder_reprint": Page(MANAGER),
    **model_pages("operations_automationrule"),
    **model_pages("operations_ruleaction", add=NO_ROLE, delete=NO_ROLE),
    **model_pages("operations_autosend", add=NO_ROLE, delete=NO_ROLE),
    # The header's search box: any staff member; each group only for those who may view its model.
    "search": Page(VIEWER),
}

# URLs where only a POST does something (their GET redirects or is refused).
POSTS = {
    "orders_reviewitem_decide": Post(REVIEWER, fill="orders.Customization", data={"decision": "approve"}),
    "orders_reviewitem_undo": Post(MANAGER, fill="orders.Customization:decided"),
    "orders_reviewitem_artwork_retry": Post(REVIEWER, fill="orders.SideArtwork"),
    "orders_reviewitem_artwork_accept": Post(MANAGER, fill="orders.SideArtwork"),
    "orders_vendorconnection_rotate_hook": Post(MANAGER, fill="orders.VendorConnection", data={"confirm": "yes"}),
    "orders_vendorconnection_print_jobs": Post(MANAGER, fill="orders.VendorConnection", data={"refs": "AAA111"}),
    # Retry (the fulfilment send permission): a stored file is left alone.
    "fulfilment_partnerprintfile_retry": Post(MANAGER),
    # Test connection: one read on the vendor (the world's Kickflip points where nothing listens).
    "orders_vendorconnection_test": Post(MANAGER, fill="orders.VendorConnection:kickflip"),
    # The world's batch is Custom Gateway's: no status to read again, said in words (a redirect).
    "fulfilment_batchorder_refresh": Post(MANAGER, fill="fulfilment.BatchOrder"),
    # The creator's PRODUCTS_CREATED, posted by static/backoffice/vpc.js (an empty body: a 400).
    "fulfilment_creatorproduct_created": Post(MANAGER, fill="orders.VendorConnection"),
    # Ship and print: the world's pushed order has a shipment already, so nothing is queued.
    "fulfilment_pushedorder_ship_and_print": Post(MANAGER),
    # Fetch a label again: the world's label is stored (printed from storage, not fetched).
    "fulfilment_pushedorder_label_fetch": Post(MANAGER, fill="fulfilment.Shipment"),
    # My alerts: each staff member saves their own choices.
    "operations_alertpreference_changelist": Post(VIEWER, data={"email": ["stock_low"]}),
    # Notes and tags on a thing (Reviewers); deleting a note: its author or a Manager (the world's
    # note is the superuser's).
    "operations_note_write": Post(REVIEWER, fill="fulfilment.FulfilmentOrder", data={"text": "Called the customer."}),
    "operations_note_tag": Post(REVIEWER, fill="fulfilment.FulfilmentOrder", data={"tag": "rush"}),
    "operations_note_untag": Post(REVIEWER, fill="fulfilment.FulfilmentOrder", data={"tag": "rush"}),
    "operations_note_remove": Post(MANAGER),
    # Last: it ends the Viewer's session.
    "logout": Post(VIEWER),
}

# Each app's index page: a role with no permission in the app gets 404 (Django hides it).
APP_LISTS = {
    "orders": VIEWER,
    "fulfilment": VIEWER,
    "django_celery_beat": VIEWER,
    "auth": NO_ROLE,
    "axes": NO_ROLE,
    "operations": VIEWER,
    "auditlog": VIEWER,
}

ACTIONS = {
    "auth.User": {"delete_selected": NO_ROLE},
    "auth.Group": {"delete_selected": NO_ROLE},
    "axes.AccessAttempt": {"delete_selected": NO_ROLE, "cleanup_expired_attempts": NO_ROLE},
    "axes.AccessLog": {"delete_selected": NO_ROLE},
    "axes.AccessFailureLog": {"delete_selected": NO_ROLE},
    "django_celery_beat.PeriodicTask": {
        "delete_selected": MANAGER,
        "enable_tasks": MANAGER,
        "disable_tasks": MANAGER,
        "toggle_tasks": MANAGER,
        "run_tasks": MANAGER,
    },
    "django_celery_beat.IntervalSchedule": {"delete_selected": MANAGER},
    "django_celery_beat.CrontabSchedule": {"delete_selected": MANAGER},
    "django_celery_beat.SolarSchedule": {"delete_selected": MANAGER},
    "django_celery_beat.ClockedSchedule": {"delete_selected": MANAGER},
    "orders.VendorConnection": {"delete_selected": MANAGER, "sync_now": MANAGER},
    "orders.SyncRun": {"delete_selected": MANAGER},
    "orders.Customization": {
        "approve_selected": REVIEWER,
        "reject_selected": REVIEWER,
        "create_fulfilment_order": MANAGER,
        "create_virtual_products": MANAGER,
        "delete_selected": NO_ROLE,
    },
    "orders.StoreOrder": {"delete_selected": NO_ROLE},
    "orders.BadWordList": {"delete_selected": NO_ROLE},
    "orders.ReviewItem": {"delete_selected": NO_ROLE},
    "orders.ReviewDecision": {"delete_selected": NO_ROLE},
    "orders.PrintRequirement": {"delete_selected": MANAGER},
    "orders.SideArtwork": {"delete_selected": NO_ROLE, "retry_selected": REVIEWER},
    "fulfilment.FulfilmentOrder": {
        "delete_selected": MANAGER,
        "send_selected": MANAGER,
        "discard_selected": MANAGER,
        "combine_into_batch": MANAGER,
    },
    "fulfilment.IncomingRequest": {"delete_selected": NO_ROLE, "reprocess_selected": MANAGER},
    "fulfilment.PushedOrder": {"delete_selected": NO_ROLE, "ship_selected": MANAGER, "print_labels": MANAGER},
    "fulfilment.CreatorProduct": {"delete_selected": MANAGER},
    "fulfilment.PushedAsset": {"delete_selected": NO_ROLE, "retry_selected": MANAGER},
    "fulfilment.StockLevel": {"delete_selected": MANAGER, "push_selected": MANAGER, "push_all_changed": MANAGER},
    "fulfilment.StockPush": {"delete_selected": NO_ROLE},
    "fulfilment.PartnerPrintFile": {"delete_selected": NO_ROLE, "retry_selected": MANAGER},
    "fulfilment.RoutingRule": {"delete_selected": MANAGER},
    # Catalogue records are deleted one by one, at the partner first (their delete page).
    "fulfilment.CatalogueCategory": {"delete_selected": NO_ROLE, "push_again": MANAGER},
    "fulfilment.CatalogueProduct": {"delete_selected": NO_ROLE, "push_again": MANAGER},
    "fulfilment.CatalogueVariant": {"delete_selected": NO_ROLE, "push_again": MANAGER},
    "fulfilment.CataloguePush": {"delete_selected": NO_ROLE},
    "fulfilment.VariantMapping": {"delete_selected": MANAGER},
    "fulfilment.PrintTemplate": {"delete_selected": MANAGER},
    "fulfilment.BatchOrder": {"delete_selected": NO_ROLE},
    "fulfilment.VirtualProduct": {"delete_selected": NO_ROLE},
    "operations.Incident": {"delete_selected": NO_ROLE},
    "operations.AlertPreference": {"delete_selected": NO_ROLE},
    "operations.Note": {"delete_selected": NO_ROLE},
    "operations.Tag": {"delete_selected": MANAGER},
    "auditlog.LogEntry": {"delete_selected": NO_ROLE},
}
ACTIONS["fulfilment.FulfilmentOrder"] |= {"hold_selected": MANAGER, "release_selected": MANAGER}
ACTIONS["operations.AutomationRule"] = {"delete_selected": MANAGER}
ACTIONS["operations.RuleAction"] = {"delete_selected": NO_ROLE}
ACTIONS["operations.AutoSend"] = {"delete_selected": NO_ROLE}

# CSV export of lists (orders.admin.export) and the shipping screens (issue 12, items 4 and 7).
PAGES.update(
    {
        **{
            f"{prefix}_export": Page(VIEWER)
            for prefix in (
                "orders_customization",
                "orders_storeorder",
                "orders_reviewdecision",
                "fulfilment_fulfilmentorder",
                "fulfilment_stocklevel",
                "fulfilment_shipment",
            )
        },
        **model_pages("fulfilment_shipment", add=NO_ROLE, delete=NO_ROLE),
        "fulfilment_fulfilmentorder_packing_slip": Page(VIEWER),
        "fulfilment_pushedorder_packing_slip": Page(VIEWER),
        # The world's pushed order has a shipment already: the page waits for it (nothing queued).
        "fulfilment_pushedorder_ship_and_print": Page(MANAGER),
        # POST only: its GET goes back to the order's page.
        "fulfilment_pushedorder_label_fetch": Page(MANAGER, ok=302, fill="fulfilment.Shipment"),
    }
)
ACTIONS["fulfilment.PushedOrder"]["packing_slips"] = VIEWER
ACTIONS["fulfilment.FulfilmentOrder"]["packing_slips"] = VIEWER
ACTIONS["fulfilment.Shipment"] = {"delete_selected": NO_ROLE}


# --- the walk ---------------------------------------------------------------------------------


def _walk(patterns, route=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route + str(pattern.pattern))
        else:
            yield route + str(pattern.pattern), pattern


def admin_urls():
    """(route, pattern, model admin or None) for every URL under the admin site."""
    prefixes = {f"{m._meta.app_label}/{m._meta.model_name}/": ma for m, ma in admin.site._registry.items()}
    for route, pattern in _walk(admin.site.get_urls()):
        owner = next((ma for prefix, ma in prefixes.items() if route.startswith(prefix)), None)
        yield route, pattern, owner


def _is_django_redirect(route: str, pattern: URLPattern) -> bool:
    """Django's two unnamed patterns: <object_id>/ (redirects to change) and the final catch-all."""
    return route.endswith("<path:object_id>/") or str(pattern.pattern) == "(?P<url>.*)$"


def _png() -> bytes:
    """Real files: every file view re-sniffs what it serves and refuses anything else."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=288, height=432)
    writer.write(buffer)
    return buffer.getvalue()


def _proxied_image_token() -> str:
    from orders.models import ProxiedImage
    from orders.services.image_proxy import proxy_url, url_key

    url = "https://cdn.vendor.example/preview.png"
    ProxiedImage.objects.create(url_hash=url_key(url), url=url, state="refused", error="Refused for the walk.")
    return proxy_url(url).rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def world(db):
    """One object of every registered model (and of the models custom views take), so that every
    URL parameter can be filled with something real."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group, User
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from fulfilment.models import (
        FulfilmentItem,
        FulfilmentOrder,
        IncomingRequest,
        PartnerPrintFile,
        PushedOrder,
        RoutingRule,
        Shipment,
        ShippingLabel,
        StockLevel,
        StockPush,
    )
    from orders.models import (
        BadWordList,
        PrintRequirement,
        ReviewDecision,
        ReviewItem,
        SideArtwork,
        StoreOrder,
        SyncRun,
        VendorConnection,
    )

    gateway = VendorConnection(
        name="CG",
        kind="custom_gateway",
        settings={"company": "99999"},
        secrets={"api_key": "cg-key"},
        sync_every_minutes=None,
    )
    gateway.save()
    kickflip = VendorConnection.objects.create(
        name="KF",
        kind="kickflip",
        # Nothing listens here: the push preview shows the connection error in words.
        settings={"company": "brand", "base_url": "http://127.0.0.1:9/"},
        secrets={"api_key": "kf-token"},
        sync_every_minutes=None,
    )
    customization = CustomizationFactory(template_id="T1")
    decided = CustomizationFactory(connection=customization.connection, decision="approved")
    side = SideFactory(customization=customization)
    artwork = SideArtwork.objects.create(side=side, state="ready", content_type="image/png")
    artwork.file.save("front.png", ContentFile(_png()), save=True)
    pushed = PushedOrder.objects.create(connection=gateway, vendor_id="700")
    label = ShippingLabel.objects.create(
        shipment=Shipment.objects.create(order=pushed, vendor_id="1"), state="ready", content_type="application/pdf"
    )
    label.file.save("label.pdf", ContentFile(_pdf()), save=True)
    fulfilment_order = FulfilmentOrder.objects.create(
        connection=gateway, external_ref="FO-1", shipping_country_code="GB"
    )
    made = PartnerPrintFile.objects.create(
        order=fulfilment_order,
        item=FulfilmentItem.objects.create(order=fulfilment_order, customization=decided, external_ref="C1"),
        store_item_id="FO-1-C1",
        state="ready",
        content_type="application/pdf",
        next_poll_at=None,
    )
    made.file.save("print.pdf", ContentFile(_pdf()), save=False)
    made.preview.save("preview.png", ContentFile(_png()), save=True)
    interval = IntervalSchedule.objects.create(every=5, period="minutes")
    superuser = User.objects.create_superuser("root", password="x")
    objects = {
        "auth.User": superuser,
        "auth.Group": Group.objects.get(name="Viewer"),
        "axes.AccessAttempt": AccessAttempt.objects.create(username="x", ip_address="10.0.0.1", failures_since_start=1),
        "axes.AccessLog": AccessLog.objects.create(username="x", ip_address="10.0.0.1"),
        "axes.AccessFailureLog": AccessFailureLog.objects.create(username="x", ip_address="10.0.0.1"),
        "django_celery_beat.IntervalSchedule": interval,
        "django_celery_beat.CrontabSchedule": CrontabSchedule.objects.create(minute="0"),
        "django_celery_beat.SolarSchedule": SolarSchedule.objects.create(event="sunrise", latitude=51, longitude=0),
        "django_celery_beat.ClockedSchedule": ClockedSchedule.objects.create(clocked_time=timezone.now()),
        "django_celery_beat.PeriodicTask": PeriodicTask.objects.create(
            name="Sync something", task="orders.tasks.sync_connection_task", interval=interval, args="[0]"
        ),
        "orders.VendorConnection": gateway,
        "orders.VendorConnection:kickflip": kickflip,
        "orders.SyncRun": SyncRun.objects.create(connection=customization.connection, status="succeeded"),
        "orders.Customization": customization,
        "orders.Customization:decided": decided,
        "orders.ReviewItem": ReviewItem.objects.get(pk=customization.pk),
        "orders.StoreOrder": StoreOrder.objects.create(connection=customization.connection, external_id="1"),
        "orders.BadWordList": BadWordList.current(),
        "orders.ReviewDecision": ReviewDecision.objects.create(customization=decided, action="approved"),
        "orders.PrintRequirement": PrintRequirement.objects.create(template_id="T1", min_width=1, min_height=1),
        "orders.SideArtwork": artwork,
        "fulfilment.FulfilmentOrder": fulfilment_order,
        "fulfilment.PartnerPrintFile": made,
        "fulfilment.IncomingRequest": IncomingRequest.objects.create(kind="status_callback", method="POST"),
        "fulfilment.PushedOrder": pushed,
        "fulfilment.ShippingLabel": label,
        "fulfilment.Shipment": label.shipment,
        # The image proxy's URL parameter is a signed link, not a pk: a refused image is cached
        # for it, so the walk gets its placeholder without fetching anything.
        "orders.ProxiedImage": SimpleNamespace(pk=_proxied_image_token()),
        "orders.CustomizationSide:thumbnail": _thumbnail_side(customization),
        "fulfilment.StockLevel": StockLevel.objects.create(connection=gateway, sku="SKU-1", quantity_available=3),
        "fulfilment.StockPush": StockPush.objects.create(connection=gateway, status="succeeded"),
        "fulfilment.RoutingRule": RoutingRule.objects.create(connection=gateway, sku="MUG-*"),
        **_catalogue_world(gateway),
        "fulfilment.VirtualProduct": _virtual_product(customization, gateway),
        **_vpc_world(gateway, pushed),
        **_alerts_world(superuser),
        **_notes_world(fulfilment_order, superuser),
        **_rules_world(decided),
    }
    return objects


def _alerts_world(user) -> dict:
    from operations.models import AlertPreference, Incident

    return {
        "operations.Incident": Incident.objects.create(
            kind="sync_failed", key="sync_failed:conn:1", title="Sync failed"
        ),
        "operations.AlertPreference": AlertPreference.objects.create(user=user),
    }


def _notes_world(fulfilment_order, author) -> dict:
    from auditlog.models import LogEntry

    from operations.services.notes import note_add, tag_add

    tagging = tag_add(obj=fulfilment_order, user=author, name="vip")
    return {
        "operations.Note": note_add(obj=fulfilment_order, author=author, text="Packed twice."),
        "operations.Tag": tagging.tag,
        # Saving the world's connections recorded them (operations/audit.py).
        "auditlog.LogEntry": LogEntry.objects.order_by("pk").first(),
    }


def _rules_world(customization) -> dict:
    from operations.models import AutomationRule, AutoSend, RuleAction

    rule = AutomationRule.objects.create(name="Clean designs", kind="auto_approve")
    return {
        "operations.AutomationRule": rule,
        "operations.RuleAction": RuleAction.objects.create(rule=rule, what="approve", customization=customization),
        "operations.AutoSend": AutoSend.objects.create(rule=rule, customization=customization),
    }


def _thumbnail_side(customization):
    side = SideFactory(customization=customization, preview_url="https://cdn.vendor.example/side.png")
    side.thumbnail.save("thumb.png", ContentFile(_png()), save=False)
    side.thumbnail_source, side.thumbnail_state = side.preview_url, "ready"
    side.save()
    return side


def _virtual_product(customization, connection):
    from fulfilment.models import VirtualProduct

    return VirtualProduct.objects.create(
        customization=customization, connection=connection, base_product_id="10001", category_id="5", vendor_id="77"
    )


def _vpc_world(connection, pushed) -> dict:
    from fulfilment.models import CreatorProduct, PushedAsset, PushedOrderItem

    item = PushedOrderItem.objects.create(order=pushed, vendor_id="1")
    asset = PushedAsset.objects.create(item=item, position=0, state="ready", content_type="image/png")
    asset.file.save("asset.png", ContentFile(_png()), save=True)
    return {
        "fulfilment.CreatorProduct": CreatorProduct.objects.create(connection=connection, vendor_id="50001"),
        "fulfilment.PushedAsset": asset,
    }


def _catalogue_world(connection) -> dict:
    from django.contrib.contenttypes.models import ContentType

    from fulfilment.models import (
        BatchOrder,
        CatalogueCategory,
        CatalogueProduct,
        CataloguePush,
        CatalogueVariant,
        PrintTemplate,
        VariantMapping,
    )

    category = CatalogueCategory.objects.create(connection=connection, name="T-Shirts")
    product = CatalogueProduct.objects.create(category=category, name="Tee", order_column=1, team_id=5)
    variant = CatalogueVariant.objects.create(product=product, name="Large", country_id=1)
    return {
        "fulfilment.CatalogueCategory": category,
        "fulfilment.CatalogueProduct": product,
        "fulfilment.CatalogueVariant": variant,
        "fulfilment.CataloguePush": CataloguePush.objects.create(
            connection=connection,
            kind="category",
            content_type=ContentType.objects.get_for_model(category),
            object_id=category.pk,
            record_name="T-Shirts",
            action="create",
        ),
        "fulfilment.VariantMapping": VariantMapping.objects.create(
            connection=connection, match_by="sku", match_value="SKU-1", catalogue_variant=variant
        ),
        "fulfilment.PrintTemplate": PrintTemplate.objects.create(connection=connection, vendor_uid="TPL", name="A4"),
        "fulfilment.BatchOrder": BatchOrder.objects.create(
            connection=connection, vendor_id="B-1", status_code="Batching"
        ),
    }


@pytest.fixture
def clients(world):
    result = {ANONYMOUS: Client()}
    for role in ROLES[1:]:
        result[role] = Client()
        result[role].force_login(staff_in(role))
    return result


def _label(model_admin) -> str:
    return model_admin.model._meta.label


def _url(name: str, pattern: URLPattern, owner, world, fill: str | None) -> str:
    params = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
    key = fill or (_label(owner) if owner else None)
    kwargs = {}
    for param in params:
        if param == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            kwargs[param] = ContentType.objects.get_for_model(world[key]).pk
        else:
            assert key in world, f"admin:{name} takes <{param}>: add a {key} to the world fixture or a fill="
            kwargs[param] = world[key].pk
    return reverse(f"admin:{name}", kwargs=kwargs)


def _login_url() -> str:
    return reverse("admin:login")


def _ends_at_login(client, response) -> bool:
    hops = 0
    while response.status_code in (301, 302) and hops < 5:
        location = response["Location"]
        if location.split("?")[0] == _login_url():
            return True
        response = client.get(location)
        hops += 1
    return False


def _snapshot() -> str:
    """Every row the back office and its schedules hold, to tell that a refused request changed nothing."""
    from django.apps import apps

    rows = {}
    for app in ("orders", "fulfilment", "django_celery_beat"):
        for model in apps.get_app_config(app).get_models():
            rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return json.dumps(rows, cls=DjangoJSONEncoder, sort_keys=True, default=str)


def test_every_admin_url_and_action_is_declared(world):
    named, unnamed = set(), []
    for route, pattern, _owner in admin_urls():
        if pattern.name:
            named.add(pattern.name)
        elif not _is_django_redirect(route, pattern):
            unnamed.append(route)
    declared = set(PAGES) | set(POSTS) | {"app_list"}
    assert not unnamed, f"unnamed admin URLs (give them a name and declare them): {unnamed}"
    assert sorted(named - declared) == [], "admin URLs nobody declared: add a row to PAGES or POSTS"
    assert sorted(declared - named) == [], "declared admin URLs that no longer exist: remove their rows"
    registered_apps = {model._meta.app_label for model in admin.site._registry}
    assert registered_apps == set(APP_LISTS), "declare each admin app's index page in APP_LISTS"

    undeclared = []
    for model, model_admin in admin.site._registry.items():
        actions = {name for _func, name, _desc in model_admin._get_base_actions()}
        declared_actions = set(ACTIONS.get(model._meta.label, ()))
        undeclared += [f"{model._meta.label}: {name} not declared" for name in sorted(actions - declared_actions)]
        undeclared += [f"{model._meta.label}: {name} declared, gone" for name in sorted(declared_actions - actions)]
    assert not undeclared, "declare each admin action in ACTIONS:\n" + "\n".join(undeclared)


def _expect(row_role: str, role: str) -> bool:
    return RANK[role] >= RANK[row_role]


def test_every_admin_page_answers_each_role_as_declared(world, clients):
    failures = []
    checked = 0
    hook_token = world["orders.VendorConnection"].hook_token
    assert hook_token
    for _route, pattern, owner in admin_urls():
        name = pattern.name
        if name not in PAGES:
            continue
        row = PAGES[name]
        url = _url(name, pattern, owner, world, row.fill)
        for role in ROLES:
            client = clients[role]
            response = client.get(url)
            checked += 1
            # The hook secret is on one page only: the connection's, for those who may change it.
            body = b"" if response.streaming else response.content
            if hook_token.encode() in body and not (name == "orders_vendorconnection_change" and role == MANAGER):
                failures.append(f"{role} GET {url} ({name}) shows the hook secret")
            if role == ANONYMOUS and row.role != ANONYMOUS:
                if not _ends_at_login(client, response):
                    failures.append(f"anonymous GET {url}: {response.status_code}, not the login page")
            elif _expect(row.role, role):
                want = 302 if (name == "login" and role != ANONYMOUS) else row.ok
                if response.status_code != want:
                    failures.append(f"{role} GET {url} ({name}): {response.status_code}, expected {want}")
            elif response.status_code != row.denied:
                failures.append(f"{role} GET {url} ({name}): {response.status_code}, expected {row.denied} (refused)")
    for app_label, app_role in APP_LISTS.items():
        url = reverse("admin:app_list", kwargs={"app_label": app_label})
        for role in ROLES:
            response = clients[role].get(url)
            checked += 1
            if role == ANONYMOUS:
                ok = _ends_at_login(clients[role], response)
            else:
                ok = response.status_code == (200 if _expect(app_role, role) else 404)
            if not ok:
                failures.append(f"{role} GET {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked >= 4 * len(PAGES)
    # The Manager did see it, on the connection page (so the check above looks at real pages).
    page = clients[MANAGER].get(
        reverse("admin:orders_vendorconnection_change", args=[world["orders.VendorConnection"].pk])
    )
    assert hook_token in page.content.decode()


def test_every_post_only_admin_url_refuses_lower_roles_and_changes_nothing(world, clients):
    failures = []
    patterns = {pattern.name: (pattern, owner) for _route, pattern, owner in admin_urls() if pattern.name in POSTS}
    # Refusals first (the world must be unchanged by every one), then the allowed roles.
    for name, row in POSTS.items():
        pattern, owner = patterns[name]
        url = _url(name, pattern, owner, world, row.fill)
        for role in ROLES:
            if _expect(row.role, role):
                continue
            before = _snapshot()
            response = clients[role].post(url, row.data)
            refused = (
                _ends_at_login(clients[role], response) if role == ANONYMOUS else response.status_code == row.denied
            )
            if not refused:
                failures.append(f"{role} POST {url}: {response.status_code}, not refused")
            if _snapshot() != before:
                failures.append(f"{role} POST {url} changed data")
    for name, row in POSTS.items():
        pattern, owner = patterns[name]
        url = _url(name, pattern, owner, world, row.fill)
        role = row.role
        response = clients[role].post(url, row.data)
        if response.status_code in (403, 404, 405) or _ends_at_login(clients[role], response):
            failures.append(f"{role} POST {url}: {response.status_code}, refused but declared allowed")
    assert not failures, "\n".join(failures)


def test_every_admin_action_is_offered_and_refused_as_declared(world, clients):
    from django.test import RequestFactory

    failures = []
    users = {role: clients[role].session and _user_of(clients[role]) for role in ROLES[1:]}
    # A refused action changes nothing, so the state after one is the state before the next:
    # one snapshot per action tried, not two.
    before = _snapshot()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        obj = world[label]
        # BadWordList and ReviewItem serve their own screen at the changelist URL: no action runs there.
        own_screen = resolve(changelist).func.__name__ != "changelist_view"
        for action, action_role in ACTIONS[label].items():
            for role in ROLES:
                if role != ANONYMOUS:
                    request = RequestFactory().get(changelist)
                    request.user = users[role]
                    offered = action in model_admin.get_actions(request)
                    if offered != _expect(action_role, role):
                        failures.append(f"{role}: {label} action {action} offered={offered}, declared {action_role}")
                if _expect(action_role, role):
                    continue
                response = clients[role].post(
                    changelist,
                    {"action": action, ACTION_CHECKBOX_NAME: [obj.pk], "index": 0, "reason": "r", "apply": "1"},
                )
                if role == ANONYMOUS:
                    refused = _ends_at_login(clients[role], response)
                elif response.status_code == 302:
                    refused = response["Location"].split("?")[0] == changelist
                elif response.status_code == 200:
                    # Not even offered: the list (or the admin's own screen) is shown again.
                    refused = own_screen or any(t.name.endswith("change_list.html") for t in response.templates)
                else:
                    refused = response.status_code == 403
                if not refused:
                    failures.append(f"{role} ran {label} action {action}: {response.status_code}")
                after = _snapshot()
                if after != before:
                    failures.append(f"{role} ran {label} action {action}: data changed")
                    before = after
    assert not failures, "\n".join(failures)


def _user_of(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])
