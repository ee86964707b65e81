"""The seller's catalog: products with a live code, variants that carry stock, and every stock movement."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    code = models.CharField(max_length=32, help_text="What viewers type in comments, e.g. A12 or 15.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price_minor = models.BigIntegerField(help_text="Price in minor units (cents).")
    currency = models.CharField(max_length=3)
    active = models.BooleanField(default=True)
    image_url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="product_code_unique_ci"),
            models.CheckConstraint(condition=~Q(code=""), name="product_code_not_empty"),
            models.CheckConstraint(condition=Q(price_minor__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="product_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Variant(models.Model):
    """A sellable variant. An empty label is the product's single variant (one size, one colour)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=64, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    stock_on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [
            models.UniqueConstraint("product", Lower("label"), name="variant_label_unique_per_product_ci"),
            models.UniqueConstraint(fields=["sku"], condition=~Q(sku=""), name="variant_sku_unique"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="variant_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("stock_on_hand")), name="variant_reserved_within_stock"),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} {self.label}".strip()

    @property
    def available(self) -> int:
        return self.stock_on_hand - self.reserved


class StockMovement(models.Model):
    """One change of a variant's stock or reservations, with who made it and why."""

    class Reason(models.TextChoices):
        IMPORT = "import", _("Catalog import")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        RESERVATION = "reservation", _("Reserved for a claim")
        RELEASE = "release", _("Reservation released")
        SALE = "sale", _("Sold")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="movements")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    actor = models.CharField(max_length=200, help_text="Who made the change: a user's e-mail or system:<process>.")
    note = models.CharField(max_length=500, blank=True)
    reservation_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0, reserved_delta=0), name="stock_movement_changes_something"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} {self.reason} {self.on_hand_delta:+d}/{self.reserved_delta:+d}"
