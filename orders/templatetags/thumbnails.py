"""{% load thumbnails %}: `side|side_thumbnail` is where a page shows a side's thumbnail, our
mirrored copy once there is one, else the image proxy's link (orders/services/thumbnails.py)."""

from django import template

register = template.Library()


@register.filter(name="side_thumbnail")
def side_thumbnail(side) -> str:
    from orders.services.thumbnails import thumbnail_url

    return thumbnail_url(side)
