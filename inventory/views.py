"""Catalog pages of the dashboard: products with stock per variant, edits, adjustments, CSV import/export."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.money import input_amount
from inventory.catalog_csv import COLUMNS, CatalogFileError, parse_catalog_csv
from inventory.catalog_sample import catalog_sample_csv
from inventory.forms import CatalogUploadForm, ProductForm, StockAdjustForm, VariantFormSet
from inventory.models import Product, StockMovement, Variant
from inventory.selectors import catalog_import_preview, product_list
from inventory.services import (
    PRODUCT_DETAIL_FIELDS,
    CatalogChangedError,
    ProductDetailsError,
    StockError,
    catalog_import,
    product_save,
    stock_adjust,
)
from tenants.views import seller_of, staff_required


def _actor(request: HttpRequest) -> str:
    return str(getattr(request.user, "email", "") or request.user.get_username())


# `?status=` of the product list: on sale, off sale, or (absent) both.
ACTIVE_FILTERS = {"active": True, "inactive": False}


@staff_required
def products(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    status = status if status in ACTIVE_FILTERS else ""
    rows = [
        {"product": p, "variants": list(p.variants.all())}
        for p in product_list(search=search, active=ACTIVE_FILTERS.get(status))
    ]
    template = "inventory/_product_rows.html" if request.htmx else "inventory/products.html"  # type: ignore[attr-defined]
    return render(request, template, {"rows": rows, "search": search, "status": status})


def _save_or_show_errors(
    *, form: ProductForm, new_variants: list[dict[str, Any]], product: Product | None, actor: str
) -> Product | None:
    """The saved product, or None with the refusal shown on the form (next to its field when it has one)."""
    try:
        return product_save(
            product_id=product.pk if product else None, fields=form.cleaned_data, variants=new_variants, actor=actor
        )
    except CatalogFileError as exc:
        form.add_error(None, "; ".join(e.message for e in exc.errors))
    except ProductDetailsError as exc:
        form.add_error(exc.field, exc.message)
    return None


def _filled(formset: Any) -> list[dict[str, Any]]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and f.has_changed()]


@staff_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ProductForm(data, initial={"currency": seller_of(request).currency})
    formset = VariantFormSet(data, prefix="variants")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        created = _save_or_show_errors(form=form, new_variants=_filled(formset), product=None, actor=_actor(request))
        if created is not None:
            messages.success(request, _("Product created."))
            return redirect("product_edit", code=created.code)
    return render(request, "inventory/product_form.html", {"form": form, "formset": formset, "product": None})


@staff_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, code: str) -> HttpResponse:
    product = get_object_or_404(Product.objects.prefetch_related("variants"), code__iexact=code)
    initial: dict[str, Any] = {"name": product.name, "currency": product.currency}
    initial.update({field: getattr(product, field) for field in PRODUCT_DETAIL_FIELDS})
    initial["price"] = input_amount(product.price_minor, product.currency)
    data = request.POST if request.method == "POST" else None
    form = ProductForm(data, initial=initial, current_code=product.code)
    formset = VariantFormSet(data, prefix="variants")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = _save_or_show_errors(form=form, new_variants=_filled(formset), product=product, actor=_actor(request))
        if saved is not None:
            messages.success(request, _saved_message(before=product, after=saved))
            return redirect("product_edit", code=saved.code)
    variants = list(product.variants.all())
    movements = StockMovement.objects.filter(variant__product=product).select_related("variant")[:20]
    return render(
        request,
        "inventory/product_form.html",
        {
            "form": form,
            "formset": formset,
            "product": product,
            "variants": variants,
            "reserved_units": sum(v.reserved for v in variants),
            "movements": movements,
            "adjust_form": StockAdjustForm(),
        },
    )


def _saved_message(*, before: Product, after: Product) -> str:
    """What the seller must know after a save: a new code and the on-sale switch change what comments match.
    Comments match codes in any case, so a change of case alone is no new code to them."""
    parts = [_("Product saved.")]
    if after.code.lower() != before.code.lower():
        parts.append(
            _("Viewers now type %(new)s; comments with %(old)s no longer match this product.")
            % {"new": after.code, "old": before.code}
        )
    if before.active and not after.active:
        parts.append(_("It is off sale: comments no longer match it. Reservations already made stay."))
    elif after.active and not before.active:
        parts.append(_("It is on sale again: comments match it within a second."))
    return " ".join(parts)


@staff_required
@require_http_methods(["POST"])
def stock_adjust_view(request: HttpRequest) -> HttpResponse:
    form = StockAdjustForm(request.POST)
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=request.POST.get("variant_id") or 0)
    if form.is_valid():
        try:
            stock_adjust(
                variant_id=variant.pk,
                on_hand_delta=form.cleaned_data["delta"],
                actor=_actor(request),
                note=form.cleaned_data["note"],
            )
        except StockError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Stock updated."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("product_edit", code=variant.product.code)


@staff_required
@require_http_methods(["GET", "POST"])
def catalog_import_view(request: HttpRequest) -> HttpResponse:
    """Step 1: upload → every row checked, errors listed by line, and a preview of what changes (prices, on-hand
    before → after); nothing written. Step 2: confirm → import, unless the on-hand counts changed since the
    preview (then the fresh preview is shown again)."""
    form = CatalogUploadForm(request.POST if request.method == "POST" else None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method != "POST" or not form.is_valid():
        return render(request, "inventory/import.html", context)
    text = form.text()
    try:
        rows = parse_catalog_csv(text)
    except CatalogFileError as exc:
        return render(request, "inventory/import.html", {**context, "errors": exc.errors})
    fingerprint = form.confirmed_fingerprint()
    if request.POST.get("confirm") == "1" and fingerprint:
        try:
            summary = catalog_import(rows=rows, actor=_actor(request), expected_fingerprint=fingerprint)
        except CatalogFileError as exc:
            return render(request, "inventory/import.html", {**context, "errors": exc.errors})
        except CatalogChangedError:
            context["stock_changed"] = True
        else:
            messages.success(
                request,
                _("Imported: %(created)s products created, %(updated)s updated, %(variants)s variants created.")
                % {
                    "created": summary.products_created,
                    "updated": summary.products_updated,
                    "variants": summary.variants_created,
                },
            )
            return redirect("products")
    preview = catalog_import_preview(rows=rows)
    context.update(preview=preview, csv_text=text, errors=preview.conflicts)
    return render(request, "inventory/import.html", context)


@staff_required
def catalog_sample(request: HttpRequest) -> HttpResponse:
    """A sample catalog in the seller's currency, with names in the dashboard's language: a file to start from."""
    response = HttpResponse(
        catalog_sample_csv(currency=seller_of(request).currency), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="catalog-sample.csv"'
    return response


@staff_required
def catalog_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catalog.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    for product in product_list():
        price = input_amount(product.price_minor, product.currency)
        for variant in product.variants.all():
            writer.writerow(
                [product.code, product.name, price, product.currency, variant.label, variant.sku, variant.stock_on_hand]
            )
    return response
