"""The partner's catalogue, kept here and pushed (CATALOGUE): its API has create, read, update and
delete for categories, products and variants, but no list.

Saving a record pushes it (create when it has no partner id yet, else update), its parent first
when the parent is not at the partner yet; deleting one deletes it there first (a 404 there
means it is gone already). Every call and its answer is a CataloguePush. Pushes are synchronous:
staff expect the partner's answer on the page, and every call has the project's HTTP timeouts.

Also the one answer to "which partner variant is this order line sent as" (`line_variant_id`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.http import VendorError
from integrations.partners import CatalogueAnswer, NotSupported
from integrations.registry import Capability
from orders.models import OrderLine

from ..catalogue_models import (
    CatalogueCategory,
    CatalogueProduct,
    CataloguePush,
    CatalogueRecord,
    CatalogueVariant,
    PushState,
    VariantMapping,
)
from ..models import FulfilmentItem, FulfilmentOrder
from .partners import connection_partner
from .ratelimit import RateLimited, rate_limit_take

Action = CataloguePush.Action


class CatalogueRefused(ValueError):
    """Not done, and why, in words (the partner refused, or it cannot be done here)."""


# -- the body, in the partner's field names (the documented ones) ------------------------------


def _vendor_int(value: str) -> int | str:
    """A partner id where its documentation types an integer: an int when it is one, else the id
    as the partner gave it (it types the same ids as UID strings elsewhere)."""
    return int(value) if value.isdigit() else value


def catalogue_body(record: CatalogueRecord) -> dict[str, Any]:
    """What is sent for `record` (create and update alike), in the partner's documented field
    names, blanks left out. The one place that knows those names."""
    fields: dict[str, Any]
    if isinstance(record, CatalogueCategory):
        fields = {
            "name": record.name,
            "parent_id": record.parent.vendor_id if record.parent else "",  # a UID string
            "description": record.description,
            "default_dpi": record.default_dpi,
            "editor_category_id": record.editor_category_id,
            "default_location_id": record.default_location_id,  # a UID string here
        }
    elif isinstance(record, CatalogueProduct):
        fields = {
            "category_id": _vendor_int(record.category.vendor_id),
            "name": record.name,
            "code": record.code,
            "order_column": record.order_column,
            "active": record.active,
            "description": record.description,
            "default_dpi": record.default_dpi,
            "team_id": record.team_id,
            "editor_category_id": record.editor_category_id,
            "default_location_id": record.default_location_id,
        }
    elif isinstance(record, CatalogueVariant):
        fields = {
            "uuid": record.uuid,
            "name": record.name,
            "product_variant_category_id": record.product_variant_category_id,
            "product_id": _vendor_int(record.product.vendor_id),
            "price_id": record.price_id,
            "editor_product_id": record.editor_product_id,
            "weight": record.weight,
            "length": record.length,
            "width": record.width,
            "height": record.height,
            "description": record.description,
            "country_id": record.country_id,
            "customs_code": record.customs_code,
            "customs_description": record.customs_description,
            "long_customs_description": record.long_customs_description,
            "default_dpi": record.default_dpi,
            "seo_details": record.seo_details,
            "ecommerce_tags": record.ecommerce_tags,
            "default_location_id": record.default_location_id,
        }
    else:
        raise TypeError(f"not a catalogue record: {type(record).__name__}")
    return {name: value for name, value in fields.items() if value is not None and value != ""}


# -- push and delete ------------------------------------------------------------------------------


def _said_already(excerpt: str, said: str) -> bool:
    """Whether a JSON body's every text (e.g. {"message": "Product not found."}) is in `said`
    already: repeating it as JSON would only say it twice."""
    try:
        body = json.loads(excerpt)
    except ValueError:
        return False
    texts = [v for v in body.values() if isinstance(v, str)] if isinstance(body, dict) else []
    return bool(texts) and len(texts) == len(body) and all(text in said for text in texts)


def vendor_error_words(exc: Exception) -> str:
    if isinstance(exc, VendorError):
        said = str(exc)
        excerpt = (exc.excerpt or "").strip()
        if excerpt and excerpt not in said and not _said_already(excerpt, said):
            said += f". The partner said: {excerpt[:500]}"
        return said
    if isinstance(exc, RateLimited):
        return f"Not sent: {exc}. Push it again then."
    if isinstance(exc, NotSupported):
        return f"Not sent: the partner's adapter cannot do this ({exc or 'not supported'})."
    return str(exc)


def _record_push(
    record: CatalogueRecord,
    *,
    action: str,
    body: Mapping[str, Any],
    answer: Any,
    ok: bool,
    error: str,
    user,
) -> CataloguePush:
    return CataloguePush.objects.create(
        connection_id=record.connection_id,
        kind=record.kind.value,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        record_name=str(record)[:255],
        vendor_id=record.vendor_id,
        action=action,
        body=dict(body),
        answer=jsonable(answer),
        ok=ok,
        error=error,
        user=user if getattr(user, "pk", None) else None,
    )


def jsonable(value: Any) -> Any:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return {"answer": repr(value)[:2000]}
    return value


def _check_connection(record: CatalogueRecord) -> None:
    spec = record.connection.spec
    if not spec.has(Capability.CATALOGUE):
        raise CatalogueRefused(f"{spec.label} keeps no catalogue here: nothing was sent.")


def catalogue_push(record: CatalogueRecord, *, user=None) -> CataloguePush:
    """Create `record` at the partner (no partner id yet) or update it there; its parent first
    when the parent is not at the partner yet. The record's push state, time and error follow
    the answer; the push and its answer are recorded whatever happens. A parent that cannot be
    pushed stops the child: its push is recorded as failed, saying why.

    The record's row is locked for the call: two pushes of one record at once (Push again
    clicked twice) are one after the other, and the second updates what the first created."""
    _check_connection(record)
    with transaction.atomic():
        locked = type(record)._default_manager.select_for_update().only("vendor_id").get(pk=record.pk)
        record.vendor_id = locked.vendor_id
        return _catalogue_push_locked(record, user=user)


def _catalogue_push_locked(record: CatalogueRecord, *, user) -> CataloguePush:
    parent = record.parent_record()
    if parent is not None and not parent.vendor_id:
        parent_push = catalogue_push(parent, user=user)
        if not parent_push.ok:
            error = (
                f"Not sent: its {parent.kind.value} “{parent}” must be at the partner first, and pushing it "
                f"failed: {parent_push.error}"
            )
            return _push_done(record, action=_action(record), body={}, answer=None, error=error, user=user)
    body = catalogue_body(record)
    action = _action(record)
    try:
        rate_limit_take(record.connection)
        with connection_partner(record.connection) as partner:
            answer: CatalogueAnswer = partner.catalogue_save(record.kind, record.vendor_id, body)
    except (VendorError, RateLimited, NotSupported) as exc:
        return _push_done(record, action=action, body=body, answer=None, error=vendor_error_words(exc), user=user)
    if action == Action.CREATE and not answer.vendor_id:
        error = "The partner's answer gave no id for the new record: check it there before pushing again."
        return _push_done(record, action=action, body=body, answer=answer.raw, error=error, user=user)
    record.vendor_id = answer.vendor_id or record.vendor_id
    return _push_done(record, action=action, body=body, answer=answer.raw, error="", user=user)


def _action(record: CatalogueRecord) -> str:
    return Action.UPDATE if record.vendor_id else Action.CREATE


def _push_done(record, *, action, body, answer, error: str, user) -> CataloguePush:
    with transaction.atomic():
        record.push_state = PushState.FAILED if error else PushState.PUSHED
        record.last_error = error
        fields = ["push_state", "last_error", "vendor_id"]
        if not error:
            record.pushed_at = timezone.now()
            fields.append("pushed_at")
        # Only these: a push never overwrites what staff changed meanwhile.
        type(record).objects.filter(pk=record.pk).update(**{name: getattr(record, name) for name in fields})
        return _record_push(record, action=action, body=body, answer=answer, ok=not error, error=error, user=user)


def catalogue_delete(record: CatalogueRecord, *, user=None) -> CataloguePush | None:
    """Delete `record` at the partner, then here. Refused (CatalogueRefused, in words) while it has
    children here, or when the partner refuses: the record stays then. A 404 at the partner means
    it is gone there already. A record never pushed is only deleted here (None returned)."""
    if record.has_children():
        raise CatalogueRefused(f"“{record}” still has records under it: delete those first.")
    push = None
    if record.vendor_id:
        _check_connection(record)
        try:
            rate_limit_take(record.connection)
            with connection_partner(record.connection) as partner:
                answer = partner.catalogue_delete(record.kind, record.vendor_id)
        except VendorError as exc:
            if exc.status == 404:
                push = _record_push(
                    record,
                    action=Action.DELETE,
                    body={},
                    answer={"status": 404, "note": "Not found at the partner: gone already."},
                    ok=True,
                    error="",
                    user=user,
                )
            else:
                error = vendor_error_words(exc)
                _push_done(record, action=Action.DELETE, body={}, answer=None, error=error, user=user)
                raise CatalogueRefused(f"Not deleted: {error}") from None
        except (RateLimited, NotSupported) as exc:
            raise CatalogueRefused(f"Not deleted: {vendor_error_words(exc)}") from None
        else:
            push = _record_push(record, action=Action.DELETE, body={}, answer=answer.raw, ok=True, error="", user=user)
    record.delete()
    return push


# -- which partner variant an order line is sent as --------------------------------------------

_MATCH_ORDER = [VariantMapping.MatchBy.STORE_VARIANT, VariantMapping.MatchBy.TEMPLATE, VariantMapping.MatchBy.SKU]


def _store_variant_ids(order: FulfilmentOrder, item: FulfilmentItem) -> list[str]:
    lines = OrderLine.objects.filter(customization_id=item.customization_id).exclude(variant_id="")
    if order.store_order_id:
        # The line of this store order first, then any other order of the same design.
        ours = list(lines.filter(store_order_id=order.store_order_id).values_list("variant_id", flat=True))
        return ours + [v for v in lines.values_list("variant_id", flat=True) if v not in ours]
    return list(lines.order_by("pk").values_list("variant_id", flat=True))


def line_variant_id(order: FulfilmentOrder, item: FulfilmentItem) -> str:
    """The variant id (the partner's ecommerce_variant_id) to send for `item`: a mapping of the
    order's connection first (by the store's variant id, then the customizer's template id, then
    the SKU; a mapping to a catalogue variant not pushed yet is passed over), else the store's
    own variant id, else ""."""
    customization = item.customization
    store_variants = _store_variant_ids(order, item)
    wanted = {
        VariantMapping.MatchBy.STORE_VARIANT: store_variants,
        VariantMapping.MatchBy.TEMPLATE: [customization.template_id] if customization.template_id else [],
        VariantMapping.MatchBy.SKU: [s for s in dict.fromkeys([item.sku, customization.sku]) if s],
    }
    query = Q()
    for match_by, values in wanted.items():
        if values:
            query |= Q(match_by=match_by, match_value__in=values)
    if query:
        mappings = list(
            VariantMapping.objects.filter(query, connection_id=order.connection_id).select_related("catalogue_variant")
        )
        for match_by in _MATCH_ORDER:
            for value in wanted[match_by]:
                for mapping in mappings:
                    if mapping.match_by != match_by or mapping.match_value != value:
                        continue
                    target = (
                        mapping.catalogue_variant.vendor_id
                        if mapping.catalogue_variant
                        else mapping.ecommerce_variant_id
                    )
                    if target:
                        return target
    return store_variants[0] if store_variants else ""
