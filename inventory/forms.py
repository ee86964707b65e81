"""Catalog forms: they turn input into catalog rows and stock changes; services write them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from inventory.catalog_csv import CatalogRow, price_to_minor


class ProductForm(forms.Form):
    code = forms.RegexField(
        label=_("Live code"),
        regex=r"^\S{1,32}$",
        max_length=32,
        help_text=_("What viewers type in comments, e.g. A12 or 15."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=12, decimal_places=2)
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Za-z]{3}$", max_length=3)

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("price") is not None and cleaned.get("currency"):
            try:
                cleaned["price_minor"] = price_to_minor(str(cleaned["price"]), cleaned["currency"])
            except ValueError as exc:
                self.add_error("price", str(exc))
        return cleaned


class VariantForm(forms.Form):
    label = forms.CharField(label=_("Variant (size, colour)"), max_length=64, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    stock = forms.IntegerField(label=_("Units on hand"), min_value=0, initial=0, required=False)


VariantFormSet = formset_factory(VariantForm, extra=2, max_num=50)


def catalog_rows(
    *, product: ProductForm, variants: list[dict[str, Any]], current_stock: dict[str, int]
) -> list[CatalogRow]:
    """One catalog row per variant, like a line of the CSV import. Variants that exist keep their stock
    (`current_stock`, by lower-cased label): stock changes go through adjustments, with a reason."""
    data = product.cleaned_data
    rows = []
    for line, variant in enumerate(variants, start=1):
        label = (variant.get("label") or "").strip()
        stock = current_stock.get(label.lower(), variant.get("stock") or 0)
        rows.append(
            CatalogRow(
                line=line,
                code=data["code"],
                name=data["name"],
                price_minor=data["price_minor"],
                currency=data["currency"],
                variant=label,
                sku=(variant.get("sku") or "").strip(),
                stock=stock,
            )
        )
    return rows


class StockAdjustForm(forms.Form):
    variant_id = forms.IntegerField(widget=forms.HiddenInput)
    delta = forms.IntegerField(label=_("Units (+ add, − remove)"))
    note = forms.CharField(label=_("Reason"), max_length=500)

    def clean_delta(self) -> int:
        delta = int(self.cleaned_data["delta"])
        if delta == 0:
            raise forms.ValidationError(_("Enter a number of units other than zero."))
        return delta


class CatalogUploadForm(forms.Form):
    file = forms.FileField(label=_("Catalog CSV"), required=False)
    csv_text = forms.CharField(widget=forms.HiddenInput, required=False)

    def text(self) -> str:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            raw = upload.read(5 * 1024 * 1024 + 1)
            if len(raw) > 5 * 1024 * 1024:
                raise forms.ValidationError(_("The file is larger than 5 MB."))
            try:
                return str(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise forms.ValidationError(_("Save the file as UTF-8 CSV.")) from None
        return str(self.cleaned_data.get("csv_text") or "")
