"""Admin lists that cost the same at a million rows as at a thousand.

`ScaleAdminMixin` (mixed into every list admin, before `admin.ModelAdmin`) swaps in:

- `ScalePaginator`: the count is the planner's estimate (``pg_class.reltuples``) when the list
  is unfiltered and the table is big, and a capped count (``COUNT`` over ``LIMIT cap + 1``) when
  it is filtered; the screen says which ("about 1,000,000", "1,000+"). A page is read
  index-first: the ids of the page (an index-only walk of the ordering), then the 50 rows with
  their joins, so a deep page does not drag every joined row through OFFSET.
- `ScaleChangeList`: no second ``COUNT(*)`` of the unfiltered table (``show_full_result_count``
  off), and a date drill-down that asks the index for the min and max and probes each candidate
  year, month or day with ``EXISTS`` instead of ``SELECT DISTINCT date_trunc(...)`` over the set.
- `ConnectionFilter` and `DistinctValuesFilter`: list filters whose choices come from the
  connections' own (small) table, and from a loose index scan (recursive CTE, one index probe per
  distinct value) instead of ``SELECT DISTINCT`` over the whole table.

SQLite (the embedded default) gets exact counts and plain DISTINCT: same screens, same rows.
"""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections, models
from django.utils import timezone
from django.utils.functional import cached_property

SEARCH_DATES_READ = 5000  # a searched list's drill-down reads this many rows' dates at most
COUNT_CAP = 1000  # filtered lists count up to this many rows, then show "1,000+"
EXACT_BELOW = 10_000  # unfiltered tables smaller than this (by the planner's estimate) are counted exactly


def estimated_rows(model, using: str = "default") -> int | None:
    """The planner's row estimate for the model's table, or None where there is none (SQLite, a
    table never analysed)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    if not row or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


class ScalePaginator(Paginator):
    """A Django paginator whose count is estimated or capped and whose pages are read by id first.

    `count_kind` says what `count` is: "exact", "estimated" or "capped" (then there are more rows
    than `count`: the paginator offers one page past the cap, so staff can walk on)."""

    def __init__(
        self,
        object_list,
        per_page,
        *,
        unfiltered: bool,
        page_hint: int = 1,
        cap: int = COUNT_CAP,
        exact_below: int = EXACT_BELOW,
        **kwargs,
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.unfiltered = unfiltered
        self.page_hint = max(1, page_hint)
        self.cap = max(cap, self.page_hint * int(per_page))
        self.exact_below = exact_below
        self.count_kind = "exact"

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        using = queryset.db
        if self.unfiltered:
            estimate = estimated_rows(queryset.model, using)
            if estimate is not None and estimate >= self.exact_below:
                self.count_kind = "estimated"
                return estimate
            return queryset.count()
        if connections[using].vendor != "postgresql":
            return queryset.count()
        found = queryset.order_by()[: self.cap + 1].count()
        if found > self.cap:
            self.count_kind = "capped"
            return self.cap
        return found

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        if self.count_kind == "capped":
            return pages + 1  # there is more: one page past the cap, counted again when opened
        return pages

    def validate_number(self, number):
        if self.count_kind == "exact":
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not an integer") from error
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number  # an estimate may be off: a page past the end is empty, not an error

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        queryset = self.object_list
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = queryset.filter(pk__in=ids) if ids else queryset.none()
        return self._get_page(rows, number, self)


class ScaleChangeList(ChangeList):
    date_note = ""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if self.date_hierarchy and not exclude_parameters:
            queryset.__class__ = _date_probing(queryset.__class__, self.date_hierarchy)
        return queryset

    def get_results(self, request):
        super().get_results(request)
        paginator = self.paginator
        kind = getattr(paginator, "count_kind", "exact")
        self.count_kind = kind
        if kind == "estimated":
            self.count_note = "estimated from the table's statistics"
        elif kind == "capped":
            self.count_note = f"counted up to {paginator.cap:,}"
        else:
            self.count_note = ""
        shown = f"{self.result_count:,}"
        if hasattr(self.queryset, "dates_read"):
            # Few rows (counted exactly), or a search (whose matches are mostly few): the drill-down
            # reads their dates in one statement instead of the bounds and a probe per period.
            if kind == "exact" and self.result_count <= paginator.cap:
                self.queryset.dates_read = self.result_count
            elif self.query:
                # A search matching more: no drill-down (its bounds and probes would each run the
                # search again over every match), and the screen says so.
                self.queryset.dates_read = SEARCH_DATES_READ
                self.queryset.dates_or_none = True
                if self.queryset._read_dates() is None:
                    self.date_note = f"dates not listed for a search matching over {SEARCH_DATES_READ:,}"
        self.count_shown = f"about {shown}" if kind == "estimated" else f"{shown}+" if kind == "capped" else shown


def _date_probing(base: type, field_name: str) -> type:
    """A queryset class whose `dates`/`datetimes` for the drill-down field read the bounds from the
    index and probe each candidate period with EXISTS."""

    class DateProbingQuerySet(base):
        dates_read = 0  # set by ScaleChangeList: read up to this many rows' dates and work from them
        dates_or_none = False  # and, when there are more, list no periods rather than probe

        def dates(self, field, kind, order="ASC"):
            if field != field_name or kind not in ("year", "month", "day"):
                return super().dates(field, kind, order)
            return self._periods(field, kind, aware=False)

        def datetimes(self, field, kind, order="ASC", tzinfo=None):
            if field != field_name or kind not in ("year", "month", "day"):
                return super().datetimes(field, kind, order, tzinfo)
            return self._periods(field, kind, aware=True)

        def aggregate(self, *args, **kwargs):
            # The drill-down tag reads the bounds (to pick its level) just before `dates` reads them
            # again: asked twice of this queryset, they are read once (or taken from the rows' dates).
            bounds = {"first": models.Min(field_name), "last": models.Max(field_name)}
            if not args and kwargs == bounds and (self._read_dates() is not None or self.dates_or_none):
                values = self._read_dates() or []
                return {"first": min(values, default=None), "last": max(values, default=None)}
            key = (args, tuple(sorted(kwargs.items())))
            answers = self.__dict__.setdefault("_aggregates", {})
            if key not in answers:
                answers[key] = super().aggregate(*args, **kwargs)
            return dict(answers[key])

        def _read_dates(self):
            """The drill-down field's values of every row, when there are at most `dates_read`; else None."""
            if "_dates" not in self.__dict__:
                values = None
                if self.dates_read:
                    rows = list(self.order_by().values_list(field_name, flat=True)[: self.dates_read + 1])
                    values = [value for value in rows if value is not None]
                    if len(rows) > self.dates_read:
                        values = None
                self._dates = values
            return self._dates

        def _periods(self, field, kind, aware):
            values = self._read_dates()
            if values is not None:
                return _periods_of(values, kind, aware)
            if self.dates_or_none:
                return []
            bounds = self.aggregate(first=models.Min(field), last=models.Max(field))
            first, last = bounds["first"], bounds["last"]
            if first is None or last is None:
                return []
            if aware:
                first, last = timezone.localtime(first), timezone.localtime(last)
            candidates = list(_candidates(first.date() if aware else first, last.date() if aware else last, kind))
            found = []
            for start, end in candidates:
                if aware:
                    low = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
                    high = timezone.make_aware(datetime.datetime.combine(end, datetime.time.min))
                else:
                    low, high = start, end
                if self.order_by().filter(**{f"{field}__gte": low, f"{field}__lt": high}).exists():
                    found.append(low)
            return found

    DateProbingQuerySet.__name__ = base.__name__
    return DateProbingQuerySet


def _periods_of(values, kind: str, aware: bool) -> list:
    """The start of each year, month or day that holds one of `values` (what the probes find)."""
    starts = set()
    for value in values:
        if aware:
            day = timezone.localtime(value).date()
        else:
            day = value.date() if isinstance(value, datetime.datetime) else value
        starts.add(day.replace(month=1, day=1) if kind == "year" else day.replace(day=1) if kind == "month" else day)
    if aware:
        return [timezone.make_aware(datetime.datetime.combine(start, datetime.time.min)) for start in sorted(starts)]
    return sorted(starts)


def _candidates(first: datetime.date, last: datetime.date, kind: str):
    """(start, end) of each year, month or day from `first` to `last`, end exclusive."""
    if kind == "year":
        for year in range(first.year, last.year + 1):
            yield datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    elif kind == "month":
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            following = (year + month // 12, month % 12 + 1)
            yield datetime.date(year, month, 1), datetime.date(*following, 1)
            year, month = following
    else:
        day = first
        while day <= last:
            yield day, day + datetime.timedelta(days=1)
            day += datetime.timedelta(days=1)


class ScaleAdminMixin:
    """Mix into a list admin before ModelAdmin. `count_cap` and `exact_count_below` tune it."""

    show_full_result_count = False
    count_cap = COUNT_CAP
    exact_count_below = EXACT_BELOW

    def get_changelist(self, request, **kwargs):
        return ScaleChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page_hint = int(request.GET.get(PAGE_VAR, 1))
        except (TypeError, ValueError):
            page_hint = 1
        return ScalePaginator(
            queryset,
            per_page,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
            unfiltered=not queryset.query.where and not queryset.query.distinct,
            page_hint=page_hint,
            cap=self.count_cap,
            exact_below=self.exact_count_below,
        )


class ConnectionFilter(admin.RelatedFieldListFilter):
    """The connection filter with its choices read from the connections' own table (a few rows),
    not `SELECT DISTINCT connection_id` over the list's table as RelatedOnlyFieldListFilter does."""


class DistinctValuesFilter(admin.AllValuesFieldListFilter):
    """AllValuesFieldListFilter whose values come from a loose index scan on PostgreSQL (one index
    probe per distinct value, so a column with ten values costs ten probes at any table size).
    Needs an index whose first column is the field."""

    max_values = 200

    def __init__(self, field, request, params, model, model_admin, field_path):
        self._model = model
        super().__init__(field, request, params, model, model_admin, field_path)

    def choices(self, changelist):
        connection = connections[self._model.objects.db]
        if connection.vendor == "postgresql" and "__" not in self.field_path:
            self.lookup_choices = self._loose_scan(connection)
        yield from super().choices(changelist)

    def _loose_scan(self, connection):
        return distinct_values(self._model, self.field_path, self.max_values)


def distinct_values(model, field_name: str, limit: int = 200) -> list:
    """The distinct non-null values of a column, sorted, at most `limit`: a loose index scan on
    PostgreSQL (needs an index whose first column is the field), plain DISTINCT elsewhere."""
    connection = connections[model.objects.db]
    if connection.vendor != "postgresql":
        values = model._default_manager.order_by(field_name).values_list(field_name, flat=True).distinct()
        return [value for value in values.exclude(**{f"{field_name}__isnull": True})[:limit]]
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field_name).column)
    table = quote(model._meta.db_table)
    sql = (
        f"WITH RECURSIVE v(val) AS ((SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY 1 LIMIT 1) "  # noqa: S608
        f"UNION ALL SELECT (SELECT {column} FROM {table} WHERE {column} > v.val ORDER BY 1 LIMIT 1) "
        f"FROM v WHERE v.val IS NOT NULL) SELECT val FROM v WHERE val IS NOT NULL LIMIT {int(limit)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


__all__ = ["ScaleAdminMixin", "ScaleChangeList", "ScalePaginator", "ConnectionFilter", "DistinctValuesFilter"]
