"""Buyers, their carts (orders), the reservations in them, and payments."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy


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
        OPEN = "open", pgettext_lazy("order status", "Open")
        AWAITING_PAYMENT = "awaiting_payment", pgettext_lazy("order status", "Awaiting payment")
        PAID = "paid", pgettext_lazy("order status", "Paid")
        EXPIRED = "expired", pgettext_lazy("order status", "Expired")
        CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")

    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="orders")
    live_session = models.ForeignKey("livestreams.LiveSession", on_delete=models.PROTECT, related_name="orders")
    token = models.CharField(max_length=64, unique=True, default=new_cart_token, editable=False)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    # Set when a payment could not be honoured (its units were sold to someone else): the seller refunds it.
    needs_refund = models.BooleanField(default=False)
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
            models.CheckConstraint(
                condition=Q(status__in=["open", "awaiting_payment", "paid", "expired", "cancelled"]),
                name="order_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.status})"


class Reservation(models.Model):
    """Stock held for one item of a claim until `hold_expires_at`, or a place in the waitlist."""

    class Status(models.TextChoices):
        RESERVED = "reserved", pgettext_lazy("reservation status", "Reserved")
        WAITLISTED = "waitlisted", pgettext_lazy("reservation status", "Waitlisted")
        RELEASED = "released", pgettext_lazy("reservation status", "Released")
        PAID = "paid", pgettext_lazy("reservation status", "Paid")

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
        LOCAL = "local", pgettext_lazy("payment provider", "Local test checkout")
        STRIPE = "stripe", pgettext_lazy("payment provider", "Stripe")
        CASH = "cash", pgettext_lazy("payment provider", "Cash, recorded by the seller")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payment status", "Pending")
        SUCCEEDED = "succeeded", pgettext_lazy("payment status", "Succeeded")
        FAILED = "failed", pgettext_lazy("payment status", "Failed")
        REFUND_NEEDED = "refund_needed", pgettext_lazy("payment status", "Refund needed")

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


ORDER_STATUSES = [status.value for status in Order.Status]


class OrderEvent(models.Model):
    """One step of an order's life: a status transition (or a note on an unchanged status) and its cause."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=24)
    to_status = models.CharField(max_length=24)
    cause = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(from_status__in=ORDER_STATUSES), name="order_event_from_status_known"),
            models.CheckConstraint(condition=Q(to_status__in=ORDER_STATUSES), name="order_event_to_status_known"),
        ]

    def __str__(self) -> str:
        return f"Order {self.order_id}: {self.from_status} → {self.to_status} ({self.cause})"


class CheckoutSession(models.Model):
    """One attempt to pay a cart with a provider: the reserved lines it covers, frozen when it was created.

    A Stripe session is written here (with its idempotency key and parameters) before Stripe is called, so
    a retry after a crash or a timeout sends the very same request and Stripe replays its answer.
    """

    class Status(models.TextChoices):
        CREATING = "creating", "Being created"
        OPEN = "open", "Open"
        COMPLETE = "complete", "Complete"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Could not be created"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="checkout_sessions")
    provider = models.CharField(max_length=16, choices=Payment.Provider.choices)
    # Fingerprint of the cart's reserved lines and holds: a session whose cart changed is stale.
    cart_version = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=255, unique=True)
    external_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATING)
    # [{"reservation_id", "variant_id", "quantity", "unit_amount_minor", "name"}]
    lines = models.JSONField()
    request_params = models.JSONField(default=dict)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    stripe_account_id = models.CharField(max_length=64, blank=True)
    # The earliest hold of its lines: past it, an open session is expired through the provider's API.
    hold_expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="checkout_session_external_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="checkout_session_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(status="creating") | Q(status="failed") | ~Q(external_id=""),
                name="checkout_session_created_has_external_id",
            ),
        ]
        indexes = [models.Index(fields=["provider", "status"], name="checkout_session_status_idx")]

    def __str__(self) -> str:
        return f"{self.provider} session {self.external_id or self.pk} ({self.status})"


class ProviderEvent(models.Model):
    """A provider webhook event already applied; inserted in the transaction of its effect (dedup by id)."""

    provider = models.CharField(max_length=16, choices=Payment.Provider.choices)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.type}"
