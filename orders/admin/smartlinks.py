"""The Smartlink builder and its live preview (Custom Gateway's personalisation apps, embedded by
link): staff build the iframe URL for a product, copy a snippet for the shop, and try the
product as customers will, in a page of the back office that embeds it.

Reached from a connection whose vendor declares Capability.SMARTLINKS, under the connection's
admin URLs (`smartlink_urls`, added by VendorConnectionAdmin.get_urls). Who may: anyone who may
view the connection; the save-design callback URL carries the connection's hook secret, so it is
put in the link only for those who may change the connection (as on the connection's page).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integrations.custom_gateway.smartlinks import (
    DEFAULT_APP,
    DEFAULT_CONFIGURATION,
    DEFAULT_DESIGNER_URL,
    DEFAULT_LOCALE,
    RENDERERS,
    Smartlink,
    SmartlinkInvalid,
    new_mei,
    origin_of,
    smartlink_snippet,
    smartlink_url,
)
from integrations.registry import Capability

from ..models import VendorConnection
from ..services.connections import connection_hook_urls

SAVED_DESIGNS_HOOK = "designs"  # the connection's hook for saved designs (issue 11, part 2)


class SmartlinkForm(forms.Form):
    """The builder's parameters, read from the query string (GET: nothing is stored)."""

    app = forms.CharField(label="App", initial=DEFAULT_APP, max_length=64, help_text="e.g. acp3_2")
    locale = forms.CharField(label="Locale", initial=DEFAULT_LOCALE, max_length=16, help_text="e.g. en_GB")
    configuration = forms.CharField(label="Configuration", initial=DEFAULT_CONFIGURATION, max_length=64)
    product_id = forms.RegexField(
        label="Product ID",
        regex=r"^\s*\d+\s*$",
        max_length=20,
        help_text="The product to load (p), e.g. 1007644.",
        error_messages={"invalid": "Product ID: the Custom Gateway product's number (digits, e.g. 1007644)."},
    )
    renderer = forms.ChoiceField(
        label="Renderer",
        choices=[
            ("2d-canvas", "2d-canvas (2D products)"),
            ("webgl", "webgl (3D products)"),
            ("multi", "multi (both; slower to load)"),
        ],
        initial=RENDERERS[0],
    )
    add_to_cart = forms.BooleanField(label="Add to cart by postMessage (a2c, meo, mei)", required=False, initial=True)
    save_design = forms.BooleanField(
        label="Save button, calling back this connection's saved-designs URL", required=False
    )
    print_job_ref = forms.CharField(label="Restore a print job (pj)", required=False, max_length=64)
    saved_design_ref = forms.CharField(label="Reload a saved design (ps)", required=False, max_length=64)


def smartlink_urls(model_admin) -> list:
    """The builder's URLs, under the connection's admin: <id>/smartlink/ and <id>/smartlink/preview/."""
    view = model_admin.admin_site.admin_view
    return [
        path(
            "<path:object_id>/smartlink/",
            view(lambda request, object_id: builder_view(model_admin, request, object_id)),
            name="orders_vendorconnection_smartlink",
        ),
        path(
            "<path:object_id>/smartlink/preview/",
            view(lambda request, object_id: preview_view(model_admin, request, object_id)),
            name="orders_vendorconnection_smartlink_preview",
        ),
    ]


def _connection(model_admin, request, object_id) -> VendorConnection:
    connection = get_object_or_404(VendorConnection, pk=object_id if str(object_id).isdigit() else None)
    if not model_admin.has_view_permission(request, connection):
        raise PermissionDenied
    if not connection.spec.has(Capability.SMARTLINKS):
        raise Http404("this vendor has no Smartlinks")
    return connection


def designer_url(connection: VendorConnection) -> str:
    return (connection.settings or {}).get("designer_url") or DEFAULT_DESIGNER_URL


def _build(model_admin, request, connection, *, meo: str = "", mei: str = ""):
    """(form, link, url, notes): the link is None until the form is valid; a parameter the
    URL cannot carry is a form error in words."""
    form = SmartlinkForm(request.GET if "product_id" in request.GET else None)
    notes: list[str] = []
    if not form.is_bound or not form.is_valid():
        return form, None, "", notes
    data = form.cleaned_data
    save_url = ""
    if data["save_design"]:
        if not model_admin.has_change_permission(request, connection):
            notes.append("The save-design callback URL holds the connection's secret: only a manager's link has it.")
        else:
            save_url = connection_hook_urls(connection).get(SAVED_DESIGNS_HOOK, "")
            if not save_url:
                notes.append("This connection has no saved-designs callback URL yet: the link has no save button.")
    add_to_cart = data["add_to_cart"]
    link = Smartlink(
        designer_url=designer_url(connection),
        app=data["app"].strip(),
        locale=data["locale"].strip(),
        configuration=data["configuration"].strip(),
        product_id=data["product_id"].strip(),
        renderer=data["renderer"],
        company_ref_id=str((connection.settings or {}).get("company", "")),
        add_to_cart=add_to_cart,
        meo=meo if add_to_cart else "",
        mei=mei if add_to_cart else "",
        save_callback_url=save_url,
        print_job_ref=data["print_job_ref"].strip(),
        saved_design_ref=data["saved_design_ref"].strip(),
    )
    try:
        url = smartlink_url(link)
    except SmartlinkInvalid as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc))
        return form, None, "", notes
    return form, link, url, notes


def _context(model_admin, request, connection, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": connection,
        "connection": connection,
        "change_url": reverse("admin:orders_vendorconnection_change", args=[connection.pk]),
        "builder_url": reverse("admin:orders_vendorconnection_smartlink", args=[connection.pk]),
        "preview_url": reverse("admin:orders_vendorconnection_smartlink_preview", args=[connection.pk]),
        "company_ref_id": (connection.settings or {}).get("company", ""),
        **extra,
    }


def builder_view(model_admin, request, object_id):
    """The form; once valid, the URL, a copyable snippet for the shop and a link to the preview."""
    connection = _connection(model_admin, request, object_id)
    form, link, url, notes = _build(model_admin, request, connection)
    context = _context(
        model_admin,
        request,
        connection,
        title=f"Smartlink builder: {connection.name}",
        form=form,
        link=link,
        url=url,
        notes=notes,
        designer_origin=origin_of(link.designer_url) if link else "",
        snippet=smartlink_snippet(link) if link else "",
        query=request.GET.urlencode(),
    )
    return TemplateResponse(request, "admin/orders/vendorconnection/smartlink.html", context)


def preview_view(model_admin, request, object_id):
    """The Smartlink embedded in the back office, with this page as the parent (meo) and a fresh
    mei per load: add-to-cart messages from the designer's origin and this mei are shown, any
    other message is counted as ignored. The page's CSP lets it frame the designer's origin only."""
    connection = _connection(model_admin, request, object_id)
    meo = origin_of(request.build_absolute_uri("/"))
    form, link, url, notes = _build(model_admin, request, connection, meo=meo, mei=new_mei())
    origin = origin_of(link.designer_url) if link else ""
    context = _context(
        model_admin,
        request,
        connection,
        title=f"Smartlink preview: {connection.name}",
        form=form,
        link=link,
        url=url,
        notes=notes,
        designer_origin=origin,
        query=request.GET.urlencode(),
    )
    response = TemplateResponse(
        request, "admin/orders/vendorconnection/smartlink_preview.html", context, status=200 if link else 400
    )
    if origin:
        response._csp_update = {"frame-src": [origin]}  # type: ignore[attr-defined]  # django-csp
    return response
