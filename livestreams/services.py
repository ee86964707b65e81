"""Writes on live sessions and comments (always inside the seller's schema)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from config.db_rows import columns, insert_new, model_from_row, one_round_trip, select_models
from core.logs import get_logger
from core.streams.events import IngestEvent
from hooks.services import hook_emit
from inventory.models import Product
from livestreams.models import Comment, FeaturedProductChange, LiveSession
from tenants.selectors import current_schema

log = get_logger(__name__)

LIVE_STATUSES_ON = {"live"}
LIVE_STATUSES_OFF = {"live_stopped", "vod", "processing", "ended"}


@dataclass(frozen=True)
class StoredComment:
    comment: Comment
    created: bool

    @property
    def claimable(self) -> bool:
        """A fresh viewer comment during a live goes to the claims stage (messages are handled there too)."""
        return self.comment.removed_at is None and (
            self.comment.live_session_id is not None or self.comment.kind == Comment.Kind.MESSAGE
        )


def comments_store(
    *, events: list[IngestEvent], decide: Callable[[list[Comment]], None] | None = None
) -> list[StoredComment]:
    """Store comments and messages once per (platform, external id), in one round of queries; edits update
    the text, removals mark the comment. Returns one StoredComment per event, in order; `created` is true
    for the event that first stored its comment. `decide`: called with the new comments on a live (not stored
    yet; candidates of the prefilter and chatter alike) to set their decision, which is stored with them.

    Idempotent: storing the same events again returns the existing rows unchanged.
    """
    if not events:
        return []
    # Insert first (a new comment is the usual case), then read back the ones stored before (a redelivery, an
    # edit, a removal, or another process first): ON CONFLICT DO NOTHING leaves them out of the insert.
    lives: dict[tuple[str, str], LiveSession | None] = {}
    new_rows: dict[tuple[str, str], Comment] = {}
    to_decide: list[Comment] = []
    for event in events:
        key = (event.platform, event.external_id)
        if key in new_rows:
            continue
        page = (event.platform, event.page_id)
        if page not in lives:
            with one_round_trip():  # the first statement of the batch: BEGIN goes with it
                lives[page] = _live_on_air(platform=event.platform, page_external_id=event.page_id)
        new_rows[key] = _new_comment(event, lives[page])
        if decide is not None and event.verb == "add" and lives[page] is not None:
            to_decide.append(new_rows[key])
    if to_decide and decide is not None:
        decide(to_decide)
    inserted = insert_new(list(new_rows.values()), key=("platform", "external_id"))
    stored = {key: row for key, row in new_rows.items() if key in inserted}
    if len(stored) < len(new_rows):
        stored.update(_comments_by_key({key for key in new_rows if key not in inserted}))
    results = []
    for event in events:
        key = (event.platform, event.external_id)
        comment = stored[key]
        created = key in inserted and new_rows.pop(key, None) is not None  # the first event of a new comment
        if not created:
            comment = _apply_verb(comment, event)
        results.append(StoredComment(comment=comment, created=created))
    return results


def _comments_by_key(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Comment]:
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in keys:
        by_platform.setdefault(platform, []).append(external_id)
    found: dict[tuple[str, str], Comment] = {}
    for platform, external_ids in by_platform.items():
        rows = select_models(  # every batch of the claims stage asks: SQL, not a queryset (config.db_rows)
            f"SELECT {columns(Comment, 'c')} FROM {Comment._meta.db_table} c"  # noqa: S608 (our table)
            " WHERE c.platform = %s AND c.external_id = ANY(%s)",
            [platform, sorted(external_ids)],
            [Comment],
        )
        for (comment,) in rows:
            assert isinstance(comment, Comment)
            found[(platform, comment.external_id)] = comment
    return found


def _new_comment(event: IngestEvent, live: LiveSession | None) -> Comment:
    return Comment(
        live_session=live,
        kind=Comment.Kind.MESSAGE if event.kind == "message" else Comment.Kind.COMMENT,
        platform=event.platform,
        page_external_id=event.page_id,
        external_id=event.external_id,
        author_platform_id=event.author_id,
        author_name=event.author_name[:200],
        text=event.text,
        platform_created_at=_from_unix(event.platform_time),
        received_at=_from_unix(event.received_time) or timezone.now(),
        is_candidate=event.candidate == "1",
        removed_at=timezone.now() if event.verb == "remove" else None,
    )


def _apply_verb(comment: Comment, event: IngestEvent) -> Comment:
    if event.verb == "edited" and comment.text != event.text:
        Comment.objects.filter(pk=comment.pk).update(text=event.text)
        comment.text = event.text
    elif event.verb == "remove" and comment.removed_at is None:
        comment.removed_at = timezone.now()
        Comment.objects.filter(pk=comment.pk).update(removed_at=comment.removed_at)
    return comment


def _live_on_air(*, platform: str, page_external_id: str) -> LiveSession | None:
    """`live_session_current` with the live's featured history (`LiveSession.featured_history`), in one
    statement: the claims stage reads both for every batch."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(LiveSession, 'l')}, (SELECT json_agg(json_build_array(f.changed_at, p.code)"  # noqa: S608
            "  ORDER BY f.changed_at, f.id)"
            f"  FROM {FeaturedProductChange._meta.db_table} f LEFT JOIN {Product._meta.db_table} p"
            "  ON p.id = f.product_id WHERE f.live_session_id = l.id)"
            f" FROM {LiveSession._meta.db_table} l"
            " WHERE l.platform = %s AND l.page_external_id = %s AND l.status = %s"
            " ORDER BY l.created_at DESC, l.id DESC LIMIT 1",
            [platform, page_external_id, LiveSession.Status.LIVE],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    *values, history = row
    live = model_from_row(LiveSession, values)
    live.featured_history = [(datetime.fromisoformat(at), code) for at, code in history or []]
    return live


def live_session_current(*, platform: str, page_external_id: str) -> LiveSession | None:
    return LiveSession.objects.filter(
        platform=platform, page_external_id=page_external_id, status=LiveSession.Status.LIVE
    ).first()


@transaction.atomic
def live_session_start(
    *, platform: str, page_external_id: str, platform_video_id: str = "", title: str = "", now: datetime | None = None
) -> LiveSession:
    """Put a live on air for a page. A video already known is reused; another live on the page is ended."""
    now = now or timezone.now()
    live = None
    if platform_video_id:
        live = (
            LiveSession.objects.select_for_update()
            .filter(platform=platform, platform_video_id=platform_video_id)
            .first()
        )
    if live is not None and live.status == LiveSession.Status.LIVE:
        return live
    for other in LiveSession.objects.select_for_update().filter(
        platform=platform, page_external_id=page_external_id, status=LiveSession.Status.LIVE
    ):
        live_session_end(live=other, now=now)
    if live is None:
        live = LiveSession.objects.create(
            platform=platform,
            page_external_id=page_external_id,
            platform_video_id=platform_video_id,
            title=title,
            status=LiveSession.Status.LIVE,
            started_at=now,
        )
    else:
        LiveSession.objects.filter(pk=live.pk).update(status=LiveSession.Status.LIVE, started_at=now, ended_at=None)
        live.refresh_from_db()
    log_live_change("live_started", live)
    return live


def live_session_end(*, live: LiveSession, now: datetime | None = None) -> LiveSession:
    now = now or timezone.now()
    ended = (
        LiveSession.objects.filter(pk=live.pk)
        .exclude(status=LiveSession.Status.ENDED)
        .update(status=LiveSession.Status.ENDED, ended_at=now)
    )
    live.refresh_from_db()
    if ended:
        log_live_change("live_ended", live)
    return live


def log_live_change(event: str, live: LiveSession) -> None:
    """Log a live's start or end at INFO once the caller's transaction commits (a rolled-back start never was), and
    write its outgoing webhook (live.started, live.ended) in that transaction."""
    fields = {
        "seller": current_schema(),
        "live_id": live.pk,
        "platform": live.platform,
        "page_id": live.page_external_id,
        "video_external_id": live.platform_video_id,
    }
    transaction.on_commit(lambda: log.info(event, **fields))
    hook_emit(
        [
            (
                "live.started" if event == "live_started" else "live.ended",
                {
                    "live_id": live.pk,
                    "platform": live.platform,
                    "page_id": live.page_external_id,
                    "video_id": live.platform_video_id,
                    "title": live.title,
                    "started_at": live.started_at,
                    "ended_at": live.ended_at,
                },
            )
        ]
    )


def live_session_apply_meta_status(*, event: IngestEvent) -> LiveSession | None:
    """Meta's `live_videos` change: 'live' starts the session, 'live_stopped'/'vod' ends it."""
    status = event.verb
    if status in LIVE_STATUSES_ON:
        return live_session_start(
            platform=event.platform, page_external_id=event.page_id, platform_video_id=event.external_id
        )
    if status in LIVE_STATUSES_OFF:
        live = LiveSession.objects.filter(platform=event.platform, platform_video_id=event.external_id).first()
        return live_session_end(live=live) if live is not None else None
    return None


def _from_unix(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class CommentDecision:
    comment_id: int
    intent: str
    parse_result: dict[str, Any]
    needs_review: bool
    review_reason: str


def comments_record_decisions(*, decisions: list[CommentDecision], decided_at: datetime) -> None:
    """Store the engine's decision on each comment, in one statement; a comment decided before keeps its
    first decision (a redelivery never rewrites it)."""
    if not decisions:
        return
    table = Comment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS c
            SET intent = v.intent, parse_result = v.parse_result, needs_review = v.needs_review,
                review_reason = v.review_reason, decided_at = %s
            FROM unnest(%s::bigint[], %s::text[], %s::jsonb[], %s::boolean[], %s::text[])
                AS v(id, intent, parse_result, needs_review, review_reason)
            WHERE c.id = v.id AND c.decided_at IS NULL
            """,  # noqa: S608 (the table name is ours)
            [
                decided_at,
                [d.comment_id for d in decisions],
                [d.intent for d in decisions],
                [json.dumps(d.parse_result) for d in decisions],
                [d.needs_review for d in decisions],
                [d.review_reason for d in decisions],
            ],
        )
