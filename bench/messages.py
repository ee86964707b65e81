"""Benchmark: messages/s of one sender process (`manage.py run_sender`) against the fake Graph API.

Runs against its own database and its own Redis key prefix. Queues N private replies of one seller, starts
one sender process with the graph backend pointed at the fake (answering after 0 ms, then 200 ms), and
measures from the first delivery to the moment PostgreSQL shows every row sent. Meta's per-page limit is
lifted for the run (MESSENGER_SEND_PER_SECOND) so the number is the sender's own speed, not the bucket's.

usage: DATABASE_URL=postgresql://…/any python bench/messages.py [N]
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import manage, scratch_database  # noqa: E402
from core.processes import Child, manage_command  # noqa: E402

BENCH_DB = "livestreamsell_bench_messages"
SCHEMA = "bench_messages"
PAGE_ID = "880001"
PAGE_TOKEN = "bench-page-token"


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    prefix = f"lssbench-{uuid.uuid4().hex[:8]}"
    with scratch_database(BENCH_DB) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "STREAM_KEY_PREFIX": prefix,
            "CHANNELS_PREFIX": f"{prefix}:channels",
        }
        manage("migrate_platform", "-v0", env=env)
        os.environ.update(env)
        import django

        django.setup()
        try:
            _provision()
            for latency_ms in (0, 200):
                rate = _run(total=total, latency=latency_ms / 1000, env=env)
                print(f"messages: one sender, fake Graph API at {latency_ms} ms per call: {rate:,.0f} messages/s")
        finally:
            _delete_redis_keys(prefix)
    return 0


def _provision() -> None:
    from tenants.services import seller_provision

    seller_provision(
        schema_name=SCHEMA,
        name="Bench Boutique",
        domain="bench-messages.localhost",
        facebook_page_id=PAGE_ID,
        page_token=PAGE_TOKEN,
    )


def _queue(total: int, run: str) -> None:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from messenger import due
    from messenger.models import OutboundMessage

    now = timezone.now()
    with schema_context(SCHEMA):
        OutboundMessage.objects.bulk_create(
            [
                OutboundMessage(
                    platform="facebook",
                    page_external_id=PAGE_ID,
                    recipient_id=f"{run}-{n}",
                    kind="private_reply",
                    body={"text": "Reservado ✅ A12 M"},
                    text="Reservado ✅ A12 M",
                    reason="claim",
                    idempotency_key=f"bench:{run}:{n}",
                    next_attempt_at=now,
                )
                for n in range(total)
            ],
            batch_size=1000,
        )
    due.mark_due(schema_name=SCHEMA, at=now)


def _sent(run: str) -> int:
    from django_tenants.utils import schema_context

    from messenger.models import OutboundMessage

    with schema_context(SCHEMA):
        return OutboundMessage.objects.filter(recipient_id__startswith=f"{run}-", status="sent").count()


def _run(*, total: int, latency: float, env: dict[str, str]) -> float:
    from tests.fakes.graph_server import FakeGraph

    run = f"r{int(latency * 1000)}"
    _queue(total, run)
    with FakeGraph() as graph:
        graph.add_page(PAGE_ID, token=PAGE_TOKEN)
        graph.latency_seconds = latency
        sender_env = {
            **env,
            "MESSENGER_BACKEND": "graph",
            "META_GRAPH_URL": graph.base_url,
            "MESSENGER_SEND_PER_SECOND": "1000000",
            "LOG_LEVEL": "WARNING",
        }
        sender = Child(manage_command("run_sender"), env=sender_env, quiet=True)
        try:
            deadline = time.monotonic() + 120
            while not graph.delivered:
                if time.monotonic() > deadline or sender.process.poll() is not None:
                    raise RuntimeError("the sender delivered nothing")
                time.sleep(0.01)
            started = graph.delivered[0].at
            while _sent(run) < total:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {_sent(run)} of {total} sent in time")
                time.sleep(0.02)
            elapsed = time.time() - started
        finally:
            sender.stop(timeout=30)
    if len(graph.delivered) != total:
        raise RuntimeError(f"the fake received {len(graph.delivered)} messages for {total} rows")
    return total / elapsed


def _delete_redis_keys(prefix: str) -> None:
    from core.streams.connection import get_redis

    client = get_redis()
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    raise SystemExit(main())
