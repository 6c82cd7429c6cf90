"""Template filters for vendor strings in markup: defence in depth for rows stored before the
mappers validated them (integrations/markup.py), and the way vendor images reach a page (through
our own image proxy, never hotlinked)."""

from django import template

from integrations.markup import css_colour, http_url

register = template.Library()


@register.filter(name="css_colour")
def css_colour_filter(value) -> str:
    """The colour if it is one (`#rgb`, `rgb()`, a named colour), else ""."""
    return css_colour(value)


@register.filter(name="http_url")
def http_url_filter(value) -> str:
    """The URL if it is an http(s) URL without credentials, else "" (for href)."""
    return http_url(value)


@register.filter(name="vendor_image")
def vendor_image_filter(value) -> str:
    """Our own proxy URL for a vendor image (fetched once, sniffed, cached), or "" when the
    value is not an http(s) URL."""
    from orders.services.image_proxy import proxy_url

    return proxy_url(value)
