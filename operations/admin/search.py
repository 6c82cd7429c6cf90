"""The results page of the header's search box: /admin/search/?q=... (admin:search).

An AdminSite view, so that it has the admin's login, context and URL namespace and is walked by
tests/test_admin_permissions.py with every other admin URL. Django's AdminSite has no hook for an
extra site-level URL, so the default site's get_urls is wrapped once, here (the admin package is
imported by autodiscover before the URLconf is read).
"""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ..search import MAX_LENGTH, search


def _url_for(name: str, obj) -> str:
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


def search_view(request):
    """Every kind the user may view, grouped; 400 with the reason when the query is too long.
    `anywhere=1`: partial matches anywhere in every field, even where some values start with it."""
    raw = request.GET.get("q")
    anywhere = request.GET.get("anywhere") == "1"
    results = search(raw, user=request.user, url_for=_url_for, anywhere=anywhere) if raw is not None else None
    context = {
        **admin.site.each_context(request),
        "title": f"Search: {results.query}" if results and results.query else "Search",
        "results": results,
        "search_query": (raw or "")[:MAX_LENGTH],
        "max_length": MAX_LENGTH,
    }
    # Empty: a prompt (200). Too long: refused, with the reason (400).
    status = 400 if results and results.problem and (raw or "").strip() else 200
    return TemplateResponse(request, "admin/operations/search.html", context, status=status)


def _with_search(get_urls):
    def get_urls_with_search():
        return [path("search/", admin.site.admin_view(search_view), name="search"), *get_urls()]

    get_urls_with_search.search_added = True  # type: ignore[attr-defined]
    return get_urls_with_search


if not getattr(admin.site.get_urls, "search_added", False):
    admin.site.get_urls = _with_search(admin.site.get_urls)  # type: ignore[method-assign]
