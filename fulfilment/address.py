"""One shape for the customer and where the goods go: the fields every order that ships has (the
abstract `fulfilment.models.Address`, the `AddressForm` that edits them) and the one check of a
country code, against the ISO 3166-1 list of the `iso3166` package."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from iso3166 import countries_by_alpha2

from integrations import partners

CONTACT_FIELDS = ["customer_name", "customer_email", "customer_telephone", "shipping_company"]
LINE_FIELDS = [
    "shipping_address_1",
    "shipping_address_2",
    "shipping_address_3",
    "shipping_address_4",
    "shipping_address_5",
    "shipping_postcode",
    "shipping_country_code",
]
ADDRESS_FIELDS = CONTACT_FIELDS + LINE_FIELDS
COUNTRY_HELP = "ISO 3166-1 alpha-2, e.g. GB"


def country_code_problem(code: str) -> str:
    """Why `code` (upper-cased, trimmed) is not an ISO 3166-1 alpha-2 country code; "" when it is."""
    code = (code or "").strip().upper()
    if code and code not in countries_by_alpha2:
        return f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, DE)."
    return ""


def country_code_validate(value: str) -> None:
    problem = country_code_problem(value)
    if problem:
        raise ValidationError(problem)


def address_record(row) -> partners.Address:
    """A model row's address as the neutral record partners take."""
    return partners.Address(
        name=getattr(row, "customer_name", ""),
        email=getattr(row, "customer_email", ""),
        telephone=getattr(row, "customer_telephone", ""),
        company=getattr(row, "shipping_company", ""),
        line_1=row.shipping_address_1,
        line_2=row.shipping_address_2,
        line_3=row.shipping_address_3,
        town=row.shipping_address_4,
        region=row.shipping_address_5,
        postcode=row.shipping_postcode,
        country_code=row.shipping_country_code,
    )


BILLING_FIELDS = [
    "billing_customer_name",
    "billing_company",
    "billing_address_1",
    "billing_address_2",
    "billing_address_3",
    "billing_address_4",
    "billing_address_5",
    "billing_postcode",
    "billing_country_code",
]


def billing_record(row) -> partners.Address | None:
    """A row's billing name and address as the neutral record; None when it has none (all blank:
    the same as the shipping address). A blank billing country is the shipping country."""
    if not any((getattr(row, name, "") or "").strip() for name in BILLING_FIELDS):
        return None
    return partners.Address(
        name=row.billing_customer_name,
        company=row.billing_company,
        line_1=row.billing_address_1,
        line_2=row.billing_address_2,
        line_3=row.billing_address_3,
        town=row.billing_address_4,
        region=row.billing_address_5,
        postcode=row.billing_postcode,
        country_code=row.billing_country_code or row.shipping_country_code,
    )


def billing_columns(address: partners.Address | None) -> dict[str, str]:
    """The neutral billing record as the model's billing columns (None: all blank)."""
    address = address or partners.Address()
    return {
        "billing_customer_name": address.name,
        "billing_company": address.company,
        "billing_address_1": address.line_1,
        "billing_address_2": address.line_2,
        "billing_address_3": address.line_3,
        "billing_address_4": address.town,
        "billing_address_5": address.region,
        "billing_postcode": address.postcode,
        "billing_country_code": address.country_code,
    }


class BillingFormMixin(forms.Form):
    """A "billing address differs" section: unticked, the billing fields are ignored (blank: the
    shipping address); ticked, the name, line 1 and postcode are required."""

    billing_differs = forms.BooleanField(required=False, label="Billing address differs")
    billing_customer_name = forms.CharField(label="Billing name", max_length=255, required=False)
    billing_company = forms.CharField(max_length=255, required=False)
    billing_address_1 = forms.CharField(max_length=255, required=False)
    billing_address_2 = forms.CharField(max_length=255, required=False)
    billing_address_3 = forms.CharField(max_length=255, required=False)
    billing_address_4 = forms.CharField(label="Billing city or town", max_length=255, required=False)
    billing_address_5 = forms.CharField(label="Billing region", max_length=255, required=False)
    billing_postcode = forms.CharField(max_length=32, required=False)
    billing_country_code = forms.CharField(
        label="Billing country (ISO code)", max_length=2, required=False, help_text="Blank: the shipping country."
    )

    def clean_billing_country_code(self) -> str:
        code = (self.cleaned_data.get("billing_country_code") or "").strip().upper()
        if code:
            country_code_validate(code)
        return code

    def clean(self):
        data = super().clean()
        if not data.get("billing_differs"):
            for name in BILLING_FIELDS:
                data[name] = ""
            return data
        for name, label in (
            ("billing_customer_name", "billing name"),
            ("billing_address_1", "billing address line 1"),
            ("billing_postcode", "billing postcode"),
        ):
            if not (data.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, f"The {label} is required when the billing address differs.")
        return data


def address_columns(address: partners.Address, *, contact: bool = True) -> dict[str, str]:
    """The neutral record as the model's columns (`contact=False`: a row without the contact ones)."""
    columns = {
        "customer_name": address.name,
        "shipping_address_1": address.line_1,
        "shipping_address_2": address.line_2,
        "shipping_address_3": address.line_3,
        "shipping_address_4": address.town,
        "shipping_address_5": address.region,
        "shipping_postcode": address.postcode,
        "shipping_country_code": address.country_code,
    }
    if contact:
        columns |= {
            "customer_email": address.email,
            "customer_telephone": address.telephone,
            "shipping_company": address.company,
        }
    return columns


class AddressForm(forms.Form):
    """The customer and shipping address, as staff type them for an order we send."""

    customer_name = forms.CharField(max_length=255, required=False)
    customer_email = forms.EmailField(required=False)
    customer_telephone = forms.CharField(max_length=64, required=False)
    shipping_company = forms.CharField(max_length=255, required=False)
    shipping_address_1 = forms.CharField(max_length=255)
    shipping_address_2 = forms.CharField(max_length=255, required=False)
    shipping_address_3 = forms.CharField(max_length=255, required=False)
    shipping_address_4 = forms.CharField(label="City or town", max_length=255, required=False)
    shipping_address_5 = forms.CharField(label="Region", max_length=255, required=False)
    shipping_postcode = forms.CharField(max_length=32)
    shipping_country_code = forms.CharField(label="Country (ISO code, e.g. GB)", max_length=2, min_length=2)

    def clean_shipping_country_code(self) -> str:
        code = self.cleaned_data["shipping_country_code"].strip().upper()
        country_code_validate(code)
        return code
