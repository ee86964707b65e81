"""Writes of the messenger app: the outbox (enqueue a reply, claim due rows, record what Meta answered).

State machine of an outbound message:
    queued ──claim──▶ sending ──Meta OK──▶ sent
       ▲                 │──retryable──▶ queued (next_attempt_at = backoff) ─ after MESSENGER_MAX_ATTEMPTS ─▶ dead
       └──rate bucket────│──terminal───▶ failed
    skipped: never sent on purpose (outside the 24-hour window).
Every transition is a conditional UPDATE on (id, status, lease_token): a sender that lost its lease changes
nothing. The dashboard hears of each transition on commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from config.db_rows import insert_new
from core.live_events import publish_live_event, publish_live_events
from core.streams.events import ReplyWork
from messenger import due
from messenger.compose import ComposeContext, ComposedReply, compose_reply
from messenger.models import OutboundMessage
from tenants.models import PageBinding

logger = logging.getLogger(__name__)

# Reasons that may happen more than once for one cart without a comment (each promotion is news).
# refund_due: one per payment not honoured (its detail names the payment).
REPEATABLE_WITHOUT_COMMENT = frozenset({"promoted", "cancelled", "question", "claim", "waitlisted", "refund_due"})
OUTBOX = OutboundMessage._meta.db_table


@dataclass(frozen=True, slots=True)
class SendJob:
    """A claimed row, everything the sender needs without touching the database again."""

    schema_name: str
    message_id: int
    lease_token: str
    kind: str
    platform: str
    page_id: str
    recipient_id: str
    body: dict[str, Any]
    text: str
    messaging_type: str
    attempts: int
    delivery_uncertain: bool
    last_error_code: str
    comment_id: int | None = None  # the comment it answers (for log lines)


@dataclass(frozen=True, slots=True)
class SendOutcome:
    job: SendJob
    result: Literal["sent", "retry", "failed", "throttled"]
    external_id: str = ""
    error_code: str = ""
    error_message: str = ""
    retry_after_seconds: float | None = None
    uncertain: bool = False
    page_needs_reconnect: bool = False


def idempotency_key_for(*, work: ReplyWork) -> str:
    """The natural key of a reply: one per (reason, comment); without a comment one per (reason, cart), or
    per (reason, cart, facts) for news that can repeat. A redelivered ReplyWork maps to the same key."""
    if work.comment_id:
        return f"{work.reason}:c{work.comment_id}"
    key = f"{work.reason}:o{work.order_id or '-'}"
    if work.reason in REPEATABLE_WITHOUT_COMMENT:
        key += ":" + hashlib.sha256(f"{work.cart_url}|{work.detail}".encode()).hexdigest()[:32]
    return key


def reply_work_enqueue(*, work: ReplyWork, now: datetime | None = None) -> OutboundMessage | None:
    """Write the outbox row for `work` (caller: inside the seller's schema and a transaction). Idempotent:
    a redelivery returns the existing row; a second reply to a comment that has its private reply is refused
    by the database and nothing is added. Returns None when the buyer gets no message (chatter)."""
    [message] = reply_works_enqueue(works=[work], now=now)
    if message is None:
        message = OutboundMessage.objects.filter(idempotency_key=idempotency_key_for(work=work)).first()
    return message


def reply_works_enqueue(
    *, works: list[ReplyWork], now: datetime | None = None, context: ComposeContext | None = None
) -> list[OutboundMessage | None]:
    """`reply_work_enqueue` for the works of one seller, in order, with a fixed number of queries however many
    there are. Returns, per work, the row it added (None: already queued before, or nothing to say).
    `context`: the rows the replies need, when the caller read them already (`ComposeContext.read_later`)."""
    now = now or timezone.now()
    keys = [idempotency_key_for(work=work) for work in works]
    # A key queued before (a redelivery) is refused by its UNIQUE constraint at the INSERT; no lookup first.
    known: set[str] = set()
    context = context or ComposeContext.read(works=works, now=now)
    rows: list[tuple[int, OutboundMessage]] = []
    for index, (key, work) in enumerate(zip(keys, works, strict=True)):
        if key in known:
            continue
        known.add(key)  # the same work twice in one batch is one message
        composed = compose_reply(work=work, now=now, context=context)
        if composed is None:
            continue
        context.note_queued(composed)
        rows.append((index, _outbox_row(key=key, composed=composed, now=now)))
    added: list[OutboundMessage | None] = [None] * len(works)
    for index, message in _insert_rows(rows, schema_name=works[0].schema if works else ""):
        added[index] = message
    _after_commit(schema_name=works[0].schema if works else "", messages=[m for m in added if m is not None])
    return added


def _outbox_row(*, key: str, composed: ComposedReply, now: datetime) -> OutboundMessage:
    skipped = bool(composed.skip_code)
    return OutboundMessage(
        idempotency_key=key,
        reason=composed.reason,
        kind=composed.kind,
        platform=composed.platform,
        page_external_id=composed.page_external_id,
        recipient_id=composed.recipient_id,
        body=composed.body,
        text=composed.text,
        comment_id=composed.comment_id,
        order_id=composed.order_id,
        status=OutboundMessage.Status.SKIPPED if skipped else OutboundMessage.Status.QUEUED,
        last_error_code=composed.skip_code,
        next_attempt_at=None if skipped else now,
    )


def _insert_rows(rows: list[tuple[int, OutboundMessage]], *, schema_name: str) -> list[tuple[int, OutboundMessage]]:
    """All rows in one INSERT; a row that conflicts (queued before, by a redelivery of the same work, or its
    comment's private reply exists) is left out by the database (ON CONFLICT DO NOTHING)."""
    inserted = insert_new([row for _, row in rows], key=("idempotency_key",))
    for _, row in rows:
        if (row.idempotency_key,) not in inserted:
            logger.info("reply %s for %s not queued: it was queued before", row.idempotency_key, schema_name)
    return [(index, row) for index, row in rows if (row.idempotency_key,) in inserted]


def _after_commit(*, schema_name: str, messages: list[OutboundMessage]) -> None:
    if not messages:
        return
    payloads = [event_payload(message) for message in messages]
    due_times = [m.next_attempt_at for m in messages if m.status == OutboundMessage.Status.QUEUED and m.next_attempt_at]
    due_at = min(due_times) if due_times else None

    def publish() -> None:
        if due_at is not None:
            try:
                due.mark_due(schema_name=schema_name, at=due_at)
            except Exception as exc:  # the periodic rebuild finds the rows; the replies are not lost
                logger.warning("messenger due-set not updated for %s: %s", schema_name, exc.__class__.__name__)
        publish_live_events(schema_name=schema_name, events=[("message", payload) for payload in payloads])

    transaction.on_commit(publish)


def event_payload(message: OutboundMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "recipient_id": message.recipient_id,
        "status": message.status,
        "last_error_code": message.last_error_code,
        "text": message.text,
    }


@dataclass(frozen=True, slots=True)
class Claim:
    """What one claim took, and when the schema has something due next (None: nothing queued or leased)."""

    jobs: list[SendJob]
    next_due_at: datetime | None


def outbound_claim_due(*, schema_name: str, limit: int, now: datetime | None = None) -> Claim:
    """Claim up to `limit` due rows of the current schema for this sender (status sending, under a lease), and
    read when the schema's next row becomes due, in the same statement (the sender marks it in the due-set).

    Rows are taken with FOR UPDATE SKIP LOCKED (a queue: two senders never get the same row) and flipped by a
    conditional UPDATE. A row still `sending` after its lease ran out belonged to a sender that died while
    sending: it is taken again and flagged `delivery_uncertain` (Meta may already have it).
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    lease_until = now + timedelta(seconds=settings.MESSENGER_SEND_LEASE_SECONDS)
    Status = OutboundMessage.Status
    # One statement (the sender runs it for every batch of replies): lock the due rows, skip those another
    # sender holds, flip them to `sending` under our lease. SET reads the old row: an abandoned lease is flagged.
    # Abandoned leases first, then queued rows: one ordered scan of each partial index (an OR of the two would
    # be a bitmap scan, which visits every dead row a busy queue leaves behind; an index scan skips them).
    # The next due time is read in the statement's snapshot, where the claimed rows still look queued (or
    # abandoned): they are left out and count with our lease instead. Each minimum is read off its partial index.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH abandoned AS (
                SELECT id FROM {OUTBOX} WHERE status = %(sending)s AND lease_expires_at <= %(now)s
                ORDER BY lease_expires_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
            ), queued AS (
                SELECT id FROM {OUTBOX} WHERE status = %(queued)s AND next_attempt_at <= %(now)s
                ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
            ), due AS (
                SELECT id FROM abandoned UNION ALL SELECT id FROM queued LIMIT %(limit)s
            ), claimed AS (
                UPDATE {OUTBOX} AS m
                SET delivery_uncertain = m.delivery_uncertain OR m.status = %(sending)s,
                    status = %(sending)s, lease_token = %(token)s, lease_expires_at = %(lease)s
                FROM due WHERE m.id = due.id
                RETURNING m.id, m.kind, m.platform, m.page_external_id, m.recipient_id, m.body, m.text,
                          m.comment_id, m.attempts, m.delivery_uncertain, m.last_error_code, m.next_attempt_at
            )
            SELECT claimed.*, NULL FROM claimed
            UNION ALL
            SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, least(
                (SELECT min(next_attempt_at) FROM {OUTBOX}
                 WHERE status = %(queued)s AND id <> ALL(ARRAY(SELECT id FROM due))),
                (SELECT min(lease_expires_at) FROM {OUTBOX}
                 WHERE status = %(sending)s AND id <> ALL(ARRAY(SELECT id FROM due))),
                (SELECT %(lease)s::timestamptz WHERE EXISTS (SELECT FROM due))
            )
            """,  # noqa: S608 (the table name is ours)
            {
                "queued": Status.QUEUED,
                "sending": Status.SENDING,
                "now": now,
                "limit": limit,
                "token": token,
                "lease": lease_until,
            },
        )
        rows = cursor.fetchall()
    next_due_at = next(row[-1] for row in rows if row[0] is None)  # the UNION ALL's second branch
    rows = sorted((row for row in rows if row[0] is not None), key=lambda row: (row[11] is None, row[11], row[0]))
    jobs = []
    for pk, kind, platform, page_id, recipient_id, body, text, comment_id, attempts, uncertain, error_code, *_ in rows:
        jobs.append(
            SendJob(
                schema_name=schema_name,
                message_id=pk,
                lease_token=token,
                kind=kind,
                platform=platform,
                page_id=page_id,
                recipient_id=recipient_id,
                body=body if isinstance(body, dict) else json.loads(body),
                text=text,
                # A reply to what the buyer just wrote is a RESPONSE; news about their cart is an UPDATE.
                messaging_type="RESPONSE" if comment_id else "UPDATE",
                attempts=attempts,
                delivery_uncertain=uncertain,
                last_error_code=error_code,
                comment_id=comment_id,
            )
        )
    return Claim(jobs=jobs, next_due_at=next_due_at)


def retry_delay(*, attempts: int, retry_after_seconds: float | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random), never sooner than Meta asked."""
    ceiling = min(
        settings.MESSENGER_RETRY_MAX_SECONDS, settings.MESSENGER_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    )
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, retry_after_seconds or 0.0)


def outbound_record(
    *, outcomes: list[SendOutcome], now: datetime | None = None, publish_events: bool = True
) -> list[dict[str, Any]]:
    """Record what happened to claimed rows of the current schema (one transaction) and return the dashboard
    events of the rows that changed; with `publish_events` they are also published on commit (the sender
    publishes them from its own event loop instead). An outcome whose lease was taken over changes nothing."""
    now = now or timezone.now()
    Status = OutboundMessage.Status
    events: list[dict[str, Any]] = []
    earliest_retry: datetime | None = None
    reconnect = {(o.job.platform, o.job.page_id) for o in outcomes if o.page_needs_reconnect}
    sent = [o for o in outcomes if o.result == "sent"]
    # Only deliveries (the usual batch): one statement, atomic by itself, needs no transaction around it.
    with transaction.atomic() if len(sent) < len(outcomes) else nullcontext():
        recorded = _record_sent(outcomes=sent, now=now)
        events += [
            _event(o.job, status=Status.SENT, error_code=o.job.last_error_code)
            for o in sent
            if o.job.message_id in recorded
        ]
        for outcome in outcomes:
            if outcome.result == "sent":
                continue
            job = outcome.job
            update: dict[str, Any] = {"lease_token": "", "lease_expires_at": None}
            if outcome.result != "throttled":
                update |= {
                    "last_error_code": outcome.error_code[:32],
                    "last_error_message": outcome.error_message[:500],
                    "attempts": F("attempts") + 1,
                }
            if outcome.result == "throttled":
                due_at = now + timedelta(seconds=outcome.retry_after_seconds or 1.0)
                update |= {"status": Status.QUEUED, "next_attempt_at": due_at}
            elif outcome.result == "retry" and job.attempts + 1 < settings.MESSENGER_MAX_ATTEMPTS:
                delay = retry_delay(attempts=job.attempts + 1, retry_after_seconds=outcome.retry_after_seconds)
                due_at = now + timedelta(seconds=delay)
                uncertain = job.delivery_uncertain or outcome.uncertain
                update |= {"status": Status.QUEUED, "next_attempt_at": due_at, "delivery_uncertain": uncertain}
            else:
                due_at = None
                update["status"] = Status.DEAD if outcome.result == "retry" else Status.FAILED
            mine = OutboundMessage.objects.filter(pk=job.message_id, status=Status.SENDING, lease_token=job.lease_token)
            if not mine.update(**update):
                logger.warning(
                    "outbound %s of %s: lease lost, %s dropped", job.message_id, job.schema_name, outcome.result
                )
                continue
            if due_at is not None:
                earliest_retry = due_at if earliest_retry is None else min(earliest_retry, due_at)
            error_code = job.last_error_code if outcome.result == "throttled" else outcome.error_code[:32]
            events.append(_event(job, status=update["status"], error_code=error_code))
        for platform, page_id in reconnect:
            page_binding_mark_needs_reconnect(platform=platform, page_id=page_id)
        schema_name = outcomes[0].job.schema_name if outcomes else ""

        def after_commit() -> None:
            if earliest_retry is not None:
                due.mark_due(schema_name=schema_name, at=earliest_retry)
            for payload in events if publish_events else ():
                publish_live_event(schema_name=schema_name, event="message", payload=payload)

        transaction.on_commit(after_commit)
    return events


def _record_sent(*, outcomes: list[SendOutcome], now: datetime) -> set[int]:
    """Mark delivered rows sent in one statement (a rush records hundreds at once); only rows still leased
    to this sender change. Returns their ids."""
    if not outcomes:
        return set()
    sql = f"""
        UPDATE {OUTBOX} AS m
        SET status = 'sent', external_message_id = v.external_id, sent_at = %s, attempts = m.attempts + 1,
            lease_token = '', lease_expires_at = NULL
        FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, lease_token, external_id)
        WHERE m.id = v.id AND m.status = 'sending' AND m.lease_token = v.lease_token
        RETURNING m.id
    """  # noqa: S608 -- the table name is ours and every value is a parameter
    params: list[Any] = [
        now,
        [o.job.message_id for o in outcomes],
        [o.job.lease_token for o in outcomes],
        [o.external_id[:255] for o in outcomes],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        recorded = {row[0] for row in cursor.fetchall()}
    for outcome in outcomes:
        if outcome.job.message_id not in recorded:
            logger.warning(
                "outbound %s of %s: lease lost, sent not recorded", outcome.job.message_id, outcome.job.schema_name
            )
    return recorded


def _event(job: SendJob, *, status: str, error_code: str) -> dict[str, Any]:
    return {
        "id": job.message_id,
        "kind": job.kind,
        "recipient_id": job.recipient_id,
        "status": status,
        "last_error_code": error_code,
        "text": job.text,
    }


def page_binding_mark_needs_reconnect(*, platform: str, page_id: str) -> bool:
    """Meta refused the page token (190): stop using it and show the seller the page needs reconnecting."""
    updated = PageBinding.objects.filter(
        platform=platform, external_id=page_id, status=PageBinding.Status.ACTIVE
    ).update(status=PageBinding.Status.NEEDS_RECONNECT, updated_at=timezone.now())
    if updated:
        logger.error("page %s:%s needs reconnecting: Meta refused its token", platform, page_id)
    return bool(updated)
