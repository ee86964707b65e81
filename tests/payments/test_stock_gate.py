"""The Redis stock gate sheds "sold out" claims, follows PostgreSQL after each commit, and is rebuilt from it.

Each test uses its own key prefix (the Redis server is shared) and deletes its keys afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from inventory.models import Variant
from inventory.stock_gate import StockGate, gate_key, stock_gate_rebuild
from livestreams.intent.types import ClaimItem
from payments.reservations import claim_reserve
from tenants.models import Seller
from tests.factories import make_comment, make_live, make_product, stock_conservation_errors
from tests.payments.test_reservations import POLICY


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=settings.REDIS_SOCKET_TIMEOUT)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    value = f"lss-test-{uuid.uuid4().hex[:10]}"
    yield value
    keys = redis_client.keys(f"{value}:*")
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def gate_for(redis_client: redis.Redis, prefix: str) -> Callable[[str], StockGate]:
    return lambda schema_name: StockGate(redis_client, schema_name, prefix=prefix)


def test_take_grants_what_is_left_then_answers_sold_out(gate_for: Callable[[str], StockGate]) -> None:
    gate = gate_for("seller_x")
    gate.rebuild([(7, 3)])

    assert gate.take(7, 2) == 2
    assert gate.take(7, 2) == 1
    assert gate.take(7, 1) == 0
    assert gate.available(7) == 0


def test_give_back_returns_units_to_a_known_variant_only(gate_for: Callable[[str], StockGate]) -> None:
    gate = gate_for("seller_x")
    gate.rebuild([(7, 1)])
    gate.take(7, 1)

    gate.give_back(7, 1)
    gate.give_back(8, 5)

    assert gate.available(7) == 1
    assert gate.take(8, 1) is None


def test_gate_that_was_never_built_or_lost_its_data_answers_unknown(
    gate_for: Callable[[str], StockGate], redis_client: redis.Redis
) -> None:
    gate = gate_for("seller_x")
    assert gate.take(7, 1) is None
    assert gate.set_available(7, 4) is False
    gate.rebuild([(7, 4)])

    redis_client.delete(gate.key)

    assert (gate.is_built(), gate.take(7, 1)) == (False, None)


def test_gate_key_carries_the_schema_name_as_a_cluster_hash_tag(
    gate_for: Callable[[str], StockGate], redis_client: redis.Redis, prefix: str
) -> None:
    gate = gate_for("seller_x")
    gate.rebuild([(7, 1)])

    assert gate.key == gate_key(schema_name="seller_x", prefix=prefix) == f"{prefix}:{{seller_x}}:gate"
    assert redis_client.keys(f"{prefix}:*") == [gate.key.encode()]


def test_two_sellers_gates_for_the_same_variant_id_never_interfere(gate_for: Callable[[str], StockGate]) -> None:
    gate_a, gate_b = gate_for("seller_a"), gate_for("seller_b")
    gate_a.rebuild([(1, 1)])
    gate_b.rebuild([(1, 5)])

    assert gate_a.take(1, 1) == 1
    assert gate_a.take(1, 1) == 0
    gate_a.rebuild([])

    assert gate_b.take(1, 5) == 5
    assert gate_a.take(1, 1) is None


def test_gate_is_rebuilt_from_postgresql_after_redis_loses_its_data(
    in_seller_a: Seller, redis_client: redis.Redis, prefix: str, gate_for: Callable[[str], StockGate]
) -> None:
    product = make_product(code="A12", variants={"M": 3, "L": 2})
    size_m, size_l = product.variants.get(label="M"), product.variants.get(label="L")
    Variant.objects.filter(pk=size_m.pk).update(reserved=1)
    stock_gate_rebuild(schema_name="seller_a", redis_client=redis_client, prefix=prefix)
    gate = gate_for("seller_a")
    gate.take(size_m.pk, 2)
    redis_client.delete(gate.key)

    written = stock_gate_rebuild(schema_name="seller_a", redis_client=redis_client, prefix=prefix)

    assert written == 2
    assert (gate.available(size_m.pk), gate.available(size_l.pk)) == (2, 2)


def test_claim_through_the_gate_corrects_it_from_postgresql_after_commit(
    in_seller_a: Seller,
    redis_client: redis.Redis,
    prefix: str,
    gate_for: Callable[[str], StockGate],
    django_capture_on_commit_callbacks,
) -> None:
    variant = make_product(code="A12", variants={"M": 5}).variants.get()
    stock_gate_rebuild(schema_name="seller_a", redis_client=redis_client, prefix=prefix)
    gate = gate_for("seller_a")
    comment = make_comment(live=make_live(), external_id="c1")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim_reserve(comment=comment, items=[ClaimItem("A12", "M", 2)], policy=POLICY, now=timezone.now(), gate=gate)
        gate.set_available(variant.pk, 5)  # what a rebuild racing the claim could leave
    for callback in callbacks:
        callback()

    assert gate.available(variant.pk) == 3
    assert stock_conservation_errors(initial={variant.pk: 5}) == []


def test_claim_finding_the_gate_lost_rebuilds_it_after_commit(
    in_seller_a: Seller,
    redis_client: redis.Redis,
    gate_for: Callable[[str], StockGate],
    django_capture_on_commit_callbacks,
) -> None:
    variant = make_product(code="A12", variants={"M": 5}).variants.get()
    gate = gate_for("seller_a")
    comment = make_comment(live=make_live(), external_id="c1")

    with django_capture_on_commit_callbacks(execute=True):
        decision = claim_reserve(
            comment=comment, items=[ClaimItem("A12", "M", 1)], policy=POLICY, now=timezone.now(), gate=gate
        )

    assert decision.items[0].status == "reserved"
    assert (gate.is_built(), gate.available(variant.pk)) == (True, 4)
