"""The vendor's rate limits, shared by every worker through the database."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connections

from fulfilment.models import RateLimitWindow
from fulfilment.services.ratelimit import RateLimited, rate_limit_take


@pytest.mark.django_db
def test_hour_and_day_limits(gateway):
    now = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    limits = {"h": 3, "d": 5}
    for _ in range(3):
        rate_limit_take(gateway, limits=limits, now=now)
    with pytest.raises(RateLimited) as hourly:
        rate_limit_take(gateway, limits=limits, now=now)
    assert hourly.value.period == "h" and hourly.value.retry_at == datetime(2026, 11, 23, 11, tzinfo=UTC)

    later = datetime(2026, 11, 23, 11, 5, tzinfo=UTC)
    rate_limit_take(gateway, limits=limits, now=later)
    rate_limit_take(gateway, limits=limits, now=later)
    with pytest.raises(RateLimited) as daily:
        rate_limit_take(gateway, limits=limits, now=later)
    assert daily.value.period == "d"
    # A refused call counted nowhere.
    assert RateLimitWindow.objects.get(period="h", starts_at=later.replace(minute=0)).count == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_limit(gateway, require_postgres):
    limits = {"h": 50, "d": 10_000}
    granted, refused = [], []
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            for _ in range(40):
                try:
                    rate_limit_take(gateway, limits=limits)
                    granted.append(1)
                except RateLimited:
                    refused.append(1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(granted) == 50 and len(refused) == 30
