"""Kickflip / MyCustomizer: designs become customizations, orders become store orders whose
lines point at those designs. The API has no date filter, so every sync walks both listings
(ascending, by lastIndex: see the client) and compares before writing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.db import transaction
from django.utils import timezone

from integrations.http import VendorError, VendorRejected

from ..models import Customization, OrderLine, StoreOrder
from .mycustomizer_mapping import map_design, map_order, record_id
from .sync_base import ConnectionSync, record_error
from .writer import existing_state

BATCH_SIZE = 100


class MyCustomizerSync(ConnectionSync):
    def run(self, since=None) -> None:  # `since` has no meaning here: the API cannot filter by date
        run = self.run_record
        run.window_end = timezone.now()
        run.save(update_fields=["window_end"])
        self.orders_read = self.orders_written = 0
        batch: list[dict] = []
        for design in self.client.iter_designs(page_size=BATCH_SIZE):
            batch.append(design)
            if len(batch) >= BATCH_SIZE:
                self._designs(batch)
                batch = []
        self._designs(batch)
        run.progress = 0.5
        self._beat()
        orders: list[dict] = []
        with ThreadPoolExecutor(max_workers=max(1, self.connection.detail_concurrency)) as pool:
            for order in self.client.iter_orders(page_size=BATCH_SIZE):
                orders.append(order)
                if len(orders) >= BATCH_SIZE:
                    self._orders(orders, pool)
                    orders = []
            self._orders(orders, pool)
        run.note = f"{self.orders_read} orders read, {self.orders_written} new or changed."[:255]

    # -- designs --------------------------------------------------------------------------

    def _designs(self, designs: list[dict]) -> None:
        if not designs:
            return
        run = self.run_record
        unique = {}
        for design in designs:
            unique.setdefault(record_id(design), design)
        run.fetched += len(unique)
        mapped = []
        for design_id, design in unique.items():
            try:
                mapped.append(map_design(design))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                self.skip(design_id or "without id", ValueError(f"unreadable design ({exc})"))
        self._write(mapped, existing_state(self.connection, [item.external_id for item in mapped]))
        self._beat()

    def _fetch_design(self, design_id: str):
        try:
            return self.client.design(design_id)
        except VendorRejected as exc:
            if exc.status in (401, 403):
                raise
            return exc
        except VendorError as exc:
            return exc

    # -- orders ---------------------------------------------------------------------------

    def _orders(self, orders: list[dict], pool: ThreadPoolExecutor) -> None:
        if not orders:
            return
        run = self.run_record
        mapped = {}
        for order in orders:
            try:
                item = map_order(order)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                record_error(run, f"Order {record_id(order) or '?'} was skipped: {exc}")
                run.failed += 1
                continue
            mapped[item["external_id"]] = item
        self.orders_read += len(mapped)
        known = dict(
            StoreOrder.objects.filter(connection=self.connection, external_id__in=list(mapped)).values_list(
                "external_id", "payload_hash"
            )
        )
        changed = [item for key, item in mapped.items() if known.get(key) != item["fields"]["payload_hash"]]
        if not changed:
            self._beat()
            return
        self._designs_missing({design_id for item in changed for design_id, _ in item["items"]}, pool)
        designs = dict(
            Customization.objects.filter(
                connection=self.connection,
                external_id__in=[design_id for item in changed for design_id, _ in item["items"]],
            ).values_list("external_id", "pk")
        )
        for item in changed:
            if any(design_id not in designs for design_id, _ in item["items"]):
                # A design could not be read: keep the order without its fingerprint, so the next
                # sync sees it as changed and tries that design again.
                item["fields"]["payload_hash"] = ""
        with transaction.atomic():
            saved = StoreOrder.objects.bulk_create(
                [
                    StoreOrder(connection=self.connection, external_id=item["external_id"], **item["fields"])
                    for item in changed
                ],
                update_conflicts=True,
                unique_fields=["connection", "external_id"],
                update_fields=list(changed[0]["fields"]),
            )
            order_pk = {order.external_id: order.pk for order in saved}
            OrderLine.objects.filter(store_order_id__in=order_pk.values()).delete()
            lines = {}
            for item in changed:
                for design_id, quantity in item["items"]:
                    if design_id not in designs:
                        record_error(run, f"Order {item['fields']['name']}: design {design_id} could not be read.")
                        continue
                    key = (designs[design_id], order_pk[item["external_id"]])
                    if key in lines:
                        lines[key].quantity += quantity
                    else:
                        lines[key] = OrderLine(customization_id=key[0], store_order_id=key[1], quantity=quantity)
            OrderLine.objects.bulk_create(lines.values())
        self.orders_written += len(changed)
        self._beat()

    def _designs_missing(self, design_ids: set[str], pool: ThreadPoolExecutor) -> None:
        """A design an order refers to but the designs listing did not show: read it by id."""
        present = set(
            Customization.objects.filter(connection=self.connection, external_id__in=design_ids).values_list(
                "external_id", flat=True
            )
        )
        missing = sorted(design_ids - present)
        if not missing:
            return
        fetched = []
        for design_id, result in zip(missing, pool.map(self._fetch_design, missing), strict=True):
            if isinstance(result, Exception):
                self.skip(design_id, result)
            else:
                fetched.append(result)
        self._designs(fetched)
