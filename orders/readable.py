"""Vendor values as staff read them: codes as labels (`inProduction` -> "In production"), ISO
timestamps as dates, and small JSON answers (shipment items, stock pushes) as tables. The raw
value stays on the page: as the label's tooltip, or in the record's raw payload."""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[_\-]+")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
MAX_COLUMNS = 8
MAX_ROWS = 200


def code_label(code: Any) -> str:
    """`inProduction`, `in_production`, `IN-PRODUCTION` -> "In production"; anything that is not a
    one-word code (already words, a number, blank) is returned as it is."""
    text = "" if code is None else str(code)
    if not _CODE.match(text):
        return text
    words = _WORD_BREAK.sub(" ", text).strip().lower()
    return words[:1].upper() + words[1:]


def code_shown(code: Any) -> SafeString | str:
    """The label, with the vendor's own code as its tooltip when they differ."""
    label = code_label(code)
    if not label:
        return "—"
    if label == str(code):
        return escape(label)
    return format_html('<span title="{}">{}</span>', code, label)


def readable_datetime(value: Any) -> str:
    """An ISO 8601 timestamp (`2026-08-31T19:06:58.087Z`) as "2026-08-31 19:06" in our time zone;
    anything else as it is."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        return value
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return f"{parsed:%Y-%m-%d %H:%M}"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:200]
    return readable_datetime(value) if isinstance(value, str) else str(value)


def _flat(row: dict) -> dict[str, Any]:
    """One level of nesting into the columns: {"data": {"quantity_available": 3}} -> "quantity available"."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict) and value and all(not isinstance(v, (dict, list)) for v in value.values()):
            for inner, inner_value in value.items():
                out[str(inner)] = inner_value
        else:
            out[str(key)] = value
    return out


def json_table(value: Any, *, caption: str = "") -> SafeString | str:
    """A small table for a vendor's JSON: a list of objects as rows (their keys as columns, in
    words), an object as key / value rows, a list of such lists as one table each; "—" when empty."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list) and value and all(isinstance(part, list) for part in value):
        return format_html_join(
            "", "{}", ((json_table(part, caption=f"Batch {n}"),) for n, part in enumerate(value, 1))
        )
    caption_html = format_html("<caption>{}</caption>", caption) if caption else ""
    if isinstance(value, dict):
        rows = ((code_label(key), _cell(item)) for key, item in list(value.items())[:MAX_ROWS])
        return format_html(
            '<table class="json-table">{}{}</table>',
            caption_html,
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )
    if isinstance(value, list) and all(isinstance(row, dict) for row in value):
        rows = [_flat(row) for row in value[:MAX_ROWS]]
        columns: list[str] = []
        for row in rows:
            columns += [key for key in row if key not in columns]
        columns = columns[:MAX_COLUMNS]
        head = format_html_join("", "<th>{}</th>", ((code_label(column),) for column in columns))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((_cell(row.get(column)),) for column in columns)),) for row in rows),
        )
        return format_html(
            '<table class="json-table">{}<thead><tr>{}</tr></thead><tbody>{}</tbody></table>', caption_html, head, body
        )
    return _cell(value)
