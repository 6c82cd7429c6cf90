"""Add print jobs to a connection (paste refs, or upload a CSV): each becomes a customization of
it (orders.services.print_jobs). Reached from the connection's admin page (connections.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from integrations.registry import UnknownVendor

from ..models import VendorConnection
from ..services.print_jobs import MAX_UPLOAD_BYTES, PrintJobsRefused, print_jobs_add, refs_from_csv, refs_from_text


class PrintJobsForm(forms.Form):
    refs = forms.CharField(
        label="Print job refs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text="One per line (or separated by commas or spaces), e.g. the printJobRef your store captured.",
    )
    csv_file = forms.FileField(
        label="or a CSV file",
        required=False,
        help_text="A printJobRef (or ref) column, else the first column.",
    )

    def clean(self):
        data = super().clean()
        refs = refs_from_text(data.get("refs") or "")
        upload = data.get("csv_file")
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(f"The file is over {MAX_UPLOAD_BYTES // 1000} kB.")
            try:
                refs += refs_from_csv(upload.read())
            except PrintJobsRefused as exc:
                raise forms.ValidationError(f"The file cannot be read: {exc}.") from None
        if not refs:
            raise forms.ValidationError("Paste some refs or choose a CSV file.")
        data["all_refs"] = refs
        return data


def _has_print_jobs(connection: VendorConnection) -> bool:
    try:
        return connection.spec.print_job is not None
    except UnknownVendor:
        return False


def print_jobs_link(connection: VendorConnection) -> str:
    """The connection page's button to this form ("" when its vendor has no print jobs)."""
    if not connection.pk or not _has_print_jobs(connection):
        return ""
    url = reverse("admin:orders_vendorconnection_print_jobs", args=[connection.pk])
    return format_html(' <a class="button" href="{}">Add print jobs…</a>', url)


def print_jobs_view(model_admin, request, object_id):
    connection = get_object_or_404(VendorConnection, pk=object_id if str(object_id).isdigit() else None)
    if not _has_print_jobs(connection):
        raise Http404("this vendor has no print jobs")
    if not model_admin.has_change_permission(request, connection):
        raise PermissionDenied
    change_url = reverse("admin:orders_vendorconnection_change", args=[connection.pk])
    form = PrintJobsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = print_jobs_add(connection, form.cleaned_data["all_refs"])
        except PrintJobsRefused as exc:
            form.add_error(None, f"{exc}.")
        else:
            model_admin.message_user(
                request,
                f"{connection.name}: print jobs {outcome.summary()}",
                messages.WARNING if outcome.invalid else messages.SUCCESS,
            )
            return redirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Add print jobs to {connection.name}",
        "opts": model_admin.model._meta,
        "original": connection,
        "change_url": change_url,
        "form": form,
    }
    return TemplateResponse(request, "admin/orders/vendorconnection/print_jobs.html", context)
