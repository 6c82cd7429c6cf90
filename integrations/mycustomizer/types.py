"""MyCustomizer / Kickflip vocabulary: the base URL, the pagination and sort parameters, the
error bodies the docs give, and the API's date format.

Kickflip is MyCustomizer renamed: both docs (kickflip-api.txt, mycustomizer-api.txt) describe
the same host, paths and payloads; Kickflip's adds the bad-words "wordfilter" endpoints.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Both docs, Kickflip's included, give this host.
DEFAULT_BASE_URL = "https://api.mycustomizer.com"

DEFAULT_COUNT = 25  # the doc's default page size; it documents no maximum
ORDER_SORT_KEYS = ("orderId", "date")  # the doc's default is orderId
SORT_ORDERS = ("ascending", "descending")  # the doc's default is descending

# Error bodies, as the docs print them (plain text, not JSON).
INVALID_CREDENTIALS = "Invalid credentials"  # 401, "Wrong or absent Authorization header"
INVALID_TENANT = "Trying to launch invalid tenant."  # 404, "Could not find your company name"
INVALID_SORT = "Invalid sort value"  # 500, e.g. "Invalid sort value: { orderId: dsfdsdf }"
NOT_FOUND = "Not Found"  # 404, "Order does not exist"


def parse_date(value: str | None) -> datetime | None:
    """A vendor date ("2019-02-11T17:52:11.776Z") as an aware datetime in UTC.

    The docs only show UTC with a `Z`; an explicit offset is honoured and a date without one
    is read as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"unreadable date {value!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_date(moment: datetime) -> str:
    """The API's own format, to the millisecond, in UTC: 2019-02-11T17:52:11.776Z."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
