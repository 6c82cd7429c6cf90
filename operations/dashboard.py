"""The home dashboard's numbers (selectors): what needs attention now, each with the filtered admin
list it links to, and the chart series. Reads only; the admin index (operations.site) renders them.

Fast at a million customizations: every count is over an indexed column or a small subset
(indexes in the orders and fulfilment migrations `dashboard_indexes`), and every chart reads the
kept daily totals (the kept_* functions: a row per day and connection, whatever the size of the
tables); the functions computing the same charts from the rows stay, as their definition and the
reference the totals are tested against. Charts are cached for DASHBOARD_CHART_CACHE_SECONDS; the
attention counts are never cached (a count staff just cleared must drop at once)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection as db_connection
from django.db.models import (
    Count,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from fulfilment.models import FulfilmentItem, FulfilmentOrder, PartnerPrintFile, StatusEvent
from fulfilment.selectors import fulfilment_orders_needing_attention, stock_levels_low
from fulfilment.statuses import SHIPPED_STATUSES
from integrations.partners import FulfilmentStatus
from integrations.registry import Capability
from orders.models import Customization, SideArtwork, SyncRun, VendorConnection
from orders.selectors import CappedCount, count_capped, review_counts

from .services.dashboard_totals import histogram_add, histogram_percentile
from .totals_models import DailyTotals

WINDOWS = (30, 90)
FoState = FulfilmentOrder.State
SHIPPED = [status.value for status in SHIPPED_STATUSES]
CLOSED_STATUSES = [*SHIPPED, FulfilmentStatus.CANCELLED.value]
GOOD_SYNC = [SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL]
FAILED_SYNC = [SyncRun.Status.FAILED, SyncRun.Status.ABANDONED]


# -- needs attention now -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    """One count on the dashboard: what it is, how many, and the admin list showing exactly them."""

    key: str
    group: str
    label: str
    count: int | CappedCount  # "1,000+" past the cap
    url: str
    help: str = ""


def _url(name: str, **params) -> str:
    url = reverse(f"admin:{name}")
    return f"{url}?{urlencode(params)}" if params else url


def late_orders(queryset: QuerySet | None = None, *, now: datetime | None = None) -> QuerySet:
    """Fulfilment orders past their required dispatch date that have not shipped, been cancelled or
    been discarded (the fulfilment list's "needs attention: late" filter is the same query)."""
    return fulfilment_orders_needing_attention(
        FulfilmentOrder.objects.all() if queryset is None else queryset, "late", now=now
    )


def stale_connections(*, now: datetime | None = None) -> QuerySet:
    """Active connections that sync customizations and whose last good sync (succeeded, or finished
    with some errors) is older than DASHBOARD_SYNC_STALE_HOURS, or that never had one although they
    exist for longer than that."""
    before = (now or timezone.now()) - timedelta(hours=settings.DASHBOARD_SYNC_STALE_HOURS)
    last_good = Subquery(
        SyncRun.objects.filter(connection=OuterRef("pk"), status__in=GOOD_SYNC)
        .order_by()
        .values("connection")
        .annotate(last=Max("finished_at"))
        .values("last")[:1]
    )
    return (
        VendorConnection.objects.with_capability(Capability.CUSTOMIZER_SYNC)
        .filter(is_active=True)
        .annotate(last_good_sync=last_good)
        .filter(Q(last_good_sync__lt=before) | Q(last_good_sync__isnull=True, created_at__lt=before))
        .order_by("name")
    )


def attention_items(user, *, now: datetime | None = None) -> list[Attention]:
    """Every count the user may see (each needs the view permission of the list it links to)."""
    now = now or timezone.now()
    items: list[Attention] = []
    may = user.has_perm

    if may("orders.view_customization"):
        counts = review_counts()
        queue = "orders_reviewitem_changelist"
        items += [
            Attention("review", "Designs", "Awaiting review", counts["total"], _url(queue)),
            Attention(
                "bad_words", "Designs", "Flagged (bad words)", counts["bad_words"], _url(queue, reason="bad_words")
            ),
        ]
    if may("orders.view_sideartwork"):
        states = [SideArtwork.State.FAILED, SideArtwork.State.NEEDS_ATTENTION]
        items.append(
            Attention(
                "artwork",
                "Print files",
                "Design artwork failed or needs attention",
                count_capped(SideArtwork.objects.filter(state__in=states)),
                _url("orders_sideartwork_changelist", state__in=",".join(states)),
            )
        )
    if may("fulfilment.view_partnerprintfile"):
        items.append(
            Attention(
                "partner_print_files",
                "Print files",
                "Partner print files failed",
                count_capped(PartnerPrintFile.objects.filter(state=PartnerPrintFile.State.FAILED)),
                _url("fulfilment_partnerprintfile_changelist", state__exact=PartnerPrintFile.State.FAILED),
            )
        )
    if may("fulfilment.view_fulfilmentorder"):
        orders = FulfilmentOrder.objects.all()
        # One count per indexed column (each a small subset), not one scan of every order; like
        # every count here, it stops at 1,000 ("1,000+"), however long a backlog grows.
        counts = {
            "problem": count_capped(orders.filter(status=FulfilmentStatus.PROBLEM).exclude(state=FoState.DISCARDED)),
            "failed": count_capped(orders.filter(state=FoState.FAILED)),
            "on_hold": count_capped(orders.filter(on_hold=True).exclude(state=FoState.DISCARDED)),
            "check": count_capped(orders.filter(state=FoState.CHECK)),
        }
        changelist = "fulfilment_fulfilmentorder_changelist"
        items += [
            Attention(
                "qc_query",
                "Fulfilment",
                "Queried by the partner (QC Query)",
                counts["problem"],
                _url(changelist, status__exact=FulfilmentStatus.PROBLEM.value),
            ),
            Attention(
                "send_failed", "Fulfilment", "Failed to send", counts["failed"], _url(changelist, state__exact="failed")
            ),
            Attention("on_hold", "Fulfilment", "On hold", counts["on_hold"], _url(changelist, on_hold__exact=1)),
            Attention(
                "stuck",
                "Fulfilment",
                "Stuck queued or sending",
                count_capped(fulfilment_orders_needing_attention(orders, "stuck", now=now)),
                _url(changelist, attention="stuck"),
                help=f"Not moved for {settings.FULFILMENT_STUCK_AFTER_MINUTES} minutes.",
            ),
            Attention(
                "check",
                "Fulfilment",
                "Check: did the partner get it?",
                counts["check"],
                _url(changelist, attention="check"),
            ),
            Attention(
                "late",
                "Fulfilment",
                "Late against the required dispatch date",
                count_capped(late_orders(orders, now=now)),
                _url(changelist, attention="late"),
            ),
        ]
    if may("orders.view_syncrun"):
        since = now - timedelta(hours=24)
        items.append(
            Attention(
                "syncs_failed",
                "Syncs",
                "Syncs failed in the last 24 hours",
                count_capped(SyncRun.objects.filter(status__in=FAILED_SYNC, started_at__gte=since)),
                _url(
                    "orders_syncrun_changelist",
                    status__in=",".join(FAILED_SYNC),
                    started_at__gte=since.replace(microsecond=0).isoformat(),
                ),
            )
        )
    if may("orders.view_vendorconnection"):
        stale = list(stale_connections(now=now).values_list("pk", flat=True))
        hours = settings.DASHBOARD_SYNC_STALE_HOURS
        items.append(
            Attention(
                "stale_connections",
                "Syncs",
                f"Connections without a good sync for {hours} hours",
                len(stale),
                _url("orders_vendorconnection_changelist", id__in=",".join(map(str, stale)) or "0"),
            )
        )
    if may("fulfilment.view_stocklevel"):
        items.append(
            Attention(
                "low_stock",
                "Stock",
                "Stock levels below their threshold",
                count_capped(stock_levels_low()),
                _url("fulfilment_stocklevel_changelist", low_stock="yes"),
            )
        )
    return items


def attention_groups(items: list[Attention]) -> list[tuple[str, list[Attention]]]:
    groups: dict[str, list[Attention]] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    return list(groups.items())


# -- charts ------------------------------------------------------------------------------------


@dataclass
class DailySeries:
    """Counts per day (oldest first) for each named series, e.g. one per partner."""

    days: list[date]
    series: list[tuple[str, list[int]]] = field(default_factory=list)
    # When the window is empty: the newest there is (an empty chart then says how old the data is).
    latest: datetime | None = None

    @property
    def total(self) -> int:
        return sum(sum(values) for _, values in self.series)


@dataclass(frozen=True)
class Turnaround:
    """Per partner, in hours: approved -> sent and sent -> shipped, median and 90th percentile."""

    partner: str
    orders: int
    to_sent_median: float | None
    to_sent_p90: float | None
    to_shipped_median: float | None
    to_shipped_p90: float | None


@dataclass(frozen=True)
class ProblemRate:
    partner: str
    orders: int
    problems: int

    @property
    def rate(self) -> float:
        return self.problems / self.orders if self.orders else 0.0


def window_start(days: int, *, today: date | None = None) -> tuple[list[date], datetime]:
    """The window's days (the last `days`, today included) and the moment it starts (local midnight)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    return [first + timedelta(days=n) for n in range(days)], start


def _series(window: list[date], rows, queryset: QuerySet, field_name: str) -> DailySeries:
    """The series of (day, connection id, count) rows; when none is in the window, the newest
    `field_name` of `queryset` (the empty chart says how old the data is)."""
    index = {day: n for n, day in enumerate(window)}
    counts: dict[int, list[int]] = {}
    for day, connection_id, n in rows:
        if n and day in index:
            counts.setdefault(connection_id, [0] * len(window))[index[day]] += n
    names = dict(VendorConnection.objects.filter(pk__in=counts).values_list("pk", "name"))
    series = sorted(((names[pk], values) for pk, values in counts.items()), key=lambda s: (-sum(s[1]), s[0]))
    latest = None if series else queryset.order_by(f"-{field_name}").values_list(field_name, flat=True).first()
    return DailySeries(window, series, latest)


def _daily(queryset: QuerySet, field_name: str, days: int, today: date | None) -> DailySeries:
    window, start = window_start(days, today=today)
    rows = (
        queryset.filter(**{f"{field_name}__gte": start})
        .annotate(day=TruncDate(field_name, tzinfo=timezone.get_current_timezone()))
        .values_list("day", "connection_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return _series(window, rows, queryset, field_name)


def orders_per_day(days: int, *, today: date | None = None) -> DailySeries:
    """Fulfilment orders created per day per partner (discarded ones left out)."""
    return _daily(FulfilmentOrder.objects.exclude(state=FoState.DISCARDED), "created_at", days, today)


def designs_per_day(days: int, *, today: date | None = None) -> DailySeries:
    """Customizations made per day per source (the vendor connection they came from)."""
    return _daily(Customization.objects.all(), "customized_at", days, today)


TURNAROUND_SQL = f"""
WITH sent AS (
    SELECT id, connection_id, sent_at FROM {FulfilmentOrder._meta.db_table} WHERE sent_at >= %(start)s
), approved AS (
    SELECT item.order_id, MAX(design.decided_at) AS at
    FROM {FulfilmentItem._meta.db_table} item
    JOIN sent ON sent.id = item.order_id
    JOIN {Customization._meta.db_table} design ON design.id = item.customization_id
    WHERE design.decision = 'approved'
    GROUP BY item.order_id
), shipped AS (
    SELECT event.fulfilment_order_id AS order_id, MIN(event.received_at) AS at
    FROM {StatusEvent._meta.db_table} event
    JOIN sent ON sent.id = event.fulfilment_order_id
    WHERE event.status = ANY(%(shipped)s) AND event.effect = 'apply'
    GROUP BY event.fulfilment_order_id
)
SELECT sent.connection_id, COUNT(*),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM sent.sent_at - approved.at)),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM shipped.at - sent.sent_at))
FROM sent
LEFT JOIN approved ON approved.order_id = sent.id
LEFT JOIN shipped ON shipped.order_id = sent.id
GROUP BY sent.connection_id
"""  # noqa: S608 - table names from the models, values bound as parameters


def percentile(values: list[float], fraction: float) -> float | None:
    """The same as percentile_cont, in Python (the SQLite fallback)."""
    if not values:
        return None
    values = sorted(values)
    position = fraction * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def _turnaround_orders(start: datetime) -> QuerySet:
    approved_at = (
        Customization.objects.filter(fulfilment_items__order=OuterRef("pk"), decision=Customization.Decision.APPROVED)
        .order_by()
        .values("fulfilment_items__order")
        .annotate(at=Max("decided_at"))
        .values("at")[:1]
    )
    shipped_at = (
        StatusEvent.objects.filter(fulfilment_order=OuterRef("pk"), status__in=SHIPPED, effect="apply")
        .order_by()
        .values("fulfilment_order")
        .annotate(at=Min("received_at"))
        .values("at")[:1]
    )
    return (
        FulfilmentOrder.objects.filter(sent_at__gte=start)
        .annotate(approved_at=Subquery(approved_at), shipped_at=Subquery(shipped_at))
        .order_by()
    )


def turnaround(days: int, *, today: date | None = None) -> list[Turnaround]:
    """Orders sent in the window, per partner: hours from the last approval of their designs to
    the send (Customization.decided_at, the time of its current approval, as in ReviewDecision),
    and from the send (FulfilmentOrder.sent_at) to the first applied Shipped status (StatusEvent)."""
    _, start = window_start(days, today=today)
    orders = _turnaround_orders(start)
    hours = 3600.0
    results: dict[int, Turnaround] = {}
    if db_connection.vendor == "postgresql":
        # Each sent order's approval and first shipment found once, by joins over the window
        # (correlated subqueries per order, repeated in each percentile, took seconds at 1M).
        with db_connection.cursor() as cursor:
            cursor.execute(TURNAROUND_SQL, {"start": start, "shipped": SHIPPED})
            for connection_id, count, to_sent, to_shipped in cursor.fetchall():
                to_sent, to_shipped = to_sent or [None, None], to_shipped or [None, None]
                values = [None if v is None else v / hours for v in (*to_sent, *to_shipped)]
                results[connection_id] = Turnaround("", count, *values)
    else:
        samples: dict[int, tuple[list[float], list[float], list[int]]] = {}
        for connection_id, sent_at, approved_at, shipped_at in orders.values_list(
            "connection_id", "sent_at", "approved_at", "shipped_at"
        ):
            to_sent_list, to_shipped_list, count = samples.setdefault(connection_id, ([], [], [0]))
            count[0] += 1
            if approved_at is not None:
                to_sent_list.append((sent_at - approved_at).total_seconds() / hours)
            if shipped_at is not None:
                to_shipped_list.append((shipped_at - sent_at).total_seconds() / hours)
        for connection_id, (to_sent_list, to_shipped_list, count) in samples.items():
            results[connection_id] = Turnaround(
                "",
                count[0],
                percentile(to_sent_list, 0.5),
                percentile(to_sent_list, 0.9),
                percentile(to_shipped_list, 0.5),
                percentile(to_shipped_list, 0.9),
            )
    names = dict(VendorConnection.objects.filter(pk__in=results).values_list("pk", "name"))
    return sorted(
        (replace(value, partner=names[pk]) for pk, value in results.items()),
        key=lambda t: t.partner,
    )


def problem_rates(days: int, *, today: date | None = None) -> list[ProblemRate]:
    """Fulfilment orders created in the window per partner, and how many hit a problem: queried
    (QC Query) or put on hold by the partner at any point, created in an error state, failed to
    send, or with a status conflict."""
    _, start = window_start(days, today=today)
    # Uncorrelated (one hashed list of the few queried orders), not an EXISTS per order.
    partner_problem = StatusEvent.objects.filter(
        status__in=[FulfilmentStatus.PROBLEM, FulfilmentStatus.ON_HOLD], fulfilment_order__created_at__gte=start
    ).values("fulfilment_order_id")
    problem = (
        Q(has_error=True)
        | Q(state=FoState.FAILED)
        | Q(status__in=[FulfilmentStatus.PROBLEM, FulfilmentStatus.ON_HOLD])
        | ~Q(status_conflict="")
        | Q(pk__in=partner_problem)
    )
    rows = (
        FulfilmentOrder.objects.filter(created_at__gte=start)
        .exclude(state=FoState.DISCARDED)
        .values("connection_id")
        .annotate(n=Count("pk"), problems=Count("pk", filter=problem))
        .order_by()
    )
    rows = list(rows)
    names = dict(VendorConnection.objects.filter(pk__in=[r["connection_id"] for r in rows]).values_list("pk", "name"))
    return sorted(
        (ProblemRate(names[r["connection_id"]], r["n"], r["problems"]) for r in rows), key=lambda p: p.partner
    )


# -- the charts from the kept daily totals (what the dashboard shows) ---------------------------
#
# The functions above compute the charts from the rows, which costs more the more rows there are
# (seconds for the turnaround at a million customizations); these read the kept daily totals
# (operations.services.dashboard_totals: a row per day and connection), the same figures (the
# turnaround's median and 90th percentile within its buckets' resolution), flat in the tables' size.


def _kept(days: int, today: date | None, *fields: str, positive: str = "") -> tuple[list[date], list[tuple]]:
    window, _ = window_start(days, today=today)
    rows = DailyTotals.objects.filter(day__gte=window[0])
    if positive:
        rows = rows.filter(**{f"{positive}__gt": 0})
    return window, list(rows.order_by().values_list(*fields))


def kept_orders_per_day(days: int, *, today: date | None = None) -> DailySeries:
    """orders_per_day, from the kept totals."""
    window, rows = _kept(days, today, "day", "connection_id", "orders", positive="orders")
    return _series(window, rows, FulfilmentOrder.objects.exclude(state=FoState.DISCARDED), "created_at")


def kept_designs_per_day(days: int, *, today: date | None = None) -> DailySeries:
    """designs_per_day, from the kept totals."""
    window, rows = _kept(days, today, "day", "connection_id", "designs", positive="designs")
    return _series(window, rows, Customization.objects.all(), "customized_at")


def kept_turnaround(days: int, *, today: date | None = None) -> list[Turnaround]:
    """turnaround, from the kept totals: the days' histograms summed per partner."""
    _, rows = _kept(days, today, "connection_id", "sent", "to_sent", "to_shipped", positive="sent")
    summed: dict[int, tuple[list[int], dict[str, int], dict[str, int]]] = {}
    for connection_id, sent, to_sent, to_shipped in rows:
        count, to_sent_total, to_shipped_total = summed.setdefault(connection_id, ([0], {}, {}))
        count[0] += sent
        histogram_add(to_sent_total, to_sent)
        histogram_add(to_shipped_total, to_shipped)
    names = dict(VendorConnection.objects.filter(pk__in=summed).values_list("pk", "name"))
    return sorted(
        (
            Turnaround(
                names[pk],
                count[0],
                histogram_percentile(to_sent, 0.5),
                histogram_percentile(to_sent, 0.9),
                histogram_percentile(to_shipped, 0.5),
                histogram_percentile(to_shipped, 0.9),
            )
            for pk, (count, to_sent, to_shipped) in summed.items()
        ),
        key=lambda t: t.partner,
    )


def kept_problem_rates(days: int, *, today: date | None = None) -> list[ProblemRate]:
    """problem_rates, from the kept totals."""
    _, rows = _kept(days, today, "connection_id", "orders", "problems", positive="orders")
    summed: dict[int, list[int]] = {}
    for connection_id, orders, problems in rows:
        total = summed.setdefault(connection_id, [0, 0])
        total[0] += orders
        total[1] += problems
    names = dict(VendorConnection.objects.filter(pk__in=summed).values_list("pk", "name"))
    return sorted(
        (ProblemRate(names[pk], n, problems) for pk, (n, problems) in summed.items()), key=lambda p: p.partner
    )


@dataclass
class ChartData:
    days: int
    orders: DailySeries | None = None
    designs: DailySeries | None = None
    turnaround: list[Turnaround] | None = None
    problems: list[ProblemRate] | None = None


def chart_data(user, days: int) -> ChartData:
    """The charts' series for the window, those the user may see; cached briefly (the same for
    everyone who may see them, so cached per chart, not per user)."""
    if days not in WINDOWS:
        raise ValueError(f"days must be one of {WINDOWS}")
    seconds = settings.DASHBOARD_CHART_CACHE_SECONDS
    today = timezone.localdate()

    def cached(name, compute):
        if seconds <= 0:
            return compute()
        key = f"dashboard:{name}:{days}:{today.isoformat()}"
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, seconds)
        return value

    data = ChartData(days)
    if user.has_perm("fulfilment.view_fulfilmentorder"):
        data.orders = cached("orders", lambda: kept_orders_per_day(days, today=today))
        data.turnaround = cached("turnaround", lambda: kept_turnaround(days, today=today))
        data.problems = cached("problems", lambda: kept_problem_rates(days, today=today))
    if user.has_perm("orders.view_customization"):
        data.designs = cached("designs", lambda: kept_designs_per_day(days, today=today))
    return data
