"""Processes killed with SIGKILL at the worst moment: no reply lost, none written or sent twice."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from core.streams import keys
from core.streams.connection import get_redis
from core.streams.publish import publish
from messenger.models import OutboundMessage
from payments.models import Buyer
from tenants.models import PageBinding, Seller
from tests.fakes.graph_server import FakeGraph
from tests.messenger.conftest import enqueue, rows
from tests.messenger.helpers import claimed_comment, reply_work
from tests.messenger.test_sender import claim_works, decided_claims, live_on, statuses
from tests.processes import CrashPoint, ManageProcess, wait_until


def test_a_sender_killed_between_send_and_record_never_sends_twice(
    committed_seller: Seller, page: PageBinding, graph: FakeGraph
) -> None:
    schema = committed_seller.schema_name
    for work in claim_works(schema, page, 10, prefix="k"):
        enqueue(schema, work)
    with schema_context(schema):
        _, order = claimed_comment(live=live_on(page), external_id="k-dm", buyer="psid-k-dm")
        Buyer.objects.filter(platform_user_id="psid-k-dm").update(last_message_at=timezone.now() - timedelta(hours=1))
    graph.open_window("psid-k-dm")
    enqueue(schema, reply_work(schema=schema, reason="paid", order=order))
    graph.slow_next(60, times=11)  # Meta takes every message, but its answers never arrive before the kill
    env = {
        "MESSENGER_BACKEND": "graph",
        "META_GRAPH_URL": graph.base_url,
        "META_GRAPH_TIMEOUT_SECONDS": "30",
        "MESSENGER_SEND_LEASE_SECONDS": "2",
        "MESSENGER_SENDER_IDLE_SECONDS": "0.05",
    }

    victim = ManageProcess("run_sender", **env)
    wait_until(lambda: len(graph.delivered) == 11, timeout=30, what="Meta to receive all 11 messages")
    victim.kill()
    assert statuses(schema) == {"sending": 11}

    rescuer = ManageProcess("run_sender", **env)
    try:
        wait_until(lambda: statuses(schema) == {"sent": 10, "failed": 1}, timeout=30, what="the rescuer to settle all")
    finally:
        assert rescuer.terminate() == 0

    assert len(graph.delivered) == 11  # nothing reached the buyer twice
    assert all(graph.replies_to(f"k-{n}") == 1 for n in range(10))
    assert graph.answered(10900) == 10  # Meta's one-reply rule told us the first attempts had landed
    by_recipient = {row.recipient_id: row for row in rows(schema)}
    assert {by_recipient[f"k-{n}"].external_message_id for n in range(10)} == {f"replied:k-{n}" for n in range(10)}
    dm = by_recipient["psid-k-dm"]
    assert (dm.status, dm.last_error_code) == ("failed", "unconfirmed")  # no idempotency for messages: not resent


def test_a_payments_consumer_killed_mid_batch_writes_each_reply_once(
    committed_seller: Seller, page: PageBinding
) -> None:
    schema = committed_seller.schema_name
    total = 200
    for fields in decided_claims(committed_seller, page, total, prefix="q"):
        publish(stage="payments", schema_name=schema, fields=fields)
    env = {"STREAM_VISIBILITY_TIMEOUT": "1", "STREAM_SHARD_LEASE": "1", "MESSENGER_BACKEND": "outbox"}

    def written() -> int:
        with schema_context(schema):
            return OutboundMessage.objects.count()

    crash = CrashPoint("payments.before_ack", after=21)  # its third batch of 10 committed, not acknowledged
    victim = ManageProcess("run_consumer", "payments", "--batch-size", "10", **env, **crash.env)  # a transaction per 10
    committed = crash.wait(victim)
    victim.kill()
    assert written() == committed == 30 < total
    stream = keys.stage_stream("payments", keys.shard_of(schema))
    assert get_redis().xpending(stream, "payments")["pending"] == 10  # the last batch comes again

    rescuer = ManageProcess("run_consumer", "payments", **env)
    try:
        wait_until(lambda: written() == total, timeout=60, what="every reply written")
        wait_until(lambda: get_redis().xpending(stream, "payments")["pending"] == 0, what="every entry acknowledged")
    finally:
        assert rescuer.terminate() == 0
    with schema_context(schema):
        assert OutboundMessage.objects.values("comment_id").distinct().count() == total  # one per comment
        assert set(OutboundMessage.objects.values_list("reason", flat=True)) == {"claim"}
