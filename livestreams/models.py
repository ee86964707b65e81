"""Live sessions and the comments viewers write during them."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"


class LiveSession(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("live status", "Scheduled")
        LIVE = "live", pgettext_lazy("live status", "On air")
        ENDED = "ended", pgettext_lazy("live status", "Ended")

    platform = models.CharField(max_length=16, choices=Platform.choices)
    page_external_id = models.CharField(max_length=64)
    platform_video_id = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    featured_product = models.ForeignKey(
        "inventory.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hold_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: the seller's default.")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Not a column: the products featured so far, [(changed_at, product code or None)] in order, when the
    # claims stage read them with the live (`livestreams.services._live_on_air`); None when not read.
    featured_history: list[tuple[datetime, str | None]] | None = None

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_video_id"],
                condition=~Q(platform_video_id=""),
                name="live_session_video_unique",
            ),
            # One page broadcasts one live at a time: comments on the page route to it.
            models.UniqueConstraint(
                fields=["platform", "page_external_id"],
                condition=Q(status="live"),
                name="live_session_one_live_per_page",
            ),
            models.CheckConstraint(
                condition=~Q(status="live") | Q(started_at__isnull=False), name="live_session_live_has_started_at"
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False), name="live_session_ended_has_ended_at"
            ),
            models.CheckConstraint(
                condition=Q(hold_minutes__isnull=True) | Q(hold_minutes__gte=1), name="live_session_hold_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.platform} live {self.platform_video_id or self.pk}"


class FeaturedProductChange(models.Model):
    """The product put on camera at a moment of a live. A comment claims what was featured when it arrived,
    however late the pipeline decides it."""

    live_session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="featured_changes")
    product = models.ForeignKey("inventory.Product", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"live {self.live_session_id}: product {self.product_id} at {self.changed_at:%H:%M:%S}"


class Comment(models.Model):
    """One viewer comment or inbound message, stored once per platform external id."""

    class Intent(models.TextChoices):
        PURCHASE = "purchase", pgettext_lazy("comment intent", "Purchase")
        QUESTION = "question", pgettext_lazy("comment intent", "Question")
        CANCEL = "cancel", pgettext_lazy("comment intent", "Cancel")
        # Not a claim: chatter the ingest prefilter let through to the feed only, or the engine's "other".
        OTHER = "other", pgettext_lazy("comment intent", "Chatter")

    class Kind(models.TextChoices):
        COMMENT = "comment", pgettext_lazy("comment kind", "Comment on the live")
        MESSAGE = "message", pgettext_lazy("comment kind", "Private message")

    live_session = models.ForeignKey(
        LiveSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.COMMENT)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    page_external_id = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=128)
    author_platform_id = models.CharField(max_length=64)
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    platform_created_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    is_candidate = models.BooleanField(default=False, help_text="Kept by the ingest prefilter for the intent engine.")
    intent = models.CharField(max_length=16, choices=Intent.choices, blank=True)
    parse_result = models.JSONField(null=True, blank=True, help_text="The engine's answer: items, confidence, engine.")
    decided_at = models.DateTimeField(null=True, blank=True)
    # The engine was unsure and could not ask OpenAI: the seller resolves it from the "needs review" list.
    needs_review = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=32, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="comment_external_id_unique"),
        ]
        indexes = [
            models.Index(fields=["live_session", "received_at"], name="comment_live_received_idx"),
            models.Index(fields=["received_at"], condition=Q(needs_review=True), name="comment_needs_review_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:40]}"
