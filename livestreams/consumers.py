"""Stream handlers of the live pipeline. Each runs inside the event's schema and one transaction."""

from __future__ import annotations

from django.db import transaction

from livestreams.claims import comments_claim
from livestreams.live_events import publish_live_event
from livestreams.models import Comment
from livestreams.services import comments_store, live_session_apply_meta_status
from livestreams.streams.events import ClaimWork, IngestEvent
from livestreams.streams.publish import publish_many


def handle_store(fields: dict[str, str]) -> None:
    """Store stage: keep every comment for the seller's feed; hand candidates to the claims stage."""
    handle_stores([fields])


def handle_stores(entries: list[dict[str, str]]) -> None:
    """Store stage for consecutive events of one seller, in order. A redelivered event finds its comment
    stored and hands it on again; the claims stage is idempotent."""
    events = [IngestEvent.from_fields(fields) for fields in entries]
    comments: list[IngestEvent] = []
    for event in events:
        if event.kind == "live_video":  # comments after it belong to the live it starts or ends
            _store_comments(comments)
            comments = []
            live_session_apply_meta_status(event=event)
        else:
            comments.append(event)
    _store_comments(comments)


def _store_comments(events: list[IngestEvent]) -> None:
    if not events:
        return
    schema = events[0].schema
    stored = comments_store(events=events)
    works = [
        ClaimWork(schema=schema, comment_id=str(s.comment.pk), received_time=event.received_time).to_fields()
        for event, s in zip(events, stored, strict=True)
        if event.candidate == "1" and event.verb == "add" and s.claimable
    ]
    feed = [_feed_payload(s.comment) for s in stored if s.created]

    def after_commit() -> None:
        publish_many(stage="claims", schema_name=schema, entries=works)
        for payload in feed:
            publish_live_event(schema_name=schema, event="comment", payload=payload)

    transaction.on_commit(after_commit)


def _feed_payload(comment: Comment) -> dict[str, object]:
    return {
        "id": comment.pk,
        "live_id": comment.live_session_id,
        "author_name": comment.author_name,
        "text": comment.text,
        "received_at": comment.received_at.isoformat(),
        "is_candidate": comment.is_candidate,
    }


def handle_claim(fields: dict[str, str]) -> None:
    """Claims stage: decide the comment's intent and reserve, waitlist or cancel in arrival order."""
    work = ClaimWork.from_fields(fields)
    comments_claim(schema_name=work.schema, works=[work])


def handle_claims(entries: list[dict[str, str]]) -> None:
    """Claims stage, for consecutive comments of one seller: one transaction, reservations in one batch."""
    works = [ClaimWork.from_fields(fields) for fields in entries]
    comments_claim(schema_name=works[0].schema, works=works)
