"""Stream handlers of the live pipeline. Each runs inside the event's schema and one transaction."""

from __future__ import annotations

from django.db import transaction

from livestreams.services import comment_store, live_session_apply_meta_status
from livestreams.streams.events import ClaimWork, IngestEvent
from livestreams.streams.publish import publish


def handle_store(fields: dict[str, str]) -> None:
    """Store stage: keep every comment for the seller's feed; hand candidates to the claims stage.

    A redelivered event finds its comment stored and hands it on again; the claims stage is idempotent.
    """
    event = IngestEvent.from_fields(fields)
    if event.kind == "live_video":
        live_session_apply_meta_status(event=event)
        return
    stored = comment_store(event=event)
    if event.candidate == "1" and event.verb == "add" and stored.claimable:
        work = ClaimWork(schema=event.schema, comment_id=str(stored.comment.pk), received_time=event.received_time)
        transaction.on_commit(lambda: publish(stage="claims", schema_name=event.schema, fields=work.to_fields()))
