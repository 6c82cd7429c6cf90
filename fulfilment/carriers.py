"""Carriers' public tracking pages: a carrier name as partners write it -> the page of a number.

Partners name carriers loosely ("hermes", "Royal Mail Tracked 24", "DPD UK"): a name is matched,
lower-cased and without spaces or punctuation, on its start against the aliases below. An unknown
carrier has no link (its number is shown as plain text). The number is URL-encoded whole, so a
tracking "number" from a vendor can never add a path, a query or a script to the link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    name: str
    url: str  # "{}" is replaced by the URL-encoded tracking number
    aliases: tuple[str, ...]


CARRIERS = (
    Carrier("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{}", ("royalmail", "rm")),
    Carrier("Parcelforce", "https://www.parcelforce.com/track-trace?trackNumber={}", ("parcelforce",)),
    Carrier("DPD", "https://track.dpd.co.uk/parcels/{}", ("dpd",)),
    Carrier("DHL", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={}", ("dhl",)),
    Carrier("UPS", "https://www.ups.com/track?tracknum={}", ("ups",)),
    Carrier("FedEx", "https://www.fedex.com/fedextrack/?trknbr={}", ("fedex", "federalexpress")),
    Carrier("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={}", ("usps", "unitedstatespostal")),
    Carrier("Evri (Hermes)", "https://www.evri.com/track/parcel/{}", ("evri", "hermes", "myhermes")),
    Carrier("Yodel", "https://www.yodel.co.uk/tracking/{}", ("yodel",)),
)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (name or "").lower())


def carrier_for(name: str) -> Carrier | None:
    """The carrier a partner's name for it means, or None when we do not know it."""
    key = _key(name)
    if not key:
        return None
    for carrier in CARRIERS:
        for alias in carrier.aliases:
            # "rm" only whole (RM24, RM48 are Royal Mail services; "rmx" is not known).
            if key == alias or (len(alias) > 2 and key.startswith(alias)) or re.fullmatch(rf"{alias}\d+", key):
                return carrier
    return None


def carrier_name(name: str) -> str:
    """The carrier's name as people know it ("hermes" -> "Evri (Hermes)"); an unknown one as given."""
    carrier = carrier_for(name)
    return carrier.name if carrier else (name or "")


def tracking_url(carrier: str, tracking: str) -> str:
    """The carrier's tracking page for this number, or "" (unknown carrier, or no number)."""
    known = carrier_for(carrier)
    tracking = (tracking or "").strip()
    if known is None or not tracking or len(tracking) > 100:
        return ""
    return known.url.format(quote(tracking, safe=""))
