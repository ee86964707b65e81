"""Outgoing webhooks of one seller (tables in the seller's schema): the endpoints the owner registered, the
events that happened (the outbox, written in the transaction that caused them), one delivery per event and
endpoint, and every attempt to send it (the delivery log)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

EVENT_TYPES = (
    "order.created",
    "order.paid",
    "order.expired",
    "order.cancelled",
    "claim.waitlisted",
    "claim.promoted",
    "live.started",
    "live.ended",
    "stock.low",
)


class Endpoint(models.Model):
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = ArrayField(models.CharField(max_length=40))
    # The Standard Webhooks signing secret ("whsec_" + base64), encrypted at rest (tenants.crypto).
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(event_types__len__gt=0), name="hook_endpoint_has_event_types"),
            models.CheckConstraint(
                condition=Q(event_types__contained_by=list(EVENT_TYPES)), name="hook_endpoint_event_types_known"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, disabled_at__isnull=True) | Q(is_active=False, disabled_at__isnull=False),
                name="hook_endpoint_disabled_has_a_time",
            ),
        ]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """Something that happened, as sent: `webhook-id` is `event_id`, the body is {type, timestamp, data}."""

    event_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=40)
    data = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=list(EVENT_TYPES)), name="hook_event_type_known"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"  # every retry used, or the endpoint was disabled

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="hook_delivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "succeeded", "failed"]), name="hook_delivery_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False), name="hook_delivery_pending_is_due"
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(lease_expires_at__isnull=False), name="hook_delivery_sending_leased"
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(delivered_at__isnull=False), name="hook_delivery_success_time"
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="hook_delivery_due"),
            models.Index(fields=["lease_expires_at"], condition=Q(status="sending"), name="hook_delivery_leased"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"


class Attempt(models.Model):
    """One try at sending a delivery: what the endpoint answered (or why nothing came back)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.status_code or self.error}"
