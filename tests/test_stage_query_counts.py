"""Each stream stage's handler takes a batch of one seller's entries in a fixed number of queries (the design's
promise: a burst costs round trips per batch, never per comment). Counted per handler: a batch of 20 takes as many
statements as a batch of 2, for claims that get units, claims that join the waitlist, and their replies."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.streams.events import ClaimDecided, IngestEvent
from livestreams.decisions import catalog_cache_clear
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.reservations import claim_policy_for, claim_reserve
from pipeline.claims_stage import handle_events
from pipeline.payments_stage import handle_claims_decided
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product

SMALL, LARGE = 2, 20


@pytest.fixture(autouse=True)
def _sellers_kept_as_in_production(settings: Any) -> None:
    """The stages read their seller once per SELLER_CACHE_SECONDS (tests/tenants/test_seller_cache.py), which the
    test settings turn off; here it is on, as in production."""
    settings.SELLER_CACHE_SECONDS = 60


# The claims stage re-reads the active catalog once a second whatever the batch size (livestreams.decisions): a
# batch that crosses a second boundary adds these two statements. They are counted apart, at most once a batch.
CATALOG_READS = ('WHERE "inventory_product"."active"', 'WHERE "inventory_variant"."product_id" IN')


def statements(handler: Callable[[list[dict[str, str]]], None], entries: list[dict[str, str]]) -> list[str]:
    """What the handler said to PostgreSQL for `entries`, each statement reduced to its verb and first table
    (the catalog's once-a-second re-read left out, after checking it happened at most once)."""
    with CaptureQueriesContext(connection) as queries:
        handler(entries)
    sqls = [query["sql"] for query in queries.captured_queries]
    for marker in CATALOG_READS:
        assert sum(marker in sql for sql in sqls) <= 1, f"the catalog was read more than once in a batch: {marker}"
    return [_shape(sql) for sql in sqls if not any(marker in sql for marker in CATALOG_READS)]


def _shape(sql: str) -> str:
    words = sql.replace('"', " ").split()
    table = next((w for w in words if "_" in w and w.islower() and not w.startswith("%")), "")
    return f"{words[0].upper()} {table}"


def claims(seller: Seller, live: LiveSession, count: int, *, tag: str) -> list[dict[str, str]]:
    """`count` clear claims ('quiero la A12') by different buyers, as ingest queues them."""
    page = seller.page_bindings.get(platform="facebook").external_id
    return [
        IngestEvent(
            schema=seller.schema_name,
            kind="comment",
            platform="facebook",
            page_id=page,
            external_id=f"{tag}-{n}",
            verb="add",
            author_id=f"psid-{tag}-{n}",
            author_name=f"Viewer {n}",
            text="quiero la A12",
            platform_time="",
            received_time=repr(time.time()),
            candidate="1",
        ).to_fields()
        for n in range(count)
    ]


def decided(seller: Seller, live: LiveSession, count: int, *, tag: str) -> list[dict[str, str]]:
    """`count` comments that each got a unit of A12, as the claims stage hands them to the payments stage."""
    policy = claim_policy_for(seller=seller, live=live)
    entries = []
    for n in range(count):
        comment = make_comment(live=live, external_id=f"{tag}-{n}", author=f"psid-{tag}-{n}")
        decision = claim_reserve(comment=comment, items=(ClaimItem("A12", "", 1),), policy=policy, now=timezone.now())
        entries.append(
            ClaimDecided(
                schema=seller.schema_name,
                comment_id=str(comment.pk),
                intent="purchase",
                decision=json.dumps(decision.as_dict()),
                needs_review="0",
                received_time="",
            ).to_fields()
        )
    return entries


def on_air(seller: Seller, *, units: int) -> LiveSession:
    product = make_product(code="A12", variants={"": units})
    live = make_live(page_external_id=seller.page_bindings.get(platform="facebook").external_id)
    live.featured_product = product
    live.save(update_fields=["featured_product"])
    return live


def assert_fixed(handler: Callable[[list[dict[str, str]]], None], batch: Callable[[int, str], Any]) -> None:
    handler(batch(SMALL, "warm"))  # first batch of a process: caches (seller settings, catalog) fill
    small = statements(handler, batch(SMALL, "small"))
    catalog_cache_clear()  # the large batch re-reads the catalog, as one crossing a second boundary does
    large = statements(handler, batch(LARGE, "large"))
    extra, missing = Counter(large) - Counter(small), Counter(small) - Counter(large)
    assert large == small, f"{SMALL} entries: {len(small)} statements, {LARGE}: {len(large)} (+{extra} -{missing})"


def test_the_claims_stage_reserves_a_batch_in_a_fixed_number_of_statements(in_seller_a: Seller) -> None:
    live = on_air(in_seller_a, units=1000)
    assert_fixed(handle_events, lambda count, tag: claims(in_seller_a, live, count, tag=tag))
    assert Comment.objects.filter(intent="purchase").count() == 2 * SMALL + LARGE


def test_the_claims_stage_waitlists_a_batch_in_a_fixed_number_of_statements(in_seller_a: Seller) -> None:
    live = on_air(in_seller_a, units=0)
    assert_fixed(handle_events, lambda count, tag: claims(in_seller_a, live, count, tag=tag))


def test_the_payments_stage_writes_a_batch_of_replies_in_a_fixed_number_of_statements(in_seller_a: Seller) -> None:
    live = on_air(in_seller_a, units=1000)
    assert_fixed(handle_claims_decided, lambda count, tag: decided(in_seller_a, live, count, tag=tag))
