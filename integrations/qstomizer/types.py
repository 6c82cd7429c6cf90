"""Qstomizer v3 vocabulary: status ids and the API's date formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime

DEFAULT_BASE_URL = "https://api.bigvanet.com/v3"
PAGE_LIMIT = 250  # the doc's maximum for `limit`

STATUSES = {
    1: "Pending",
    2: "Stopped",
    3: "In Production",
    4: "Finished",
    5: "Canceled",
    6: "Deleted",
    7: "Artwork approval pending",
}

# The doc says "YEAR-MONTH-DAY HOUR:MINUTE" but its own examples use slashes
# ("2022/09/01 01:43"); we accept both, with or without seconds.
_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S")
# The same formats written in full (two digits each), read without strptime (a sync reads two
# dates per customization; strptime checks the locale on every call). Anything else goes
# through _FORMATS.
_PLAIN = re.compile(r"(\d{4})([/-])(\d\d)\2(\d\d) (\d\d):(\d\d)(?::(\d\d))?", re.ASCII)


def parse_date(value: str | None) -> datetime | None:
    """A vendor date as an aware datetime. The doc names no time zone: we read UTC (the least
    harmful guess: the sync's query windows carry a day's margin either side for that reason)."""
    if not value:
        return None
    if plain := _PLAIN.fullmatch(value.strip()):
        year, _, month, day, hour, minute, second = plain.groups()
        try:
            return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC)
        except ValueError:
            pass  # e.g. a 31st of April: as strptime says
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"unreadable date {value!r}")


def format_query_date(moment: datetime) -> str:
    """The query format the doc asks for: YEAR-MONTH-DAY HOUR:MINUTE:SECOND, in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# Get HD Design: the signed download URL is "valid for 15 minutes".
HD_LINK_TTL_SECONDS = 15 * 60
# The doc's production host for design_hd_url, which is not the API's host (api.bigvanet.com).
HD_HOSTS = frozenset({"qstomizer.bigvanet.com"})


def parse_iso_datetime(value: object) -> datetime | None:
    """An ISO 8601 moment ("2025-06-09T16:00:00Z", with or without fraction or offset) as an
    aware UTC datetime; a moment without an offset is read as UTC. None when absent or
    unreadable: the caller decides whether that matters."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
