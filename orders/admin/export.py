"""CSV export of any admin list: exactly the rows its filters, search and ordering select.

A ModelAdmin that mixes in `CsvExportMixin` and declares `export_columns` gets an *Export CSV*
button on its list (templates/admin/change_list_object_tools.html) and a URL
``<app>_<model>_export`` that answers with the CSV of the whole filtered list, all pages.

- The rows come from the admin's own ChangeList (the same filters, search, date drill-down and
  ordering as the list on screen), read with ``values_list`` of the declared columns and
  ``iterator(chunk_size=...)`` and written as a StreamingHttpResponse: memory stays flat, however
  many rows.
- Headers are the human ones declared; a field with choices is written as its label, dates and
  times in ISO 8601 (times in UTC), booleans as yes/no, blanks as empty cells.
- CSV injection (OWASP): a text cell starting with ``= + - @``, a tab or a carriage return is
  prefixed with ``'`` so a spreadsheet shows it instead of running it as a formula.
- Needs the model's view permission (the list's own); a bad filter is a 400 with the reason.

fulfilment's admins import this module; nothing here imports fulfilment.
"""

from __future__ import annotations

import csv
import datetime
import decimal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone

CHUNK_SIZE = 2000  # rows per database fetch and per chunk of the response
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_safe(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Line:
    """The file-like object csv.writer wants: hands back what it would have written."""

    def write(self, value: str) -> str:
        return value


def _field_for(model: type[models.Model], lookup: str) -> models.Field | None:
    """The model field a values_list path ends on (None for an annotation or a reverse path)."""
    field = None
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field


def _formatter(field: models.Field | None, labels: dict | None = None) -> Callable[[Any], str]:
    choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else None
    if labels is not None:
        choices = {**(choices or {}), **labels}

    def format_value(value: Any) -> str:
        if value is None:
            return ""
        if choices is not None:
            value = choices.get(value, value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = value.astimezone(datetime.UTC)
            return value.replace(microsecond=0).isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, int | float | decimal.Decimal):
            return str(value)
        return csv_cell_safe(str(value))

    return format_value


Column = tuple[str, str] | tuple[str, str, dict]


def csv_rows(queryset: models.QuerySet, columns: list[Column], *, chunk_size: int | None = None) -> Iterator[str]:
    """The CSV of `queryset`'s `columns` ((lookup, header) pairs, or (lookup, header, labels) where
    the field has no choices of its own), as text chunks of up to `chunk_size` rows each, the
    header line first. Reads the rows in chunks of `chunk_size`, never all at once."""
    chunk_size = chunk_size or CHUNK_SIZE
    lookups = [column[0] for column in columns]
    formatters = [
        _formatter(_field_for(queryset.model, column[0]), column[2] if len(column) > 2 else None)  # type: ignore[misc]
        for column in columns
    ]
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([column[1] for column in columns])  # the BOM: Excel reads UTF-8
    rows = queryset.prefetch_related(None).values_list(*lookups).iterator(chunk_size=chunk_size)
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([fmt(value) for fmt, value in zip(formatters, row, strict=True)]))
        if len(chunk) >= chunk_size:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


class CsvExportMixin:
    """Mix in before ModelAdmin; declare `export_columns` as (values_list lookup, header) pairs."""

    export_columns: Iterable[Column] = ()
    export_filename: str = ""

    def get_export_columns(self, request) -> list[Column]:
        return list(self.export_columns)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_export"
        return [
            path("export.csv", self.admin_site.admin_view(self.export_csv_view), name=name),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_export", current_app=self.admin_site.name)
        query = request.GET.copy()
        for key in ("p", "e", "_changelist_filters"):
            query.pop(key, None)
        extra_context = {**(extra_context or {}), "export_url": f"{url}?{query.urlencode()}" if query else url}
        return super().changelist_view(request, extra_context=extra_context)

    def export_csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as exc:
            return HttpResponse(
                f"These filters cannot be exported: {exc or 'a filter or search is not valid'}.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        queryset = changelist.queryset  # filtered, searched and ordered as on screen: all pages
        response = StreamingHttpResponse(
            csv_rows(queryset, self.get_export_columns(request)), content_type="text/csv; charset=utf-8"
        )
        stem = self.export_filename or str(self.model._meta.verbose_name_plural).replace(" ", "-")
        response["Content-Disposition"] = f'attachment; filename="{stem}-{timezone.now():%Y-%m-%d}.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response
