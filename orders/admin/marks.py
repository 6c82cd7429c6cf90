"""Marks in list columns.

Yes/no columns where "no" is the normal case (an order without an error, a stock level
pushed as it is): Django's boolean icons show a red ✗ for it, which reads as a problem. Here the
normal case is a quiet dash and only the notable case says something, in words."""

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

NEUTRAL = mark_safe('<span class="flag-off" title="No">—</span>')  # noqa: S308 - a constant


def notable(value: bool, text: str, *, problem: bool = False):
    """`text` when `value` holds (marked as a problem when it is one), else a neutral dash."""
    if value:
        return format_html(
            '<span class="flag-on{}">{}{}</span>', " flag-problem" if problem else "", "⚠ " if problem else "", text
        )
    return NEUTRAL


def date_over_time(value):
    """A date and time in a list column as the date over the time: the full "1 Dec 2026, 4:13
    p.m." does not wrap and runs the last columns off the screen."""
    if value is None:
        return NEUTRAL
    when = timezone.localtime(value)
    return format_html("{}<br>{}", date_format(when, "DATE_FORMAT"), time_format(when, "TIME_FORMAT"))
