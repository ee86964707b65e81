"""Buyers, their carts (orders), the reservations in them, and payments."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


class Buyer(models.Model):
    platform = models.CharField(max_length=16)
    platform_user_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    # When the buyer last wrote to the page: Meta's 24-hour messaging window runs from here.
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "platform_user_id"], name="buyer_unique_per_platform"),
        ]

    def __str__(self) -> str:
        return self.name or self.platform_user_id


class Order(models.Model):
    """A buyer's cart for one live session; one open at a time, reached through its secret token."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        PAID = "paid", "Paid"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="orders")
    live_session = models.ForeignKey("livestreams.LiveSession", on_delete=models.PROTECT, related_name="orders")
    token = models.CharField(max_length=64, unique=True, default=new_cart_token, editable=False)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "live_session"],
                condition=Q(status__in=["open", "awaiting_payment"]),
                name="order_one_open_per_buyer_per_live",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.status})"


class Reservation(models.Model):
    """Stock held for one item of a claim until `hold_expires_at`, or a place in the waitlist."""

    class Status(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        WAITLISTED = "waitlisted", "Waitlisted"
        RELEASED = "released", "Released"
        PAID = "paid", "Paid"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="reservations")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="reservations")
    source_comment = models.ForeignKey("livestreams.Comment", on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    # A claim item is split into parts when only some units are free: part 0 is decided when the comment is,
    # later parts come from waitlist promotions. (comment, variant, part) is the idempotency key.
    part = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A re-delivered comment can never reserve twice.
            models.UniqueConstraint(
                fields=["source_comment", "variant", "part"], name="reservation_unique_per_comment_variant_part"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reservation_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(status="reserved") | Q(hold_expires_at__isnull=False),
                name="reservation_reserved_has_hold_expiry",
            ),
        ]
        indexes = [models.Index(fields=["variant", "status", "created_at"], name="reservation_variant_status_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} x variant {self.variant_id} ({self.status})"


class Payment(models.Model):
    class Provider(models.TextChoices):
        LOCAL = "local", "Local test checkout"
        STRIPE = "stripe", "Stripe"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUND_NEEDED = "refund_needed", "Refund needed"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    external_id = models.CharField(max_length=255)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="payment_external_id_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="payment_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.external_id} ({self.status})"
