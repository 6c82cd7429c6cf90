"""What a vendor connection may hold: the URLs its stored key is sent to, shop domains, company ids.

One function per rule, used by the model's ``clean()`` (so the admin form, ``connection_upsert``
and ``add_connection`` all give the same answer). Messages say what was wrong in words and never
repeat a secret.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from integrations.http import host_addresses, non_public_kind

SHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def _local_allowed() -> bool:
    """The built-in sandboxes live on this machine: only then may a connection point here."""
    return bool(settings.SANDBOX_ENABLED)


def _https_only() -> bool:
    return not settings.DEBUG and not settings.SANDBOX_ENABLED


def _resolve(host: str, port: int) -> list:
    try:
        return host_addresses(host, port)
    except (OSError, UnicodeError):
        # Not resolvable (now, or from here): nothing can be sent to it either; the first call
        # fails with a connection error in words. Refusing here would block setting up offline.
        return []


def connection_url_validate(url: str) -> None:
    """Refuse a connection URL the stored key must never be sent to.

    http(s) only; https only in production (DEBUG off and no sandbox); no credentials in the URL;
    never ``localhost`` nor a loopback, link-local, unspecified or private address, written out or
    resolved from the host name, unless SANDBOX_ENABLED (the sandboxes run on this machine).

    The DNS check is a guard, not a guarantee: a name's answer can change after it was validated
    (DNS rebinding), so this catches mistakes and plain attempts, not a determined attacker who
    controls a DNS server. The real protection is that changing a URL needs the key re-typed.
    """
    if not url:
        return
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"Not a valid URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationError("Only http and https URLs.")
    if scheme != "https" and _https_only():
        raise ValidationError("Only https URLs in production: the API key travels with every request.")
    if parts.username or parts.password:
        raise ValidationError("No user name or password in the URL: the connection's key is its credential.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise ValidationError("The URL has no host.")
    if _local_allowed():
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise ValidationError("Not localhost: a connection must point at the vendor.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [literal] if literal else _resolve(host, port or (443 if scheme == "https" else 80))
    if any(non_public_kind(address) for address in addresses):
        where = "is" if literal else "resolves to"
        raise ValidationError(
            f"{host} {where} a local, private or link-local address: a connection must point at the vendor."
        )


def base_url_setting(default: str):
    """The usual "Base URL" setting of a vendor with one API root: blank means `default` (its
    production URL), and the secrets are sent there, so changing it needs them typed again."""
    from .registry import Setting

    return Setting(
        "base_url",
        "Base URL",
        help="Leave blank for the vendor's production URL.",
        default=default,
        type="url",
        validate=connection_url_validate,
        sends_secrets=True,
    )


def shopify_domain_validate(value: str) -> None:
    if not SHOPIFY_DOMAIN.match(value):
        raise ValidationError(
            f'"{value}" is not a …myshopify.com domain (e.g. mystore.myshopify.com, without https:// or a path).'
        )


def custom_gateway_company_validate(value: str) -> None:
    if not value.isascii() or not value.isdigit():
        raise ValidationError(f'"{value}" is not a Custom Gateway company reference ID (digits only).')


def company_slug_validate(value: str) -> None:
    if not SLUG.match(value):
        raise ValidationError(
            f'"{value}" is not a company (brand) id: letters, digits, "-" and "_" only, as in the API\'s URLs.'
        )
