"""Catalog forms: they turn input into catalog rows and stock changes; services write them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from core.money import parse_amount
from inventory.catalog_csv import CatalogRow
from inventory.services import PRODUCT_DESCRIPTION_MAX_LENGTH, PRODUCT_IMAGE_URL_MAX_LENGTH

# The fields product_details_update writes; name, price, currency and variants go through the catalog import.
DETAIL_FIELDS = ("code", "description", "image_url", "active")


class ProductForm(forms.Form):
    code = forms.RegexField(
        label=_("Live code"),
        regex=r"^\S{1,32}$",
        max_length=32,
        help_text=_("What viewers type in comments, e.g. A12 or 15."),
        error_messages={"invalid": _("A code has at most 32 characters and no spaces.")},
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    # Up to the most decimals a currency has (ISO 4217: 4); core.money refuses more than the chosen currency has.
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=14, decimal_places=4)
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Za-z]{3}$", max_length=3)
    description = forms.CharField(
        label=_("Description"),
        max_length=PRODUCT_DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Checked by product_details_update (http or https only); a CharField so its message is the one shown.
    image_url = forms.CharField(
        label=_("Image URL"),
        max_length=PRODUCT_IMAGE_URL_MAX_LENGTH,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    active = forms.BooleanField(
        label=_("On sale"),
        required=False,
        initial=True,
        help_text=_("Untick to take the product off sale: comments stop matching it within a second."),
    )

    def __init__(self, *args: Any, current_code: str | None = None, **kwargs: Any) -> None:
        """`current_code`: the code of the product being edited, so the form can say what a rename does."""
        super().__init__(*args, **kwargs)
        if current_code is not None:
            self.fields["code"].help_text = _(
                "What viewers type in comments. If you change it, comments with %(code)s no longer match this "
                "product; reservations already made stay."
            ) % {"code": current_code}
            self.fields["active"].help_text = _(
                "Untick to take the product off sale: comments stop matching it within a second. "
                "Reservations already made stay."
            )

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("price") is not None and cleaned.get("currency"):
            try:
                cleaned["price_minor"] = parse_amount(str(cleaned["price"]), cleaned["currency"])
            except ValueError as exc:
                self.add_error("price", str(exc))
        return cleaned


class VariantForm(forms.Form):
    label = forms.CharField(label=_("Variant (size, colour)"), max_length=64, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    stock = forms.IntegerField(label=_("Units on hand"), min_value=0, initial=0, required=False)


VariantFormSet = formset_factory(VariantForm, extra=2, max_num=50)


def catalog_rows(
    *, product: ProductForm, code: str, variants: list[dict[str, Any]], current_stock: dict[str, int]
) -> list[CatalogRow]:
    """One catalog row per variant, like a line of the CSV import, for the product `code` (its code now: a new
    code is product_details_update's to set). Variants that exist keep their stock (`current_stock`, by
    lower-cased label): stock changes go through adjustments, with a reason."""
    data = product.cleaned_data
    rows = []
    for line, variant in enumerate(variants, start=1):
        label = (variant.get("label") or "").strip()
        stock = current_stock.get(label.lower(), variant.get("stock") or 0)
        rows.append(
            CatalogRow(
                line=line,
                code=code,
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
