"""Sweeps that find work Redis lost and hand it on again (the scheduler runs them).

PostgreSQL is the record: a comment decided as a purchase, cancel or question always gets a reply in the outbox
from the payments stage. One decided INGEST_SWEEP_GRACE seconds ago with no reply lost its hand-off (Redis was
flushed or restarted after the claims stage committed): its decision is replayed (the reservation services
return what they decided, nothing is reserved twice) and handed to the payments stage again, whose reply is
idempotent per comment.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tenants.utils import schema_context

from livestreams.models import Comment
from messenger.models import OutboundMessage
from pipeline.claims import comments_claim
from tenants.models import Seller

logger = logging.getLogger(__name__)

ANSWERED_INTENTS = ("purchase", "cancel", "question")


def decided_sweep(*, limit: int = 200) -> int:
    """Hand decided comments with no reply to the payments stage again, oldest first, per active seller.
    Returns how many were handed on."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.INGEST_SWEEP_GRACE)
    horizon = now - timedelta(seconds=settings.INGEST_SWEEP_HORIZON)
    handed = 0
    for schema_name in Seller.objects.filter(status=Seller.Status.ACTIVE).values_list("schema_name", flat=True):
        with schema_context(schema_name), transaction.atomic():
            unanswered = list(
                Comment.objects.select_related("live_session")
                .filter(
                    decided_at__lt=grace,
                    decided_at__gte=horizon,
                    needs_review=False,
                    intent__in=ANSWERED_INTENTS,
                )
                .filter(~Exists(OutboundMessage.objects.filter(comment=OuterRef("pk"))))
                .order_by("received_at", "id")[:limit]
            )
            if not unanswered:
                continue
            logger.warning(
                "decided sweep: %s decided comments of %s have no reply; handing them on again",
                len(unanswered),
                schema_name,
            )
            comments_claim(schema_name=schema_name, comments=unanswered)
            handed += len(unanswered)
    return handed
