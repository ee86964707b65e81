"""The benchmarks' steps inside Django: set-up and read-back that need the models, run in a child process with the
benchmark's environment (its scratch database, settings and stream prefix).

    python -m bench.steps NAME [ARG...]      (bench.common.run_step)

Each step prints its result on stdout as space-separated numbers (nothing for set-up steps).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import timedelta

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from core.streams.events import IngestEvent  # noqa: E402
from core.streams.publish import publish_many  # noqa: E402
from dashboard.control import live_session_feature  # noqa: E402
from inventory.models import Product, StockMovement, Variant  # noqa: E402
from livestreams.models import Comment, LiveSession  # noqa: E402
from messenger.models import OutboundMessage  # noqa: E402
from payments.models import Buyer, Order, Reservation  # noqa: E402
from tenants.services import seller_provision  # noqa: E402


def claim_event(*, schema: str, page_id: str, external_id: str, author: str) -> dict[str, str]:
    """A 'mío' as ingest queues it for the claims stage."""
    return IngestEvent(
        schema=schema,
        kind="comment",
        platform="facebook",
        page_id=page_id,
        external_id=external_id,
        verb="add",
        author_id=author,
        author_name=f"Viewer {author}",
        text="mío",
        platform_time="",
        received_time=repr(time.time()),
        candidate="1",
    ).to_fields()


def burst_timing() -> list[float]:
    """Seconds from the last comment received to the last decided, decisions per second, seconds of arrivals."""
    with schema_context("burst"):
        span = Comment.objects.aggregate(
            first=Min("decided_at"),
            last=Max("decided_at"),
            last_received=Max("received_at"),
            first_received=Min("received_at"),
        )
        decided = Comment.objects.filter(decided_at__isnull=False).count()
    seconds = (span["last"] - span["first"]).total_seconds() or 1e-9
    return [
        (span["last"] - span["last_received"]).total_seconds(),
        decided / seconds,
        (span["last_received"] - span["first_received"]).total_seconds(),
    ]


def burst_stage_only(claims: int, units: int) -> list[float]:
    """`claims` claims queued at once on a second hot variant of `units` units: claims decided per second, reserved."""
    with schema_context("burst"):
        live = LiveSession.objects.get(status="live")
        product = Product.objects.create(code="H2", name="Second hot item", price_minor=100, currency="MXN")
        Variant.objects.create(product=product, label="", stock_on_hand=units)
        live_session_feature(live_id=live.pk, product_id=product.pk)
    time.sleep(0.01)
    events = [
        claim_event(schema="burst", page_id=live.page_external_id, external_id=f"stage_{n}", author=f"s{n}")
        for n in range(claims)
    ]
    publish_many(stage="claims", schema_name="burst", entries=events)
    while True:
        with schema_context("burst"):
            done = Comment.objects.filter(external_id__startswith="stage_", decided_at__isnull=False)
            if done.count() == claims:
                span = done.aggregate(first=Min("decided_at"), last=Max("decided_at"))
                reserved = Variant.objects.get(product=product).reserved
                break
        time.sleep(0.1)
    return [claims / max((span["last"] - span["first"]).total_seconds(), 1e-9), reserved]


def provision_times(sellers: int) -> list[float]:
    """Seconds `seller_provision` takes for each of `sellers` new sellers (the service, without the command)."""
    times = []
    for n in range(sellers):
        started = time.perf_counter()
        seller_provision(
            schema_name=f"bench_svc_{n}",
            name=f"Svc {n}",
            domain=f"bench-svc-{n}.localhost",
            owner_email=f"owner@svc{n}.test",
            owner_password="bench-pass-123",
            facebook_page_id=f"90{n}",
        )
        times.append(time.perf_counter() - started)
    return times


def e2e_feature() -> list[float]:
    """Feature product E1 on the e2e live once the webhook has started it."""
    with schema_context("e2e"):
        for _ in range(100):
            live = LiveSession.objects.filter(platform_video_id="e2e-video", status="live").first()
            if live:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the e2e live did not start")
        live_session_feature(live_id=live.pk, product_id=Product.objects.get(code="E1").pk)
    return []


def e2e_earlier_live(page_id: int, buyers: int) -> list[float]:
    """The seller's history: one earlier live (ended) with `buyers` buyers of 5 comments each, their carts and
    replies, then ANALYZE, as autovacuum leaves a seller's tables. Measured on empty tables instead, the plans
    PostgreSQL caches for the prepared statements in the first seconds (sequential scans of near-empty tables) would
    stay while the tables grow, which is the first minute of a brand-new seller's first live, not a live in general."""
    comments_each = 5
    page = str(page_id)
    with schema_context("e2e"):
        then = timezone.now() - timedelta(days=7)
        live = LiveSession.objects.create(
            platform="facebook",
            page_external_id=page,
            platform_video_id="e2e-earlier",
            status="ended",
            started_at=then,
            ended_at=then + timedelta(hours=2),
        )
        variant = Variant.objects.get(sku="E1")
        people = Buyer.objects.bulk_create(
            Buyer(platform="facebook", platform_user_id=f"earlier-{n}", name="Viewer") for n in range(buyers)
        )
        orders = Order.objects.bulk_create(Order(buyer=b, live_session=live, status="paid") for b in people)
        comments = Comment.objects.bulk_create(
            Comment(
                live_session=live,
                platform="facebook",
                page_external_id=page,
                external_id=f"earlier_{n}",
                author_platform_id=f"earlier-{n // comments_each}",
                author_name="Viewer",
                text="mío",
                received_at=then + timedelta(seconds=n / 10),
                is_candidate=True,
                intent="purchase",
                parse_result={
                    "items": [{"code": "E1", "variant": None, "qty": 1}],
                    "engine": "local",
                    "confidence": 0.95,
                },
                decided_at=then + timedelta(seconds=n / 10),
            )
            for n in range(buyers * comments_each)
        )
        Reservation.objects.bulk_create(
            Reservation(
                order=order, variant=variant, source_comment=comments[n * comments_each], quantity=1, status="paid"
            )
            for n, order in enumerate(orders)
        )
        OutboundMessage.objects.bulk_create(
            OutboundMessage(
                platform="facebook",
                page_external_id=page,
                recipient_id=c.external_id,
                kind="private_reply",
                body={"text": "ok"},
                status="sent",
                text="ok",
                attempts=1,
                external_message_id=f"m_{c.pk}",
                comment=c,
                order=orders[n // comments_each],
                next_attempt_at=None,
                reason="claim",
                idempotency_key=f"earlier:{c.pk}",
                sent_at=c.received_at,
            )
            for n, c in enumerate(comments)
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return []


def scaling_setup(sellers: int, claims: int) -> list[float]:
    """Each of `sellers` sellers (schemas scale0…) back to one live with a 50-unit product, and `claims` claims
    queued for each."""
    for n in range(sellers):
        schema = f"scale{n}"
        with schema_context(schema):
            Reservation.objects.all().delete()
            StockMovement.objects.all().delete()
            Order.objects.all().delete()
            product, _ = Product.objects.get_or_create(
                code="S1", defaults={"name": "Hot", "price_minor": 100, "currency": "MXN"}
            )
            Variant.objects.update_or_create(product=product, label="", defaults={"stock_on_hand": 50, "reserved": 0})
            live = LiveSession.objects.filter(status="live").first() or LiveSession.objects.create(
                platform="facebook",
                page_external_id=f"70{n}",
                status="live",
                started_at=timezone.now(),
                featured_product=product,
            )
            Comment.objects.all().delete()
        events = [
            claim_event(schema=schema, page_id=live.page_external_id, external_id=f"{schema}_{i}", author=f"p{i}")
            for i in range(claims)
        ]
        publish_many(stage="claims", schema_name=schema, entries=events)
    return []


STEPS: dict[str, Callable[..., list[float]]] = {
    "burst_timing": burst_timing,
    "burst_stage_only": burst_stage_only,
    "provision_times": provision_times,
    "e2e_feature": e2e_feature,
    "e2e_earlier_live": e2e_earlier_live,
    "scaling_setup": scaling_setup,
}


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    print(*STEPS[name](*(int(arg) for arg in args)))
