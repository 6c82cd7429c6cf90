"""The home dashboard's kept daily totals (operations.totals_models.DailyTotals): what each chart
shows, per local day (TIME_ZONE) and per connection, so that a chart reads a few hundred rows
whatever the size of the tables behind it (operations.dashboard reads them).

A day's rows are recomputed from that day's rows in orders and fulfilment, never incremented, so a
recompute run twice, late, or twice at once gives the same rows: on PostgreSQL an advisory lock
per day makes concurrent recomputes of a day wait for each other, and each reads after the change
that asked for it was committed (the receivers in operations.totals run on commit). The receivers
do not recompute in the thread that committed (a status callback's apply, a sync's batch): they
queue a recompute of each day and part, at most one per DASHBOARD_TOTALS_REFRESH_SECONDS
(`recompute_days`), so a stream of callbacks for today's orders costs one recompute of today per
interval instead of one each (a day's sends take 0.2-0.4 s to recompute at a million rows). Three parts,
each recomputed on its own: designs (customized_at), orders (created_at: the orders chart and the
problem rate) and sent (sent_at: the turnaround).

The turnaround is kept as histograms of hours in fixed buckets, summed over the window's days for
the median and 90th percentile: 0.1 hour (6 minutes) below two days, 0.1 day (2.4 hours) from
there, the resolution the chart prints (operations.charts.hours). The functions take an app
registry (`apps`) so that the back-filling migration runs them on its historical models."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from config.celery import queue_on_commit
from fulfilment.statuses import SHIPPED_STATUSES
from integrations.partners import FulfilmentStatus

PARTS: dict[str, tuple[str, ...]] = {
    "designs": ("designs",),
    "orders": ("orders", "problems"),
    "sent": ("sent", "to_sent", "to_shipped"),
}
HISTOGRAMS = ("to_sent", "to_shipped")
SHIPPED = [status.value for status in SHIPPED_STATUSES]
PROBLEM_STATUSES = [FulfilmentStatus.PROBLEM.value, FulfilmentStatus.ON_HOLD.value]
DISCARDED = "discarded"  # FulfilmentOrder.State.DISCARDED
FAILED = "failed"  # FulfilmentOrder.State.FAILED
APPROVED = "approved"  # Customization.Decision.APPROVED
REFRESH_TASK = "operations.dashboard_totals_refresh"
LOCK_SPACE = 0x0DA5  # pg_advisory_xact_lock(LOCK_SPACE, day.toordinal()): one lock per day
REBUILD_CHUNK_DAYS = 92  # a quarter per transaction: hash joins, and a day's lock held for seconds at most

# Buckets: 6 minutes (0.1 h) up to 48 hours, then 2.4 hours (0.1 day).
FINE_SECONDS, FINE_UNTIL, COARSE_SECONDS = 360, 48 * 3600, 8640
FINE_BUCKETS = FINE_UNTIL // FINE_SECONDS
RESOLUTION = "to 0.1 hour below two days, 0.1 day from there"


def bucket(seconds: float) -> int:
    """The bucket of a duration (negative durations, a send before the approval, count too)."""
    if seconds < FINE_UNTIL:
        return math.floor(seconds / FINE_SECONDS)
    return FINE_BUCKETS + math.floor((seconds - FINE_UNTIL) / COARSE_SECONDS)


def bucket_hours(number: int) -> tuple[float, float]:
    """A bucket's lower bound and width, in hours."""
    if number < FINE_BUCKETS:
        return number * FINE_SECONDS / 3600, FINE_SECONDS / 3600
    return (FINE_UNTIL + (number - FINE_BUCKETS) * COARSE_SECONDS) / 3600, COARSE_SECONDS / 3600


def histogram_add(total: dict[str, int], more: dict[str, int]) -> None:
    for key, count in more.items():
        total[key] = total.get(key, 0) + count


def histogram_percentile(histogram: dict[str, int], fraction: float) -> float | None:
    """percentile_cont over the durations a histogram holds, in hours: each duration taken as
    spread evenly across its bucket, so within one bucket's width of the exact figure."""
    ordered = sorted((int(key), count) for key, count in histogram.items() if count)
    total = sum(count for _, count in ordered)
    if not total:
        return None

    def value(rank: int) -> float:
        seen = 0
        for number, count in ordered:
            if rank < seen + count:
                low, width = bucket_hours(number)
                return low + (rank - seen + 0.5) / count * width
            seen += count
        raise AssertionError("rank past the histogram")

    position = fraction * (total - 1)
    low, high = math.floor(position), math.ceil(position)
    return value(low) + (value(high) - value(low)) * (position - low)


# -- computing a range of days from the rows -----------------------------------------------------


def day_start(day: date) -> datetime:
    """Local midnight starting `day` (what operations.dashboard.window_start uses)."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _range(field: str, first: date, last: date) -> dict[str, datetime]:
    return {f"{field}__gte": day_start(first), f"{field}__lt": day_start(last + timedelta(days=1))}


def _zero(fields: Iterable[str]) -> dict[str, Any]:
    return {name: {} if name in HISTOGRAMS else 0 for name in fields}


SENT_SQL = """
WITH sent AS (
    SELECT id, connection_id, sent_at FROM {order} WHERE sent_at >= %(start)s AND sent_at < %(end)s
), approved AS (
    SELECT item.order_id, MAX(design.decided_at) AS at
    FROM {item} item
    JOIN sent ON sent.id = item.order_id
    JOIN {design} design ON design.id = item.customization_id
    WHERE design.decision = %(approved)s
    GROUP BY item.order_id
), shipped AS (
    SELECT event.fulfilment_order_id AS order_id, MIN(event.received_at) AS at
    FROM {event} event
    JOIN sent ON sent.id = event.fulfilment_order_id
    WHERE event.status = ANY(%(shipped)s) AND event.effect = 'apply'
    GROUP BY event.fulfilment_order_id
)
SELECT sent.connection_id, sent.sent_at,
    EXTRACT(EPOCH FROM sent.sent_at - approved.at), EXTRACT(EPOCH FROM shipped.at - sent.sent_at)
FROM sent
LEFT JOIN approved ON approved.order_id = sent.id
LEFT JOIN shipped ON shipped.order_id = sent.id
"""


def _sent_rows(apps, first: date, last: date) -> Iterable[tuple[int, datetime, float | None, float | None]]:
    """Each order sent in the days: partner, sent_at, seconds approved -> sent and sent -> shipped
    (None when not approved or not shipped), as operations.dashboard.turnaround defines them."""
    FulfilmentOrder = apps.get_model("fulfilment", "FulfilmentOrder")
    FulfilmentItem = apps.get_model("fulfilment", "FulfilmentItem")
    Customization = apps.get_model("orders", "Customization")
    StatusEvent = apps.get_model("fulfilment", "StatusEvent")
    bounds = _range("sent_at", first, last)
    if db_connection.vendor == "postgresql":
        # Joins over the days' orders (a subquery per order took seconds over a year at 1M).
        sql = SENT_SQL.format(
            order=FulfilmentOrder._meta.db_table,
            item=FulfilmentItem._meta.db_table,
            design=Customization._meta.db_table,
            event=StatusEvent._meta.db_table,
        )
        with db_connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    "start": bounds["sent_at__gte"],
                    "end": bounds["sent_at__lt"],
                    "approved": APPROVED,
                    "shipped": SHIPPED,
                },
            )
            for connection_id, sent_at, to_sent, to_shipped in cursor.fetchall():
                yield (
                    connection_id,
                    sent_at,
                    None if to_sent is None else float(to_sent),
                    None if to_shipped is None else float(to_shipped),
                )
        return
    approved_at = (
        FulfilmentItem.objects.filter(order=OuterRef("pk"), customization__decision=APPROVED)
        .order_by()
        .values("order")
        .annotate(at=Max("customization__decided_at"))
        .values("at")[:1]
    )
    shipped_at = (
        StatusEvent.objects.filter(fulfilment_order=OuterRef("pk"), status__in=SHIPPED, effect="apply")
        .order_by()
        .values("fulfilment_order")
        .annotate(at=Min("received_at"))
        .values("at")[:1]
    )
    rows = (
        FulfilmentOrder.objects.filter(**bounds)
        .annotate(approved_at=Subquery(approved_at), shipped_at=Subquery(shipped_at))
        .order_by()
        .values_list("connection_id", "sent_at", "approved_at", "shipped_at")
    )
    for connection_id, sent_at, approved, shipped in rows:
        yield (
            connection_id,
            sent_at,
            None if approved is None else (sent_at - approved).total_seconds(),
            None if shipped is None else (shipped - sent_at).total_seconds(),
        )


def compute(parts: Iterable[str], first: date, last: date, *, apps=global_apps) -> dict[tuple[date, int], dict]:
    """The totals of days first..last (inclusive) for the parts, from the rows: {(day, connection
    id): {field: value}}, only the non-zero ones."""
    parts = list(parts)
    fields = [name for part in parts for name in PARTS[part]]
    tz = timezone.get_current_timezone()
    totals: dict[tuple[date, int], dict] = {}

    def row(day: date, connection_id: int) -> dict:
        return totals.setdefault((day, connection_id), _zero(fields))

    if "designs" in parts:
        Customization = apps.get_model("orders", "Customization")
        for item in (
            Customization.objects.filter(**_range("customized_at", first, last))
            .annotate(day=TruncDate("customized_at", tzinfo=tz))
            .values("day", "connection_id")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            row(item["day"], item["connection_id"])["designs"] = item["n"]
    if "orders" in parts:
        FulfilmentOrder = apps.get_model("fulfilment", "FulfilmentOrder")
        StatusEvent = apps.get_model("fulfilment", "StatusEvent")
        created = _range("created_at", first, last)
        # As operations.dashboard.problem_rates: queried or held by the partner at any point,
        # created in an error state, failed to send, or with a status conflict.
        partner_problem = StatusEvent.objects.filter(
            status__in=PROBLEM_STATUSES, **{f"fulfilment_order__{key}": value for key, value in created.items()}
        ).values("fulfilment_order_id")
        problem = (
            Q(has_error=True)
            | Q(state=FAILED)
            | Q(status__in=PROBLEM_STATUSES)
            | ~Q(status_conflict="")
            | Q(pk__in=partner_problem)
        )
        for item in (
            FulfilmentOrder.objects.filter(**created)
            .exclude(state=DISCARDED)
            .annotate(day=TruncDate("created_at", tzinfo=tz))
            .values("day", "connection_id")
            .annotate(n=Count("pk"), problems=Count("pk", filter=problem))
            .order_by()
        ):
            totals_row = row(item["day"], item["connection_id"])
            totals_row["orders"], totals_row["problems"] = item["n"], item["problems"]
    if "sent" in parts:
        for connection_id, sent_at, to_sent, to_shipped in _sent_rows(apps, first, last):
            totals_row = row(_local_day(sent_at), connection_id)
            totals_row["sent"] += 1
            for name, seconds in (("to_sent", to_sent), ("to_shipped", to_shipped)):
                if seconds is not None:
                    key = str(bucket(seconds))
                    totals_row[name][key] = totals_row[name].get(key, 0) + 1
    return totals


# -- writing -------------------------------------------------------------------------------------


def _lock(first: date, last: date) -> None:
    """Recomputes of the same day wait for each other (PostgreSQL; SQLite has one writer)."""
    if db_connection.vendor != "postgresql":
        return
    with db_connection.cursor() as cursor:
        if last > first:
            # A rebuild's quarters: the planner's estimates of the joined CTEs are far too high, and
            # compiling them (JIT) took longer than running them.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, day) FROM generate_series(%s::int, %s::int) AS day",
            [LOCK_SPACE, first.toordinal(), last.toordinal()],
        )


def recompute(parts: Iterable[str], first: date, last: date | None = None, *, apps=global_apps) -> int:
    """Recompute the parts of days first..last (inclusive; one day when last is None) and write
    them; returns how many rows changed."""
    DailyTotals = apps.get_model("operations", "DailyTotals")
    parts = list(parts)
    last = last or first
    fields = [name for part in parts for name in PARTS[part]]
    zero = _zero(fields)
    now = timezone.now()
    with transaction.atomic():
        _lock(first, last)  # before reading: what this recompute reads includes what came before it
        computed = compute(parts, first, last, apps=apps)
        changed = []
        for kept in DailyTotals.objects.filter(day__gte=first, day__lte=last).order_by():
            values = computed.pop((kept.day, kept.connection_id), zero)
            if any(getattr(kept, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(kept, name, value)
                kept.updated_at = now
                changed.append(kept)
        DailyTotals.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=500)
        DailyTotals.objects.bulk_create(
            [
                DailyTotals(day=day, connection_id=connection_id, updated_at=now, **values)
                for (day, connection_id), values in computed.items()
            ],
            batch_size=500,
        )
    return len(changed) + len(computed)


def recompute_days(parts: Iterable[str], moments: Iterable[datetime | None]) -> None:
    """Have the parts of each local day of the moments recomputed in the background, each day and
    part at most once per DASHBOARD_TOTALS_REFRESH_SECONDS (0: a task for every call).

    Nothing is missed: a call that queues nothing found the marker set by one that queued a task
    with a countdown equal to the marker's lifetime; this call's change was committed before it
    looked (the receivers run on commit), so before the marker expired, so before that task reads
    (a task never runs before its countdown). Each process keeps its own markers with the default
    local-memory cache: more tasks, never fewer."""
    delay = settings.DASHBOARD_TOTALS_REFRESH_SECONDS
    parts = list(parts)
    for day in sorted({_local_day(moment) for moment in moments if moment is not None}):
        for part in parts:
            if delay and not cache.add(f"dashboard-totals-due:{part}:{day.isoformat()}", 1, timeout=delay):
                continue
            queue_on_commit(REFRESH_TASK, part, day.isoformat(), options={"countdown": delay} if delay else None)


def refresh(part: str, day: str) -> int:
    """The background recompute `recompute_days` queues: one part of one day (ISO date)."""
    if part not in PARTS:
        raise ValueError(f"unknown part of the dashboard totals: {part!r}")
    return recompute([part], date.fromisoformat(day))


def rebuild(days: int | None = None, *, apps=global_apps, today: date | None = None) -> int:
    """Recompute every part of the last `days` days (today included; None: every day there is
    data for, and rows outside those days deleted), a quarter per transaction. Returns the rows
    written. For a back-fill, a fill done in SQL, or drift (a row changed without its signal)."""
    DailyTotals = apps.get_model("operations", "DailyTotals")
    today = today or timezone.localdate()
    if days is not None:
        first, last = today - timedelta(days=days - 1), today
    else:
        moments = [
            apps.get_model("orders", "Customization").objects.aggregate(a=Min("customized_at"), b=Max("customized_at")),
            apps.get_model("fulfilment", "FulfilmentOrder").objects.aggregate(a=Min("created_at"), b=Max("created_at")),
            apps.get_model("fulfilment", "FulfilmentOrder").objects.aggregate(a=Min("sent_at"), b=Max("sent_at")),
        ]
        starts = [_local_day(m["a"]) for m in moments if m["a"] is not None]
        ends = [_local_day(m["b"]) for m in moments if m["b"] is not None]
        if not starts:
            return DailyTotals.objects.all().delete()[0]
        first, last = min(starts), max(ends)
        DailyTotals.objects.exclude(day__gte=first, day__lte=last).delete()
    written = 0
    while first <= last:
        chunk_last = min(first + timedelta(days=REBUILD_CHUNK_DAYS - 1), last)
        written += recompute(PARTS, first, chunk_last, apps=apps)
        first = chunk_last + timedelta(days=1)
    return written


# -- what the receivers (operations.totals) recompute --------------------------------------------


def order_changed(order) -> None:
    """A fulfilment order was created or changed state or status: its day of creation (orders,
    problems) and, once sent, its day of sending (turnaround)."""
    recompute_days(["orders"], [order.created_at])
    recompute_days(["sent"], [order.sent_at])


def design_decided(customization_id: int) -> None:
    """A design's approval changed: the turnaround of the sent orders that carry it."""
    FulfilmentItem = global_apps.get_model("fulfilment", "FulfilmentItem")
    sent = FulfilmentItem.objects.filter(customization_id=customization_id, order__sent_at__isnull=False)
    recompute_days(["sent"], sent.values_list("order__sent_at", flat=True))


def designs_synced(customization_ids: list[int]) -> None:
    """A sync made or changed designs: the days they were made."""
    Customization = global_apps.get_model("orders", "Customization")
    days = Customization.objects.filter(pk__in=customization_ids).values_list("customized_at", flat=True)
    recompute_days(["designs"], days.distinct())
