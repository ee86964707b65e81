"""Dashboard fixtures: logged-in test clients on seller A's host (rows rolled back after each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.models import Seller

HOST_A = "seller-a.localhost"


def _client_for(seller: Seller, username: str, *, owner: bool) -> Client:
    client = Client(HTTP_HOST=HOST_A if seller.schema_name == "seller_a" else "seller-b.localhost")
    with schema_context(seller.schema_name):
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": username, "is_staff": True, "is_superuser": owner}
        )
        client.force_login(user)
    return client


@pytest.fixture
def owner_client(seller_a: Seller) -> Client:
    return _client_for(seller_a, "owner@seller-a.localhost", owner=True)


@pytest.fixture
def staff_client(seller_a: Seller) -> Client:
    return _client_for(seller_a, "staff@seller-a.localhost", owner=False)


@pytest.fixture
def count_queries() -> Callable[[], Iterator[CaptureQueriesContext]]:
    @contextmanager
    def counting() -> Iterator[CaptureQueriesContext]:
        with CaptureQueriesContext(connection) as context:
            yield context

    return counting  # type: ignore[return-value]
