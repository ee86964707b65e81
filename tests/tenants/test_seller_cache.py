"""The pipeline's per-process copy of a seller: read once per SELLER_CACHE_SECONDS, forgotten on save."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Domain, Seller
from tenants.selectors import seller_base_url_of_schema, seller_cache_clear, seller_of_schema


@pytest.fixture(autouse=True)
def _cache_on(settings: pytest.FixtureRequest) -> Iterator[None]:
    settings.SELLER_CACHE_SECONDS = 60  # type: ignore[attr-defined]
    seller_cache_clear()
    yield
    seller_cache_clear()


def test_a_seller_and_its_base_url_are_read_once_while_fresh(seller_a: Seller) -> None:
    with CaptureQueriesContext(connection) as first:
        seller_of_schema(seller_a.schema_name)
        url = seller_base_url_of_schema(seller_a.schema_name)
    with CaptureQueriesContext(connection) as again:
        for _ in range(5):
            assert seller_of_schema(seller_a.schema_name).pk == seller_a.pk
            assert seller_base_url_of_schema(seller_a.schema_name) == url

    assert len(first) >= 2  # the seller, then its primary domain
    assert len(again) == 0
    assert url.startswith("http") and seller_a.get_primary_domain().domain in url  # type: ignore[union-attr]


def test_saving_a_seller_or_a_domain_forgets_the_copy(seller_a: Seller) -> None:
    seller_of_schema(seller_a.schema_name)
    seller_a.hold_minutes = 7
    seller_a.save()

    assert seller_of_schema(seller_a.schema_name).hold_minutes == 7

    domain = Domain.objects.get(tenant=seller_a, is_primary=True)
    seller_base_url_of_schema(seller_a.schema_name)
    domain.domain = "renamed-seller.localhost"
    domain.save()

    assert "renamed-seller.localhost" in seller_base_url_of_schema(seller_a.schema_name)


def test_with_the_cache_off_every_call_reads_the_database(seller_a: Seller, settings: pytest.FixtureRequest) -> None:
    settings.SELLER_CACHE_SECONDS = 0  # type: ignore[attr-defined]
    seller_of_schema(seller_a.schema_name)
    Seller.objects.filter(pk=seller_a.pk).update(hold_minutes=9)  # no signal: only a fresh read sees it

    assert seller_of_schema(seller_a.schema_name).hold_minutes == 9
