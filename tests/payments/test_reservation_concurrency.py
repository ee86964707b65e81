"""Many OS processes claiming the same variant at once never oversell and never reserve a comment twice.

Each worker is a separate Python process with its own PostgreSQL connection and decides its claims through the
one reservation path (`claim_reserve`: the batch path with a batch of one). Workers set Django up, report
"ready", and start together when the test says "go".
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from inventory.models import Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.models import Reservation
from tenants.models import Seller
from tests.conftest import subprocess_env
from tests.factories import make_live, make_product, stock_conservation_errors

WORKER_SCRIPT = (
    "import sys, django; django.setup();"
    "from tests.payments.test_reservation_concurrency import run_claim_worker; run_claim_worker(sys.argv[1:])"
)


def run_claim_worker(argv: list[str]) -> None:
    """Child process: claim one unit of A12/M for each comment id, as fast as possible, after "go" on stdin.
    argv: schema name, comma-separated comment ids."""
    from payments.reservations import claim_policy_for, claim_reserve

    schema_name, ids = argv[0], [int(i) for i in argv[1].split(",")]
    with schema_context(schema_name):
        comments = list(Comment.objects.filter(pk__in=ids).select_related("live_session"))
        by_id = {c.pk: c for c in comments}
        live = comments[0].live_session
        assert live is not None
        policy = claim_policy_for(seller=Seller.objects.get(schema_name=schema_name), live=live)
        counts = {"reserved": 0, "waitlisted": 0, "partial": 0, "rejected": 0, "replayed": 0}
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.monotonic()
        for comment_id in ids:
            decision = claim_reserve(
                comment=by_id[comment_id],
                items=[ClaimItem("A12", "M", 1)],
                policy=policy,
                now=timezone.now(),
            )
            counts["replayed" if decision.replayed else decision.items[0].status] += 1
        counts["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    print(json.dumps(counts), flush=True)


def run_workers(*, schema_name: str, assignments: list[list[int]]) -> tuple[list[dict], float]:
    """Start one process per assignment, release them together, return their counts and the wall time."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT, schema_name, ",".join(map(str, ids))],
            env=subprocess_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for ids in assignments
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        started = time.monotonic()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=60)[0] for worker in workers]
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(worker.returncode == 0 for worker in workers)
    return [json.loads(output.strip().splitlines()[-1]) for output in outputs], elapsed


def make_comments(*, live: LiveSession, count: int) -> list[int]:
    now = timezone.now()
    comments = Comment.objects.bulk_create(
        Comment(
            live_session=live,
            platform="facebook",
            external_id=f"race-{n}",
            author_platform_id=f"psid-{n}",
            author_name=f"Buyer {n}",
            text="mío",
            received_at=now,
        )
        for n in range(count)
    )
    return [c.pk for c in comments]


@pytest.mark.slow
def test_eight_processes_claiming_the_last_ten_units_500_times_reserve_exactly_ten(
    committed_seller: Seller,
) -> None:
    schema = committed_seller.schema_name
    with schema_context(schema):
        variant = make_product(code="A12", variants={"M": 10}).variants.get()
        comment_ids = make_comments(live=make_live(page_external_id="race"), count=500)

    results, elapsed = run_workers(
        schema_name=schema,
        assignments=[comment_ids[i::8] for i in range(8)],
    )

    print(f"\n500 claims by 8 processes : {elapsed:.2f}s, {results}")
    assert sum(r["reserved"] for r in results) == 10
    assert sum(r["waitlisted"] for r in results) == 490
    assert sum(r["partial"] + r["rejected"] + r["replayed"] for r in results) == 0
    with schema_context(schema):
        variant.refresh_from_db()
        reserved_units = Reservation.objects.filter(variant=variant, status="reserved").aggregate(n=Sum("quantity"))[
            "n"
        ]
        assert reserved_units == 10 == variant.reserved
        assert Reservation.objects.filter(variant=variant, status="waitlisted").count() == 490
        assert not Reservation.objects.exclude(part=0).exists()
        assert stock_conservation_errors(initial={variant.pk: 10}) == []


@pytest.mark.slow
def test_same_comments_claimed_concurrently_by_three_processes_are_each_reserved_once(
    committed_seller: Seller,
) -> None:
    schema = committed_seller.schema_name
    with schema_context(schema):
        variant = make_product(code="A12", variants={"M": 10}).variants.get()
        comment_ids = make_comments(live=make_live(page_external_id="dup"), count=30)

    results, _ = run_workers(schema_name=schema, assignments=[comment_ids] * 3)

    assert sum(r["reserved"] for r in results) == 10
    assert sum(r["waitlisted"] for r in results) == 20
    assert sum(r["replayed"] for r in results) == 60
    with schema_context(schema):
        parts = Reservation.objects.filter(source_comment_id__in=comment_ids).values_list("source_comment_id", "part")
        assert sorted(parts) == [(comment_id, 0) for comment_id in sorted(comment_ids)]
        assert Variant.objects.get(pk=variant.pk).reserved == 10
        assert stock_conservation_errors(initial={variant.pk: 10}) == []
