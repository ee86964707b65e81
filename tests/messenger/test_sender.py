"""The payments stage's replies and the sender against the fake Graph API over HTTP: delivery, retries,
terminal errors, rate limits, and no duplicates."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from django_tenants.utils import schema_context

from core.live_events import live_group
from core.streams import keys
from core.streams.connection import get_redis
from core.streams.events import ClaimDecided, ReplyWork
from core.streams.publish import publish
from inventory.models import Product
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from messenger import due
from messenger.models import OutboundMessage
from payments.models import Buyer
from payments.reservations import claim_policy_for, claim_reserve
from tenants.crypto import encrypt_token
from tenants.models import PageBinding, Seller
from tests.factories import make_comment, make_live, make_order, make_product
from tests.fakes.graph_server import FakeGraph
from tests.messenger.conftest import PAGE_TOKEN, enqueue, rows, running_payments_consumer, running_sender
from tests.messenger.helpers import CART_URL, claimed_comment, detail, item, reply_work
from tests.processes import wait_until


def live_on(page: PageBinding) -> LiveSession:
    """The page's live (one page broadcasts one live at a time); call inside the seller's schema."""
    on_air = LiveSession.objects.filter(page_external_id=page.external_id, status=LiveSession.Status.LIVE).first()
    return on_air or make_live(page_external_id=page.external_id, video_id=f"v-{page.external_id}")


def claim_works(schema: str, page: PageBinding, count: int, *, prefix: str = "c") -> list[ReplyWork]:
    """Replies to `count` claiming comments, as the payments stage writes them to the outbox."""
    with schema_context(schema):
        live = live_on(page)
        works = []
        for n in range(count):
            comment, order = claimed_comment(live=live, external_id=f"{prefix}-{n}", buyer=f"psid-{prefix}-{n}")
            works.append(
                reply_work(schema=schema, reason="claim", comment=comment, order=order, detail_json=detail(item()))
            )
    return works


def decided_claims(seller: Seller, page: PageBinding, count: int, *, prefix: str = "c") -> list[dict[str, str]]:
    """`count` comments that each got a unit of A12 M, as the claims stage hands them to the payments stage."""
    schema = seller.schema_name
    entries = []
    with schema_context(schema):
        live = live_on(page)
        if not Product.objects.filter(code="A12").exists():
            make_product(code="A12", variants={"M": 1000})
        policy = claim_policy_for(seller=seller, live=live)
        for n in range(count):
            comment = make_comment(live=live, external_id=f"{prefix}-{n}", author=f"psid-{prefix}-{n}")
            decision = claim_reserve(
                comment=comment, items=(ClaimItem("A12", "M", 1),), policy=policy, now=timezone.now()
            )
            entries.append(decided(schema, comment, intent="purchase", decision=json.dumps(decision.as_dict())))
    return entries


def decided(schema: str, comment: Comment, *, intent: str, decision: str = "") -> dict[str, str]:
    return ClaimDecided(
        schema=schema, comment_id=str(comment.pk), intent=intent, decision=decision, needs_review="0", received_time=""
    ).to_fields()


def statuses(schema: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows(schema):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def test_it_sends_one_private_reply_per_claiming_comment_and_none_for_chatter(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, graph_backend: None
) -> None:
    schema = committed_seller.schema_name
    claims = decided_claims(committed_seller, page, 20)
    with schema_context(schema):
        live = live_on(page)
        chatter = [claimed_comment(live=live, external_id=f"chat-{n}", buyer=f"psid-chat-{n}")[0] for n in range(5)]
    entries = claims + claims[:5]  # five decisions delivered twice, as Redis Streams may
    entries += [decided(schema, c, intent="question") for c in chatter[:3]]  # the seller answers no questions
    entries += [decided(schema, c, intent="other") for c in chatter[3:]]
    for fields in entries:
        publish(stage="payments", schema_name=schema, fields=fields)

    with running_payments_consumer(), running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 20}, timeout=30, what="20 replies sent")

    assert len(graph.delivered) == 20
    assert all(graph.replies_to(f"c-{n}") == 1 for n in range(20))
    assert all(graph.replies_to(f"chat-{n}") == 0 for n in range(5))
    sent = {row.recipient_id: row.external_message_id for row in rows(schema)}
    assert sent == {d.recipient["comment_id"]: d.message_id for d in graph.delivered}


def test_it_retries_rate_limits_and_server_errors_then_succeeds(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, graph_backend: None
) -> None:
    schema = committed_seller.schema_name
    graph.fail_next(613)
    graph.fail_next(503)
    graph.fail_next(2)
    enqueue(schema, claim_works(schema, page, 1)[0])

    with running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 1}, timeout=20, what="the reply sent after retries")

    (row,) = rows(schema)
    assert row.attempts == 4
    assert row.last_error_code == "2"  # the last retryable error stays on record
    assert graph.answered(613) == 1 and graph.answered(http=503) == 1 and graph.answered(2) == 1
    assert len(graph.delivered) == 1


def test_it_records_terminal_errors_and_never_retries_them(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, graph_backend: None
) -> None:
    schema = committed_seller.schema_name
    replied, closed = claim_works(schema, page, 2, prefix="t")
    graph.mark_replied("t-0")
    graph.closed_comments.add("t-1")
    with schema_context(schema):
        live = live_on(page)
        _, outside = claimed_comment(live=live, external_id="dm-src-1", buyer="psid-window-closed")
        _, gone = claimed_comment(live=live, external_id="dm-src-2", buyer="psid-gone")
        Buyer.objects.update(last_message_at=timezone.now() - timedelta(hours=1))  # our records: window open
    graph.unavailable.add("psid-gone")
    for work in (
        replied,
        closed,
        reply_work(schema=schema, reason="paid", order=outside),
        reply_work(schema=schema, reason="paid", order=gone),
    ):
        enqueue(schema, work)

    with running_sender():
        wait_until(lambda: statuses(schema) == {"failed": 4}, timeout=20, what="four terminal failures")

    codes = {row.recipient_id: row.last_error_code for row in rows(schema)}
    assert codes == {"t-0": "10900", "t-1": "10903", "psid-window-closed": "10/2018278", "psid-gone": "551/1545041"}
    assert all(row.attempts == 1 for row in rows(schema))
    assert graph.answered() == 4 and graph.delivered == []


def test_an_invalid_page_token_fails_and_asks_the_seller_to_reconnect(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, graph_backend: None
) -> None:
    schema = committed_seller.schema_name
    graph.add_page(page.external_id, token="a-token-meta-revoked-ours")
    first, second = claim_works(schema, page, 2, prefix="r")
    enqueue(schema, first)

    with running_sender():
        wait_until(lambda: statuses(schema) == {"failed": 1}, timeout=20, what="the token failure")
        enqueue(schema, second)
        wait_until(lambda: statuses(schema) == {"failed": 2}, timeout=20, what="the second message refused too")

    page.refresh_from_db()
    assert page.status == PageBinding.Status.NEEDS_RECONNECT
    assert [row.last_error_code for row in rows(schema)] == ["190", "page_needs_reconnect"]
    assert graph.answered(190) == 1  # the second message never reached Meta


def test_a_slow_answer_is_retried_and_meta_confirms_the_first_reply_landed(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, graph_backend: None
) -> None:
    schema = committed_seller.schema_name
    graph.slow_next(2.0)  # delivered at once, answered after our 0.5 s timeout
    enqueue(schema, claim_works(schema, page, 1, prefix="s")[0])

    with running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 1}, timeout=20, what="the reply recorded as sent")

    (row,) = rows(schema)
    assert graph.replies_to("s-0") == 1
    assert graph.answered(10900) == 1
    assert (row.external_message_id, row.delivery_uncertain) == ("replied:s-0", True)


def test_the_page_bucket_queues_a_rush_instead_of_hitting_metas_limit(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, graph_backend: None, settings: object
) -> None:
    schema = committed_seller.schema_name
    settings.MESSENGER_SEND_PER_SECOND = 20  # type: ignore[attr-defined]
    # Our bucket lets at most 20 calls through in any second of Redis' clock; arrival jitter gets some slack.
    graph.rate_limit_per_second = 26
    for work in claim_works(schema, page, 60, prefix="rush"):
        enqueue(schema, work)
    started = time.monotonic()

    with running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 60}, timeout=30, what="the rush sent")

    assert time.monotonic() - started >= 2.5  # (60 - 4 burst) / 16 per second
    assert graph.answered(613) == 0
    assert len(graph.delivered) == 60


def test_outbox_backend_marks_sent_without_calling_meta_and_tells_the_dashboard(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, settings: object
) -> None:
    schema = committed_seller.schema_name
    settings.MESSENGER_BACKEND = "outbox"  # type: ignore[attr-defined]
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live_group(schema), channel)
    enqueue(schema, claim_works(schema, page, 1, prefix="o")[0])

    with running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 1}, timeout=20, what="the outbox message marked sent")

    (row,) = rows(schema)
    assert row.external_message_id == f"outbox:{row.pk}"
    assert graph.answered() == 0

    async def two_events() -> list[dict[str, Any]]:
        return [await layer.receive(channel), await layer.receive(channel)]

    events = async_to_sync(two_events)()
    assert [(e["event"], e["payload"]["status"]) for e in events] == [("message", "queued"), ("message", "sent")]
    assert events[1]["payload"]["text"] == row.text


def test_a_lost_due_set_is_rebuilt_from_postgresql(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, graph_backend: None
) -> None:
    schema = committed_seller.schema_name
    enqueue(schema, claim_works(schema, page, 1, prefix="d")[0])
    due.forget(schema_name=schema)  # as if Redis lost the key
    assert schema not in due.due_schemas(now=timezone.now())

    due.due_rebuild()

    assert schema in due.due_schemas(now=timezone.now())
    with running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 1}, timeout=20, what="the message found again and sent")
    assert rows(schema)[0].status == OutboundMessage.Status.SENT


def test_instagram_private_replies_wait_for_the_hourly_limit_instead_of_failing(
    committed_seller: Seller, graph: FakeGraph, graph_backend: None, settings: object
) -> None:
    schema = committed_seller.schema_name
    account = PageBinding.objects.create(
        seller=committed_seller,
        platform="instagram",
        external_id=f"17841{committed_seller.pk}",
        access_token_encrypted=encrypt_token(PAGE_TOKEN),
    )
    graph.add_page(account.external_id, token=PAGE_TOKEN)
    settings.MESSENGER_IG_PRIVATE_REPLIES_PER_HOUR = 10  # type: ignore[attr-defined]  # a burst of 2, then 1 per 7.5 min
    now = timezone.now()
    with schema_context(schema):
        live = LiveSession.objects.create(
            platform="instagram",
            page_external_id=account.external_id,
            platform_video_id="ig-live",
            status="live",
            started_at=now,
        )
        for n in range(5):
            comment = Comment.objects.create(
                live_session=live,
                platform="instagram",
                page_external_id=account.external_id,
                external_id=f"ig-{n}",
                author_platform_id=f"igsid-{n}",
                text="eu quero",
                received_at=now,
            )
            order = make_order(live=live, buyer_id=f"igsid-{n}")
            enqueue(
                schema,
                reply_work(schema=schema, reason="claim", comment=comment, order=order, detail_json=detail(item())),
            )

    with running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 2, "queued": 3}, timeout=20, what="two sent, three waiting")

    assert graph.answered(613) == 0
    assert {d.page_id for d in graph.delivered} == {account.external_id}
    assert all(CART_URL in d.message["text"] for d in graph.delivered)  # the link travels in the text on Instagram
    waiting = rows(schema, status="queued")
    assert all(row.next_attempt_at and row.next_attempt_at > now + timedelta(minutes=5) for row in waiting)
    assert all(row.attempts == 0 for row in waiting)  # waiting for the bucket is not a failed attempt


def test_a_row_due_now_leaves_one_wake_up_token_and_a_later_one_none() -> None:
    client = get_redis()
    client.delete(keys.messenger_wake())

    due.mark_due(schema_name="seller_a", at=timezone.now())
    due.mark_due(schema_name="seller_b", at=timezone.now())  # a token is there already: still one

    assert client.llen(keys.messenger_wake()) == 1
    assert async_to_sync(due.wait_for_wake)(timeout=0.1) is True
    assert client.llen(keys.messenger_wake()) == 0

    due.mark_due(schema_name="seller_a", at=timezone.now() + timedelta(minutes=5))  # a retry later: no wake-up

    assert client.llen(keys.messenger_wake()) == 0
    assert async_to_sync(due.wait_for_wake)(timeout=0.1) is False
    client.delete(keys.messenger_due())


def test_the_dashboard_hears_every_queued_and_sent_message_whether_batched_or_not(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph, settings: object
) -> None:
    schema = committed_seller.schema_name
    settings.MESSENGER_BACKEND = "outbox"  # type: ignore[attr-defined]
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live_group(schema), channel)
    for work in claim_works(schema, page, 3, prefix="b"):
        enqueue(schema, work)

    with running_sender():
        wait_until(lambda: statuses(schema) == {"sent": 3}, timeout=20, what="three outbox messages marked sent")

    async def six_events() -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []
        while len(seen) < 6:
            message = await asyncio.wait_for(layer.receive(channel), timeout=5)
            events = message["events"] if message["type"] == "live.events" else [message]
            seen += [(e["event"], e["payload"]["status"]) for e in events]
        return seen

    assert sorted(async_to_sync(six_events)()) == [("message", "queued")] * 3 + [("message", "sent")] * 3
