"""The backend sends `SET search_path` only when the connection's path changes, and never trusts a path the
server has rolled back (config/postgresql_backend)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from inventory.models import Product
from tenants.models import Seller
from tests.factories import make_product


def _sets(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SET search_path")]


@pytest.fixture
def two_sellers_with_a12(seller_a: Seller, seller_b: Seller) -> None:
    with schema_context(seller_a.schema_name):
        make_product(code="A12", name="Blusa de A", variants={"M": 1})
    with schema_context(seller_b.schema_name):
        make_product(code="A12", name="Blusa de B", variants={"M": 1})


@pytest.mark.usefixtures("two_sellers_with_a12")
def test_entering_the_same_seller_again_sends_no_second_set() -> None:
    with schema_context("seller_a"):
        assert Product.objects.get().name == "Blusa de A"
    with CaptureQueriesContext(connection) as queries, schema_context("seller_a"):
        assert Product.objects.get().name == "Blusa de A"
    assert _sets(queries) == []


@pytest.mark.usefixtures("two_sellers_with_a12")
def test_switching_sellers_sets_the_path_each_time() -> None:
    with CaptureQueriesContext(connection) as queries:
        names = []
        for schema_name in ("seller_a", "seller_b", "seller_a"):
            with schema_context(schema_name):
                names.append(Product.objects.get().name)
    assert names == ["Blusa de A", "Blusa de B", "Blusa de A"]
    assert _sets(queries) == [
        'SET search_path = "seller_a","public"',
        'SET search_path = "seller_b","public"',
        'SET search_path = "seller_a","public"',
    ]


@pytest.mark.usefixtures("two_sellers_with_a12")
def test_a_path_set_in_a_rolled_back_block_is_set_again() -> None:
    with schema_context("seller_b"):
        assert Product.objects.get().name == "Blusa de B"
    try:
        with pytest.raises(RuntimeError), transaction.atomic():  # the savepoint is taken on the public path
            connection.set_schema("seller_a")  # type: ignore[attr-defined]
            assert Product.objects.get().name == "Blusa de A"  # SET inside the block: its rollback undoes it
            raise RuntimeError("boom")
        assert Product.objects.get().name == "Blusa de A"  # the path was sent again, not trusted
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
