"""Catalog forms: they turn input into catalog rows and stock changes; services write them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from core.money import parse_amount
from inventory.catalog_csv import MAX_FILE_BYTES, CatalogFileError, decode_catalog_bytes
from inventory.services import PRODUCT_DESCRIPTION_MAX_LENGTH, PRODUCT_IMAGE_URL_MAX_LENGTH

# The fields product_details_update writes; name, price, currency and variants go through the catalog import.


class ProductForm(forms.Form):
    code = forms.RegexField(
        label=_("Live code"),
        regex=r"^\S{1,32}$",
        max_length=32,
        help_text=_("What viewers type in comments, e.g. A12 or 15."),
        error_messages={"invalid": _("A code has at most 32 characters and no spaces.")},
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    # Text, not a number input: sellers type "249,90" as often as "249.90" (core.money reads both).
    price = forms.CharField(
        label=_("Price"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("For example 249.90 or 249,90."),
    )
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
        if cleaned.get("price") and cleaned.get("currency"):
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
    """Step 1 uploads `file`; step 2 (confirm) posts back the text the preview showed, and the fingerprint of
    the on-hand counts it showed."""

    file = forms.FileField(
        label=_("Catalog CSV"),
        required=False,
        allow_empty_file=True,  # decode_catalog_bytes says "The file is empty." in the seller's words
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )
    csv_text = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    on_hand_fingerprint = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is None and not cleaned.get("csv_text") and "file" not in self.errors:
            self.add_error("file", _("Choose a CSV file first."))
            return cleaned
        if upload is not None:
            raw = upload.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                self.add_error("file", _("The file is larger than 5 MB."))
                return cleaned
            try:
                cleaned["csv_text"] = decode_catalog_bytes(raw)
            except CatalogFileError as exc:
                self.add_error("file", exc.errors[0].message)
        return cleaned

    def text(self) -> str:
        return str(self.cleaned_data["csv_text"])

    def confirmed_fingerprint(self) -> str:
        """The fingerprint of the preview being confirmed; empty on step 1 (a new file) or without a preview."""
        if self.cleaned_data.get("file") is not None:
            return ""
        return str(self.cleaned_data.get("on_hand_fingerprint") or "")
