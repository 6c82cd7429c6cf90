"""Template filters for vendor values staff read (orders/readable.py): codes as labels, ISO
timestamps as dates."""

from django import template

from orders.readable import code_label, code_shown, readable_datetime

register = template.Library()

register.filter("code_label", code_label)
register.filter("code_shown", code_shown)
register.filter("readable_datetime", readable_datetime)
