"""Outbound messages to buyers (the outbox): written by the payments stage and the cart services in their
transaction, sent by the sender."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class OutboundMessage(models.Model):
    class Kind(models.TextChoices):
        PRIVATE_REPLY = "private_reply", pgettext_lazy("message kind", "Private reply to a comment")
        MESSAGE = "message", pgettext_lazy("message kind", "Messenger message")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("message status", "Queued")
        SENDING = "sending", pgettext_lazy("message status", "Sending")
        SENT = "sent", pgettext_lazy("message status", "Sent")
        FAILED = "failed", pgettext_lazy("message status", "Failed")
        DEAD = "dead", pgettext_lazy("message status", "Dead")
        # Nothing was sent on purpose (e.g. the 24-hour window was closed); the cart page shows the news.
        SKIPPED = "skipped", pgettext_lazy("message status", "Not sent")

    platform = models.CharField(max_length=16)
    page_external_id = models.CharField(max_length=64)
    recipient_id = models.CharField(
        max_length=128, help_text="The buyer's scoped id, or the comment id of a private reply."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    body = models.JSONField(help_text="The message object sent to the Send API.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # What the buyer reads (the text of the body), for the dashboard and the admin.
    text = models.TextField(blank=True)
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
    # When the sender may (re)try a queued row; rows are queued due now unless said otherwise.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # Why we wrote to the buyer (ReplyWork.reason, or "claim_added" for a later claim in the same live).
    reason = models.CharField(max_length=24, blank=True)
    # Natural key of the work that caused the row: a redelivered ReplyWork finds its row instead of adding one.
    idempotency_key = models.CharField(max_length=160, null=True, blank=True)
    # The sender that claimed the row (status sending) owns it until lease_expires_at; a sender whose lease
    # was taken over records nothing.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # A previous attempt may have reached Meta without us learning the answer (read timeout, killed sender).
    delivery_uncertain = models.BooleanField(default=False)
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
            models.UniqueConstraint(fields=["idempotency_key"], name="outbound_idempotency_key_unique"),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(lease_expires_at__isnull=False), name="outbound_sending_has_lease"
            ),
            models.CheckConstraint(
                condition=~Q(status="queued") | Q(next_attempt_at__isnull=False), name="outbound_queued_has_due_time"
            ),
        ]
        # The sender's queue: each key matches its claim's ORDER BY, so the claim is an index scan that stops at
        # its LIMIT (and marks the dead entries a busy queue leaves behind), never a bitmap scan and a sort.
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], condition=Q(status="queued"), name="outbound_queued_due_idx"
            ),
            models.Index(
                fields=["lease_expires_at", "id"], condition=Q(status="sending"), name="outbound_sending_lease_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.status})"
