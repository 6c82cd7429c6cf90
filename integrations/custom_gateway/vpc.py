"""Custom Gateway's Virtual Product Creator (VPC, custom-gateway-api.txt, "Virtual Product
Creator"): the signed iframe URL and the PRODUCTS_CREATED message it posts back.

Plain Python (no Django, no model). The iframe URL's query is, in this order, company_ref_id,
approved_pc, blanks_pc, time, nonce, origin, then hmac = hex HMAC-SHA512 of the query before
hmac (as PHP's http_build_query writes it) with the API key. The vendor refuses an hmac older
than 15 seconds, so a URL is signed for each page load and never cached.

Where the doc is vague, the least convenient reading:
- The doc's sample omits the VPC's host (only "{$query}" survives): the URL is a connection
  setting (`vpc_url`), with no default; the creator is unavailable until it is set.
- The query is encoded as PHP's http_build_query does (RFC 1738: a space is "+", everything but
  letters, digits and "-_." is percent-encoded, so "~" is "%7E", which Python's urlencode leaves),
  since the vendor recomputes the digest from the bytes it receives.
- The message's type field is lost in the doc ("if( == 'PRODUCTS_CREATED' ...)"): `type` or
  `event` is read; the products are in `body` (the doc) or `data`; a message sent as a JSON
  string is read as the object it encodes.
- A product without an id is refused (its id is what a Smartlink reloads); every other field may
  be missing and is then blank.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlsplit

from ..registry import ConnectionConfig

# The vendor's window for `time` (seconds): older signatures are refused.
SIGNATURE_MAX_AGE = 15
MESSAGE_TYPE = "PRODUCTS_CREATED"
MAX_PRODUCTS = 200


class VpcNotConfigured(ValueError):
    """The connection lacks what the VPC needs; `str(exc)` says what, in words."""


class VpcMessageInvalid(ValueError):
    """A PRODUCTS_CREATED message we cannot read; `str(exc)` says why, in words."""


def php_query(params: Sequence[tuple[str, Any]]) -> str:
    """`params` as PHP's http_build_query writes them (PHP_QUERY_RFC1738), in the given order."""
    return "&".join(f"{_php_quote(key)}={_php_quote(value)}" for key, value in params)


def _php_quote(value: Any) -> str:
    return quote_plus(str(value), safe="").replace("~", "%7E")


def signature(query: str, api_key: str) -> str:
    """The doc's hmac: hex HMAC-SHA512 of the query (without hmac) with the API key."""
    return hmac.new(api_key.encode(), query.encode(), hashlib.sha512).hexdigest()


def signed_query(params: Sequence[tuple[str, Any]], api_key: str) -> str:
    """The query with `hmac` appended, as the doc's PHP builds it."""
    query = php_query(params)
    return f"{query}&hmac={signature(query, api_key)}"


@dataclass(frozen=True)
class VpcSettings:
    url: str
    company_ref_id: str
    approved_pc: str
    blanks_pc: str
    api_key: str


def vpc_settings(config: ConnectionConfig) -> VpcSettings:
    """What the VPC needs from the connection, or VpcNotConfigured naming what is missing."""
    values = {
        "url": str(config.settings.get("vpc_url") or ""),
        "company_ref_id": str(config.settings.get("company") or ""),
        "approved_pc": str(config.settings.get("vpc_approved_category") or ""),
        "blanks_pc": str(config.settings.get("vpc_blanks_category") or ""),
        "api_key": config.secrets.get("api_key") or "",
    }
    names = {
        "url": "the VPC URL",
        "company_ref_id": "the company reference ID",
        "approved_pc": "the approved products category ID",
        "blanks_pc": "the blanks category ID",
        "api_key": "the API key",
    }
    missing = [names[key] for key, value in values.items() if not value]
    if missing:
        raise VpcNotConfigured(f"The connection {config.name} needs {', '.join(missing)} for the VPC.")
    return VpcSettings(**values)


class CustomGatewayProductCreator:
    """The spec's `product_creator`: what the fulfilment app's VPC page calls."""

    @staticmethod
    def frame_url(config: ConnectionConfig, origin: str, *, now: float | None = None, nonce: str | None = None) -> str:
        """The iframe URL signed now, for a page served from `origin` (scheme://host[:port])."""
        values = vpc_settings(config)
        params = [
            ("company_ref_id", values.company_ref_id),
            ("approved_pc", values.approved_pc),
            ("blanks_pc", values.blanks_pc),
            ("time", int(time.time() if now is None else now)),
            ("nonce", nonce or secrets.token_hex(8)),  # the doc's bin2hex(random_bytes(8))
            ("origin", origin),
        ]
        separator = "&" if urlsplit(values.url).query else "?"
        return f"{values.url}{separator}{signed_query(params, values.api_key)}"

    @staticmethod
    def frame_origin(config: ConnectionConfig) -> str:
        """The origin the VPC's messages come from (and the CSP frame-src to allow)."""
        parts = urlsplit(vpc_settings(config).url)
        return f"{parts.scheme}://{parts.netloc}"

    @staticmethod
    def products_parse(message: Any) -> list[CreatedProduct]:
        return products_parse(message)


@dataclass(frozen=True)
class CreatedProduct:
    vendor_id: str
    name: str = ""
    description: str = ""
    retail_sku: str = ""
    snapshot_url: str = ""
    base_product_code: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


def products_parse(message: Any) -> list[CreatedProduct]:
    """The products of a PRODUCTS_CREATED message (the whole message, or its body array)."""
    if isinstance(message, str | bytes):
        try:
            message = json.loads(message)
        except ValueError:
            raise VpcMessageInvalid("the message is not JSON") from None
    if isinstance(message, Mapping):
        kind = message.get("type", message.get("event"))
        if kind is not None and kind != MESSAGE_TYPE:
            raise VpcMessageInvalid(f"the message is {str(kind)[:40]!r}, not {MESSAGE_TYPE}")
        body = message.get("body", message.get("data"))
    else:
        body = message
    if not isinstance(body, list):
        raise VpcMessageInvalid("the message has no list of products (its body)")
    if not body:
        raise VpcMessageInvalid("the message lists no product")
    if len(body) > MAX_PRODUCTS:
        raise VpcMessageInvalid(f"the message lists {len(body)} products, more than {MAX_PRODUCTS}")
    products = []
    for index, entry in enumerate(body, start=1):
        if not isinstance(entry, Mapping):
            raise VpcMessageInvalid(f"product {index} is not an object")
        vendor_id = _text(entry.get("id"), 64)
        if not vendor_id:
            raise VpcMessageInvalid(f"product {index} has no id")
        snapshots = _mapping(entry.get("snapshots"))
        base = _mapping(entry.get("base_product"))
        products.append(
            CreatedProduct(
                vendor_id=vendor_id,
                name=_text(entry.get("name"), 255),
                description=_text(entry.get("description"), 2000),
                retail_sku=_text(entry.get("retail_sku"), 255),
                snapshot_url=_http_url(snapshots.get("small")),
                base_product_code=_text(base.get("productCode"), 255),
                raw=dict(entry),
            )
        )
    return products


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any, limit: int) -> str:
    if value is None or isinstance(value, Mapping | list | bool):
        return ""
    return str(value).strip()[:limit]


def _http_url(value: Any) -> str:
    url = _text(value, 2000)
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc else ""
