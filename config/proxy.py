"""The client's address behind a known number of reverse proxies (django-axes counts failed logins
per address with it: AXES_CLIENT_IP_CALLABLE).

Werkzeug's ProxyFix (x_for=N) and Django REST framework's NUM_PROXIES semantics: each trusted
proxy appends the address it received the request from to X-Forwarded-For, so with N proxies in
front of the app the client is the N-th entry from the right; whatever the client itself put to the
left of that is ignored. With TRUSTED_PROXY_COUNT = 0 (the default) X-Forwarded-For is never read,
so a client connecting directly cannot choose its own address.

Not django-ipware: its proxy_count counts the proxies *listed in* X-Forwarded-For and wants the
chain to be exactly that long, so behind one nginx (which lists only the client) a count of 1
resolves every honest request to no address at all, and a count of 0 with X-Forwarded-For read
lets a direct client pick its address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.5:51234
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote  # not through all our proxies: the connecting address is all we know
    return _address(hops[-count]) or remote
