"""Reads on the catalog."""

from __future__ import annotations

from django.db.models import QuerySet, Sum
from django.db.models.functions import Lower

from inventory.models import Product, StockMovement, Variant


def product_get_by_code(*, code: str) -> Product | None:
    return Product.objects.annotate(code_lower=Lower("code")).filter(code_lower=code.lower()).first()


def product_list(*, search: str = "", active: bool | None = None) -> QuerySet[Product]:
    """Products with their variants, by code; `active` True: on sale only, False: off sale only, None: all."""
    products = Product.objects.prefetch_related("variants")
    if search:
        products = products.filter(code__icontains=search) | products.filter(name__icontains=search)
    if active is not None:
        products = products.filter(active=active)
    return products.order_by("code")


def variant_sold_units(*, variant: Variant) -> int:
    """Units that left stock as sales (the 'sold' term of initial = available + reserved + sold)."""
    total = StockMovement.objects.filter(variant=variant, reason=StockMovement.Reason.SALE).aggregate(
        total=Sum("on_hand_delta")
    )["total"]
    return -(total or 0)
