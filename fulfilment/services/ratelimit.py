"""Vendor rate limits shared by every worker: a conditional UPDATE per window in the database
(PostgreSQL in production), so two workers can never together exceed the vendor's limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from orders.models import VendorConnection

from ..models import RateLimitWindow


class RateLimited(Exception):
    def __init__(self, period: str, retry_at: datetime):
        self.period, self.retry_at = period, retry_at
        word = "hourly" if period == "h" else "daily"
        super().__init__(f"the vendor's {word} request limit is used up until {retry_at:%Y-%m-%d %H:%M} UTC")

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.retry_at - timezone.now()).total_seconds()) + 1)


@dataclass(frozen=True)
class Window:
    period: str
    starts_at: datetime
    ends_at: datetime


def _windows(now: datetime) -> list[Window]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    return [Window("h", hour, hour + timedelta(hours=1)), Window("d", day, day + timedelta(days=1))]


def rate_limit_take(connection: VendorConnection, *, limits: dict[str, int] | None = None, now=None) -> None:
    """Count one request against every window the vendor limits (its spec's `rate_limits`, calls
    per hour "h" and per day "d"), or raise RateLimited and count nothing."""
    limits = limits or connection.spec.rate_limits
    now = now or timezone.now()
    with transaction.atomic():
        for window in _windows(now):
            if window.period not in limits:
                continue
            _ensure(connection, window)
            taken = RateLimitWindow.objects.filter(
                connection=connection, period=window.period, starts_at=window.starts_at, count__lt=limits[window.period]
            ).update(count=F("count") + 1)
            if not taken:
                transaction.set_rollback(True)
                raise RateLimited(window.period, window.ends_at)


def _ensure(connection, window: Window) -> None:
    try:
        with transaction.atomic():
            RateLimitWindow.objects.get_or_create(
                connection=connection, period=window.period, starts_at=window.starts_at
            )
    except IntegrityError:
        pass  # another worker created it first: fine
