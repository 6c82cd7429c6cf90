"""Vendor strings that reach markup, validated for their role. Plain Python (no Django).

A colour is put into a swatch, a URL into `href`/`src`: each must be exactly what its role
allows or it is dropped (""), never "cleaned" into something half-trusted. This is OWASP's XSS
prevention advice (validate untrusted values against an allow-list for their context) and what
bleach/nh3 do for URLs (an allow-list of schemes, checked after the browser's own normalisation).
Applied where a vendor value is stored (the mappers) and again where it is rendered (template
filters), for rows stored before.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# CSS Color Module Level 4 named colours (plus transparent), lower case.
NAMED_COLOURS = frozenset(
    [
        "aliceblue",
        "antiquewhite",
        "aqua",
        "aquamarine",
        "azure",
        "beige",
        "bisque",
        "black",
        "blanchedalmond",
        "blue",
        "blueviolet",
        "brown",
        "burlywood",
        "cadetblue",
        "chartreuse",
        "chocolate",
        "coral",
        "cornflowerblue",
        "cornsilk",
        "crimson",
        "cyan",
        "darkblue",
        "darkcyan",
        "darkgoldenrod",
        "darkgray",
        "darkgreen",
        "darkgrey",
        "darkkhaki",
        "darkmagenta",
        "darkolivegreen",
        "darkorange",
        "darkorchid",
        "darkred",
        "darksalmon",
        "darkseagreen",
        "darkslateblue",
        "darkslategray",
        "darkslategrey",
        "darkturquoise",
        "darkviolet",
        "deeppink",
        "deepskyblue",
        "dimgray",
        "dimgrey",
        "dodgerblue",
        "firebrick",
        "floralwhite",
        "forestgreen",
        "fuchsia",
        "gainsboro",
        "ghostwhite",
        "gold",
        "goldenrod",
        "gray",
        "green",
        "greenyellow",
        "grey",
        "honeydew",
        "hotpink",
        "indianred",
        "indigo",
        "ivory",
        "khaki",
        "lavender",
        "lavenderblush",
        "lawngreen",
        "lemonchiffon",
        "lightblue",
        "lightcoral",
        "lightcyan",
        "lightgoldenrodyellow",
        "lightgray",
        "lightgreen",
        "lightgrey",
        "lightpink",
        "lightsalmon",
        "lightseagreen",
        "lightskyblue",
        "lightslategray",
        "lightslategrey",
        "lightsteelblue",
        "lightyellow",
        "lime",
        "limegreen",
        "linen",
        "magenta",
        "maroon",
        "mediumaquamarine",
        "mediumblue",
        "mediumorchid",
        "mediumpurple",
        "mediumseagreen",
        "mediumslateblue",
        "mediumspringgreen",
        "mediumturquoise",
        "mediumvioletred",
        "midnightblue",
        "mintcream",
        "mistyrose",
        "moccasin",
        "navajowhite",
        "navy",
        "oldlace",
        "olive",
        "olivedrab",
        "orange",
        "orangered",
        "orchid",
        "palegoldenrod",
        "palegreen",
        "paleturquoise",
        "palevioletred",
        "papayawhip",
        "peachpuff",
        "peru",
        "pink",
        "plum",
        "powderblue",
        "purple",
        "rebeccapurple",
        "red",
        "rosybrown",
        "royalblue",
        "saddlebrown",
        "salmon",
        "sandybrown",
        "seagreen",
        "seashell",
        "sienna",
        "silver",
        "skyblue",
        "slateblue",
        "slategray",
        "slategrey",
        "snow",
        "springgreen",
        "steelblue",
        "tan",
        "teal",
        "thistle",
        "tomato",
        "turquoise",
        "violet",
        "wheat",
        "white",
        "whitesmoke",
        "yellow",
        "yellowgreen",
        "transparent",
    ]
)
_HEX = re.compile(r"#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})")
_NUMBER = r"\s*\d{1,3}(?:\.\d+)?%?\s*"
_ALPHA = r"\s*(?:0|1|0?\.\d+|\d{1,3}%)\s*"
_RGB = re.compile(rf"rgba?\(({_NUMBER}),({_NUMBER}),({_NUMBER})(?:,{_ALPHA})?\)")


def css_colour(value: object) -> str:
    """The colour, normalised to lower case, if it is one of `#rgb`, `#rgba`, `#rrggbb`,
    `#rrggbbaa`, `rgb(r, g, b)`, `rgba(r, g, b, a)` with numbers only, or a named CSS colour;
    otherwise "". Never free CSS: `red; background:url(//evil)` and `expression(...)` are ""."""
    if not isinstance(value, str):
        return ""
    colour = value.strip().lower()
    if len(colour) > 64:
        return ""
    if colour in NAMED_COLOURS or _HEX.fullmatch(colour):
        return colour
    match = _RGB.fullmatch(colour)
    if match and all(float(part.strip().rstrip("%")) <= (100 if "%" in part else 255) for part in match.groups()):
        return colour
    return ""


_SCHEMES = {"http", "https"}
# What browsers strip or ignore in a URL before reading its scheme (WHATWG URL: leading and
# trailing C0 controls and space; tab and newline anywhere).
_C0_EDGES = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
# Control characters, DEL, and what would end or break out of a quoted attribute or a CSS url().
_REFUSED = re.compile(r"[\x00-\x1f\x7f<>\"'` \\]")


def http_url(value: object, *, max_length: int = 2000) -> str:
    """The URL if it is an absolute http(s) URL with a host and no credentials in it; else "".
    `javascript:`, `data:`, `vbscript:` in any case or with leading blanks, and scheme-relative
    `//host/x`, are all "". The URL is checked as a browser would read it."""
    if not isinstance(value, str) or len(value) > max_length:
        return ""
    url = _TAB_NEWLINE.sub("", value.strip(_C0_EDGES)).replace(" ", "%20")
    if not url or _REFUSED.search(url):
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a malformed port
    except ValueError:
        return ""
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        return ""
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return ""
    del port
    return url
