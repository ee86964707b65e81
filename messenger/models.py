"""Outbound messages to buyers (the outbox): written first, sent by the replies stage."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OutboundMessage(models.Model):
    class Kind(models.TextChoices):
        PRIVATE_REPLY = "private_reply", "Private reply to a comment"
        MESSAGE = "message", "Messenger message"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        DEAD = "dead", "Dead"

    platform = models.CharField(max_length=16)
    page_external_id = models.CharField(max_length=64)
    recipient_id = models.CharField(
        max_length=128, help_text="The buyer's scoped id, or the comment id of a private reply."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    body = models.JSONField(help_text="The message object sent to the Send API.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error_code = models.CharField(max_length=32, blank=True)
    last_error_message = models.CharField(max_length=500, blank=True)
    external_message_id = models.CharField(max_length=255, blank=True)
    comment = models.ForeignKey(
        "livestreams.Comment", on_delete=models.PROTECT, null=True, blank=True, related_name="outbound_messages"
    )
    order = models.ForeignKey(
        "payments.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="outbound_messages"
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Meta allows one private reply per comment: never queue a second.
            models.UniqueConstraint(
                fields=["comment"], condition=Q(kind="private_reply"), name="outbound_one_private_reply_per_comment"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | ~Q(external_message_id=""), name="outbound_sent_has_message_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.status})"
