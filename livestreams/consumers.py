"""Stream handlers of the live pipeline. Each runs inside the event's schema and one transaction."""

from __future__ import annotations

from django.db import transaction

from livestreams.claims import comment_claim
from livestreams.live_events import publish_live_event
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
    comment = stored.comment
    if event.candidate == "1" and event.verb == "add" and stored.claimable:
        work = ClaimWork(schema=event.schema, comment_id=str(comment.pk), received_time=event.received_time)
        transaction.on_commit(lambda: publish(stage="claims", schema_name=event.schema, fields=work.to_fields()))
    if stored.created:
        payload = {
            "id": comment.pk,
            "live_id": comment.live_session_id,
            "author_name": comment.author_name,
            "text": comment.text,
            "received_at": comment.received_at.isoformat(),
            "is_candidate": comment.is_candidate,
        }
        transaction.on_commit(lambda: publish_live_event(schema_name=event.schema, event="comment", payload=payload))


def handle_claim(fields: dict[str, str]) -> None:
    """Claims stage: decide the comment's intent and reserve, waitlist or cancel in arrival order."""
    work = ClaimWork.from_fields(fields)
    comment_claim(
        schema_name=work.schema, comment_id=int(work.comment_id), received_time=float(work.received_time or 0)
    )
