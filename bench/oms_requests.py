"""Requests per order sent to Ideal Factory's OMS, through the real services, against its sandbox.

    .venv/bin/python bench/oms_requests.py [--orders 20] [--items 3] [--database-url URL]

Needs PostgreSQL. The database defaults to postgres://postgres@127.0.0.1:5432/backoffice_bench_oms
(created if missing, migrated; the shell's plain DATABASE_URL is ignored on purpose, so a bench
never writes into a development database: pass --database-url or set BENCH_DATABASE_URL). The
previous run's bench rows are deleted first. Settings: config.settings.test (print files kept in
memory, Celery's broker in memory, the sandbox app installed).

The whole app (its hooks and the sandboxes) is served over real HTTP from a thread of this
process (integrations.sandbox.server, no middleware), so the OMS sandbox's state is readable
here; every request it gets is counted by method and route. Tasks queued by the app (the poll a
print-files notification triggers) run inline, as a worker would run them. Two runs of
`--orders` orders of `--items` items each (every item mapped to a pushed catalogue variant):

1. polling: each order created and sent (`fulfilment_order_send`), then its print files polled
   (`partner_print_files_poll`) until every one is settled, every unsettled row made due before
   each round (time simulated: the sandbox moves a print file one step per poll, not per second,
   so waiting longer between polls would not change what it answers);
2. notified: the same, with the connection's print-files hook registered with the sandbox
   (`_notify-url`); the sandbox notifies when an item becomes ready and the hook's poll stores it,
   so the rounds poll only what is still due.

Per order and endpoint it prints the minimum (1 create, M print-status reads that answer ready,
M downloads) against the requests actually made, and the ratio. It exits 1 when a print file
does not end ready and stored, or the OMS holds a different number of orders than were sent.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import sys
import threading
from collections import Counter
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backoffice_bench_oms"
BENCH = "bench-oms"
TASKS: Counter = Counter()  # tasks the app queued, run inline
TASKS_LOCK = threading.Lock()
ROUTES = [
    ("POST", re.compile(r"/sandbox/idealfactory/api/v1/orders$"), "create order"),
    ("GET", re.compile(r"/sandbox/idealfactory/api/v1/order-items/[^/]+/print$"), "print status"),
    ("GET", re.compile(r"/sandbox/idealfactory/print-files/[^/]+\.pdf$"), "download"),
    ("POST", re.compile(r"/hooks/idealfactory/[^/]+/print-files/$"), "notification (OMS -> us)"),
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    return parser.parse_args(argv)


class Counting:
    """A WSGI app that counts each request by (method, route) before handing it on."""

    def __init__(self, app):
        self.app, self.counts, self.lock = app, Counter(), threading.Lock()

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        name = next((n for m, pattern, n in ROUTES if m == method and pattern.search(path)), f"other {method}")
        with self.lock:
            self.counts[name] += 1
        return self.app(environ, start_response)

    def take(self) -> Counter:
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts


def setup(database_url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchlib import database_create

    database_create(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    for name in ("integrations.http", "celery.app.trace", "fulfilment"):
        logging.getLogger(name).setLevel(logging.WARNING)

    call_command("migrate", verbosity=0)


def inline_tasks() -> None:
    """Tasks sent by name run here, as a worker would run them (tests' `tasks_inline`)."""
    from config.celery import app

    app.loader.import_default_modules()

    def send_task(name, args=(), kwargs=None, **options):
        with TASKS_LOCK:
            TASKS[name.rsplit(".", 1)[-1]] += 1
        return app.tasks[name].apply(args=args, kwargs=kwargs)

    app.send_task = send_task


def clean() -> None:
    from fulfilment.catalogue_models import CatalogueCategory, CatalogueProduct, CataloguePush, CatalogueVariant
    from fulfilment.models import FulfilmentItem, FulfilmentOrder, IncomingRequest
    from orders.models import Customization, VendorConnection

    connections = VendorConnection.objects.filter(name__startswith=BENCH)
    IncomingRequest.objects.filter(connection__in=connections).delete()
    FulfilmentItem.objects.filter(order__connection__in=connections).delete()
    FulfilmentOrder.objects.filter(connection__in=connections).delete()
    CataloguePush.objects.filter(connection__in=connections).delete()
    for model in (CatalogueVariant, CatalogueProduct, CatalogueCategory):
        model.objects.filter(connection__in=connections).delete()
    Customization.objects.filter(connection__in=connections).delete()
    connections.delete()


def make_designs(source, count: int, prefix: str) -> list:
    """`count` approved designs with a ready PNG artwork each, ordered on one store order."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from orders.models import Customization, CustomizationSide, OrderLine, SideArtwork, StoreOrder

    store_order = StoreOrder.objects.create(connection=source, external_id=f"{prefix}", name=f"#{prefix}")
    designs = []
    for n in range(count):
        customization = Customization.objects.create(
            connection=source,
            external_id=f"{prefix}-{n}",
            decision=Customization.Decision.APPROVED,
            sku="MUG-11",
            product_title="Mug 11oz",
        )
        side = CustomizationSide.objects.create(customization=customization, external_id=f"{prefix}-{n}", name="Front")
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
        content = buffer.getvalue()
        name = default_storage.save(f"artwork/bench/{side.pk}.png", ContentFile(content))
        SideArtwork.objects.create(
            side=side,
            state=SideArtwork.State.READY,
            file=name,
            content_type="image/png",
            sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
        )
        OrderLine.objects.create(
            store_order=store_order, customization=customization, quantity=1, variant_id="SV-MUG-11"
        )
        designs.append(customization)
    return designs


def run(kind: str, server, counter: Counting, orders: int, items: int) -> tuple[Counter, list[str]]:
    import requests
    from django.conf import settings
    from django.utils import timezone

    from fulfilment.catalogue_models import CatalogueCategory, CatalogueProduct, CatalogueVariant, VariantMapping
    from fulfilment.models import FulfilmentOrder, PartnerPrintFile
    from fulfilment.services.catalogue import catalogue_push
    from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send, hook_url_for
    from fulfilment.services.print_files import partner_print_files_poll
    from integrations.idealfactory import sandbox as if_sandbox
    from integrations.partners import HookKind
    from orders.models import VendorConnection

    if_sandbox.reset()
    box = if_sandbox.sandbox()
    source = VendorConnection.objects.create(
        name=f"{BENCH} source {kind}",
        kind="qstomizer",
        settings={"shop_domain": "bench.myshopify.com"},
        secrets={"api_key": "k-" + "x" * 20},
        sync_every_minutes=None,
    )
    oms = VendorConnection.objects.create(
        name=f"{BENCH} {kind}",
        kind="idealfactory",
        settings={"base_url": if_sandbox.base_url(server.url), "store_ids": "demo-store"},
        secrets={"api_token": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    category = CatalogueCategory.objects.create(connection=oms, name="Mugs")
    product = CatalogueProduct.objects.create(category=category, name="Mug", order_column=1, team_id=1)
    variant = CatalogueVariant.objects.create(product=product, name="Mug 11oz", country_id=1)
    assert catalogue_push(variant).ok
    VariantMapping.objects.create(
        connection=oms,
        match_by=VariantMapping.MatchBy.STORE_VARIANT,
        match_value="SV-MUG-11",
        catalogue_variant=variant,
    )
    if kind == "notified":
        hook = hook_url_for(oms, HookKind.PRINT_FILES_READY)
        requests.post(
            f"{server.url}/sandbox/idealfactory/_notify-url", json={"url": hook}, timeout=5
        ).raise_for_status()
    counter.take()  # the catalogue set-up is not the orders' cost

    shipping = {
        "customer_name": "Ada Lovelace",
        "shipping_address_1": "Pinewood Court",
        "shipping_address_4": "Macclesfield",
        "shipping_postcode": "SK10 2XR",
        "shipping_country_code": "GB",
        "shipping_method": "Standard",
    }
    problems = []
    for n in range(orders):
        designs = make_designs(source, items, f"{kind}-{n}")
        order = fulfilment_order_create(connection=oms, customizations=designs, shipping=shipping)
        if fulfilment_order_send(order).state != FulfilmentOrder.State.SENT:
            problems.append(f"{order}: not sent")
    rows = PartnerPrintFile.objects.filter(order__connection=oms)
    for _round in range(20):
        if not rows.filter(next_poll_at__isnull=False).exists():
            break
        if kind == "polling":
            rows.filter(next_poll_at__isnull=False).update(next_poll_at=timezone.now())  # time passes
        else:
            # Only what the notifications left: the rows still unsettled become due with time.
            _wait_for_notifications(box, rows)
            rows.filter(next_poll_at__isnull=False).update(next_poll_at=timezone.now())
        partner_print_files_poll(connection=oms, limit=10_000)
    _wait_for_notifications(box, rows)
    with TASKS_LOCK:
        hook_polls = TASKS.pop("partner_print_files_poll_task", 0)
    problems += [f"note: {hook_polls} polls triggered by a notification, for {rows.count()} print files"] * (
        kind == "notified"
    )
    for row in rows:
        if row.state != PartnerPrintFile.State.READY or not row.file:
            problems.append(f"{row.store_item_id}: {row.state} {row.error}")
    if len(box.orders) != orders:
        problems.append(f"the OMS holds {len(box.orders)} orders, {orders} were sent")
    return counter.take(), problems


def _wait_for_notifications(box, rows, timeout: float = 10.0) -> None:
    """Until every notification the sandbox sent has been answered (its poll ran inline)."""
    import time

    if not box.notify_url:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with box.lock:
            sent = sum(1 for item in box.items.values() if item.notified)
            answered = len(box.notifications)
        if answered >= sent:
            return
        time.sleep(0.02)
    print(f"  (waited {timeout} s: {answered} of {sent} notifications answered)", file=sys.stderr)


def report(kind: str, counts: Counter, orders: int, items: int) -> None:
    minimum = {"create order": 1, "print status": items, "download": items}
    print(f"\n{kind}: {orders} orders of {items} items")
    print(f"  {'endpoint':28} {'minimum':>8} {'actual':>8} {'ratio':>6}   (per order)")
    for name in ("create order", "print status", "download"):
        actual = counts[name] / orders
        print(f"  {name:28} {minimum[name]:8.2f} {actual:8.2f} {actual / minimum[name]:6.2f}")
    total_min = sum(minimum.values())
    total = sum(counts[name] for name in minimum) / orders
    print(f"  {'ours to the OMS, total':28} {total_min:8.2f} {total:8.2f} {total / total_min:6.2f}")
    others = {name: n for name, n in counts.items() if name not in minimum}
    for name, n in sorted(others.items()):
        print(f"  {name:28} {'':8} {n / orders:8.2f}")


def main(argv=None) -> int:
    args = parse_args(argv)
    setup(args.database_url)
    inline_tasks()
    from benchlib import code_version
    from django.conf import settings

    from integrations.sandbox.server import SandboxServer

    clean()
    server = SandboxServer(urlconf="config.urls")
    counter = Counting(server.httpd.get_app())
    server.httpd.set_app(counter)
    server.start()
    settings.PUBLIC_BASE_URL = server.url  # the hook URL the sandbox is given
    print(f"code {code_version()}; OMS sandbox and hooks at {server.url}")
    failed = False
    try:
        for kind in ("polling", "notified"):
            counts, problems = run(kind, server, counter, args.orders, args.items)
            report(kind, counts, args.orders, args.items)
            notes = [p.removeprefix("note: ") for p in problems if p.startswith("note: ")]
            problems = [p for p in problems if not p.startswith("note: ")]
            for note in notes:
                print(f"  ({note})")
            for problem in problems[:10]:
                print(f"  PROBLEM {problem}")
            failed = failed or bool(problems)
    finally:
        server.stop()
        clean()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
