"""Stream handler of the claims stage. It runs inside the event's schema and one transaction."""

from __future__ import annotations

from core.streams.events import IngestEvent
from livestreams.models import Comment
from livestreams.services import comments_store, live_session_apply_meta_status
from pipeline.claims import comments_claim, comments_decide


def handle_event(fields: dict[str, str]) -> None:
    """Claims stage, one event: see `handle_events`."""
    handle_events([fields])


def handle_events(entries: list[dict[str, str]]) -> None:
    """Claims stage, for consecutive events of one seller, in order: store every comment for the seller's
    feed, then decide the candidates (intent, reservation, waitlist, cancel) in the same transaction.
    A redelivered event finds its comment stored and decided, and changes nothing."""
    events = [IngestEvent.from_fields(fields) for fields in entries]  # a live_video event splits the batch
    comments: list[IngestEvent] = []
    for event in events:
        if event.kind == "live_video":  # comments after it belong to the live it starts or ends
            _store_and_claim(comments)
            comments = []
            live_session_apply_meta_status(event=event)
        else:
            comments.append(event)
    _store_and_claim(comments)


def _store_and_claim(events: list[IngestEvent]) -> None:
    if not events:
        return
    schema = events[0].schema
    stored = comments_store(events=events, decide=lambda new: comments_decide(schema_name=schema, comments=new))
    candidates = [
        s.comment
        for event, s in zip(events, stored, strict=True)
        if event.candidate == "1" and event.verb == "add" and s.claimable
    ]
    comments_claim(
        schema_name=schema,
        comments=list({c.pk: c for c in candidates}.values()),
        stored_now={s.comment.pk for s in stored if s.created},
        feed=[_feed_payload(s.comment) for s in stored if s.created],
    )


def _feed_payload(comment: Comment) -> dict[str, object]:
    return {
        "id": comment.pk,
        "live_id": comment.live_session_id,
        "author_name": comment.author_name,
        "text": comment.text,
        "received_at": comment.received_at.isoformat(),
        "is_candidate": comment.is_candidate,
        # Decided as it was stored (chatter is final at once; a candidate's "decision" event follows).
        "intent": comment.intent,
        "engine": (comment.parse_result or {}).get("engine", ""),
        "needs_review": comment.needs_review,
        "review_reason": comment.review_reason,
    }
