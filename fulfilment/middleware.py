"""Partners' hooks (/hooks/<vendor>/<token>/<hook>/) skip the middleware that only staff pages use.

A hook request carries no session, no login and no CSRF token (the view is csrf-exempt: the
URL's secret, or the vendor's HMAC, is the proof), its answer is a small JSON document that no
browser renders, and nothing it does is a staff member's configuration change. So sessions,
authentication, messages, CSRF, django-htmx, django-auditlog's actor, django-axes' lockout (a
login's), the CSP and the common middleware's slash redirect have nothing to do for it, and at
the callback rates of issue 13 running them was a third of the request's Python time.

This middleware goes right after SecurityMiddleware and WhiteNoise (which still run: HTTPS
redirect, HSTS, nosniff). For a path that resolves to the hook view it checks the Host header
against ALLOWED_HOSTS (as CommonMiddleware would), calls the view and adds the two headers
that still mean something on a JSON answer (X-Frame-Options, a CSP that allows nothing); any
other path goes through the whole stack as before."""

from __future__ import annotations

from django.urls import Resolver404, resolve

HOOK_PREFIX = "/hooks/"
HOOK_VIEW = "fulfilment:hook"
# The answer is JSON: nothing in it may load, run or be framed.
HOOK_CSP = "default-src 'none'; frame-ancestors 'none'"


class PartnerHooksMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(HOOK_PREFIX):
            return self.get_response(request)
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return self.get_response(request)
        if match.view_name != HOOK_VIEW:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) for a Host not in ALLOWED_HOSTS, as before
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", HOOK_CSP)
        return response
