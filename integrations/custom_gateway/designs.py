"""Custom Gateway's saved designs and print jobs as customizations (vendor doc: "Saving a User's
Design", "Handling The Callback", "Adding to Cart", "Restoring a User's Design").

- The save-design callback: the personalisation app makes an application/x-www-form-urlencoded
  form POST whose `data` field is a JSON object {created_from, ref, thumbnails: [{name, url,
  description}], ...}. `saved_design_parse` reads it (bounded, typed; HookInvalid in words) and
  `saved_design_record` maps it to a neutral CustomizationRecord: thumbnails as sides, the reload
  link (created_from + "&ps=" + ref) kept as each side's tool URL and in `options`.
- Print jobs: the `printJobRef` of an ADD_TO_CART_CALLBACK, captured by the store and pasted here.
  The doc lets us know nothing of a print job but its ref (no lookup call, no thumbnail URL
  pattern), so `print_job_record` is a customization with no sides whose `production_data`
  carries the line property the Order-iT body sends as a type 2 item (`print_job_ref`), and says
  that the artwork is at the partner (no print file of ours is needed to send it).

Plain Python: nothing here imports Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from integrations.markup import http_url

from ..partners import HookInvalid
from ..sources import CustomizationRecord, CustomizationStatus, SideRecord

# The doc's refs are 18 upper-case hex digits ("44EEEA752F59C3A3B1", "CF921CF10F59B3A258") but it
# never says so: any letters, digits, "-" and "_" up to the column (64, with our prefix) are taken.
REF = re.compile(r"[A-Za-z0-9_-]{1,50}")
MAX_THUMBNAILS = 50
MAX_FORM_FIELDS = 50
URL_CHARS = 2000
TEXT_CHARS = 255
SAVED_DESIGN_PREFIX = "design-"
PRINT_JOB_PREFIX = "printjob-"
# A thumbnail of the same view in another size: "thumbnail_60" is "thumbnail", 60 px.
SIZED = re.compile(r"^(?P<base>.*?)_(?P<size>\d{1,5})$")


@dataclass(frozen=True)
class Thumbnail:
    name: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class SavedDesign:
    ref: str
    created_from: str  # the app URL it was made in ("" when not an http(s) URL)
    thumbnails: tuple[Thumbnail, ...]
    raw: dict

    @property
    def reload_url(self) -> str:
        """The doc: "taking the value of the created_from field and appending &ps= and the value
        of the ref field". A Smartlink's parameters are in its fragment (#p=...&r=...); one with
        neither a fragment nor a query gets "#ps=" so the app still sees the parameter."""
        if not self.created_from:
            return ""
        joiner = "&" if ("#" in self.created_from or "?" in self.created_from) else "#"
        return f"{self.created_from}{joiner}ps={self.ref}"


def _text(value: Any, what: str, limit: int = TEXT_CHARS) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise HookInvalid(f"{what} is not text")
    return str(value).replace("\x00", "")[:limit]


def ref_clean(value: Any, what: str = "the ref") -> str:
    """A saved design's or print job's ref, stripped; HookInvalid (a ValueError) in words."""
    ref = _text(value, what, 200).strip()
    if not ref:
        raise HookInvalid(f"{what} is missing")
    if not REF.fullmatch(ref):
        shown = ref if len(ref) <= 40 else ref[:37] + "..."
        raise HookInvalid(f"{what} {shown!r} is not a reference (letters, digits, - and _, at most 50)")
    return ref


def _form_data(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HookInvalid(f"the callback body is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise HookInvalid("the callback body is empty")
    if text.lstrip().startswith(("{", "[")):
        # The doc says a form POST with a `data` field: a bare JSON body is not what it sends.
        raise HookInvalid("the callback body is JSON, not a form with a data field")
    try:
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise HookInvalid(f"the callback body is not a form (application/x-www-form-urlencoded): {exc}") from None
    values = [value for name, value in fields if name == "data"]
    if not values:
        raise HookInvalid("the callback form has no data field")
    if len(values) > 1:
        raise HookInvalid("the callback form has more than one data field")
    return values[0]


def _thumbnails(value: Any) -> tuple[Thumbnail, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise HookInvalid("thumbnails is not a list")
    if len(value) > MAX_THUMBNAILS:
        raise HookInvalid(f"the design has {len(value)} thumbnails (at most {MAX_THUMBNAILS})")
    thumbnails = []
    for index, entry in enumerate(value, start=1):
        where = f"thumbnail {index}"
        if not isinstance(entry, dict):
            raise HookInvalid(f"{where} is not an object")
        thumbnails.append(
            Thumbnail(
                name=_text(entry.get("name"), f"{where} name", 64).strip() or f"thumbnail_{index}",
                # Shown (through the image proxy): only an http(s) URL is kept, raw keeps the rest.
                url=http_url(_text(entry.get("url"), f"{where} url", URL_CHARS)),
                description=_text(entry.get("description"), f"{where} description"),
            )
        )
    return tuple(thumbnails)


def saved_design_parse(body: bytes | str) -> SavedDesign:
    """The save-design callback: a form whose `data` field is a JSON object with a `ref`."""
    raw_body = body.encode("utf-8") if isinstance(body, str) else body
    data_text = _form_data(raw_body)
    try:
        data = json.loads(data_text)
    except (ValueError, RecursionError) as exc:
        raise HookInvalid(f"the data field is not JSON: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise HookInvalid(f"the data field is a JSON {type(data).__name__}, not an object")
    return SavedDesign(
        ref=ref_clean(data.get("ref"), "the design's ref"),
        created_from=http_url(_text(data.get("created_from"), "created_from", URL_CHARS)),
        thumbnails=_thumbnails(data.get("thumbnails")),
        raw=data,
    )


def _views(thumbnails: Sequence[Thumbnail]) -> list[tuple[str, Thumbnail]]:
    """One thumbnail per view, in the order the views first appear: "thumbnail" and
    "thumbnail_60" are one view (the doc's example) shown by the unsized one, else the largest.
    The doc calls them thumbnails "for the user's design", not sides: each view is a side here."""
    best: dict[str, tuple[int, Thumbnail]] = {}
    for thumbnail in thumbnails:
        if not thumbnail.url:
            continue
        match = SIZED.match(thumbnail.name)
        base, size = (match["base"], int(match["size"])) if match and match["base"] else (thumbnail.name, 10**6)
        if base not in best or size > best[base][0]:
            best[base] = (size, thumbnail)
    return [(base, thumbnail) for base, (_, thumbnail) in best.items()]


def saved_design_record(design: SavedDesign) -> CustomizationRecord:
    """A saved design as a customization of the connection: same ref, same record (the raw data is
    what is compared, so a replay writes nothing)."""
    reload_url = design.reload_url
    sides = tuple(
        SideRecord(
            external_id=base[:64],
            position=position,
            name=(thumbnail.description or base.replace("_", " ").capitalize())[:TEXT_CHARS],
            preview_url=thumbnail.url,
            design_url=thumbnail.url,
            generator_tool_url=reload_url,
            raw={"name": thumbnail.name, "url": thumbnail.url, "description": thumbnail.description},
        )
        for position, (base, thumbnail) in enumerate(_views(design.thumbnails))
    )
    raw = design.raw
    product = raw.get("product_name") or raw.get("name")
    return CustomizationRecord(
        external_id=f"{SAVED_DESIGN_PREFIX}{design.ref}",
        raw=raw,
        # Nothing else gates what a customer made in the vendor's designer: it waits for staff's
        # artwork approval (the review queue) whatever the connection's review setting.
        status=CustomizationStatus.ARTWORK_APPROVAL_PENDING,
        vendor_status="saved design",
        product_title=(product if isinstance(product, str) and product.strip() else "Custom Gateway saved design")[
            :500
        ],
        sku=_text(raw.get("sku"), "sku") if isinstance(raw.get("sku"), str) else "",
        options={"saved_design_ref": design.ref, "reload_url": reload_url, "created_from": design.created_from},
        sides=sides,
        order_lines=None,  # a saved design is in no store order; leave any lines alone
    )


def saved_design_hook_parse(body: bytes) -> list[CustomizationRecord]:
    """The spec's parser for the "designs" hook."""
    return [saved_design_record(saved_design_parse(body))]


def print_job_record(ref: str) -> CustomizationRecord:
    """A print job (its `printJobRef`) as a customization. The doc has no call to read a print job
    and no thumbnail URL pattern: the ref is all we know, so it has no sides. Its production data
    carries what a fulfilment line sends (fulfilment.services.orders reads these two neutral keys):
    `line_properties` (LineToSend.properties: Order-iT's type 2 `print_job_ref`) and
    `artwork_at_partner` (the partner holds the artwork: no print file of ours is needed)."""
    ref = ref_clean(ref, "the print job ref")
    return CustomizationRecord(
        external_id=f"{PRINT_JOB_PREFIX}{ref}",
        raw={"printJobRef": ref},
        status=CustomizationStatus.ARTWORK_APPROVAL_PENDING,  # approved before it can be sent
        vendor_status="print job",
        product_title=f"Custom Gateway print job {ref}",
        options={"print_job_ref": ref},
        production_data=({"line_properties": {"print_job_ref": ref}, "artwork_at_partner": True},),
        order_lines=None,
    )
