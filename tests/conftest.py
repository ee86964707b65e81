"""Test set-up: one migrated test database, the template schema, and two session-scoped sellers.

Sellers are provisioned once per session (schema creation is DDL, too slow to repeat per test); each test
runs in a transaction that is rolled back, inside `schema_context` where it touches a seller's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from livestreams.decisions import catalog_cache_clear
from tenants import page_routes
from tenants.models import Seller
from tenants.selectors import seller_cache_clear
from tenants.services import seller_provision

SELLER_A = {"schema_name": "seller_a", "name": "Boutique A", "domain": "seller-a.localhost", "facebook_page_id": "9001"}
SELLER_B = {"schema_name": "seller_b", "name": "Boutique B", "domain": "seller-b.localhost", "facebook_page_id": "9002"}
OWNER_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Create the test database for every run. pytest-django creates it only when some collected test asks
    for `db`; a run of `committed_seller` tests alone would otherwise write to the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        db_cfg = setup_databases(verbosity=0, interactive=False, aliases={"default"})  # type: ignore[arg-type]
        assert connection.settings_dict["NAME"].startswith("test_"), "tests must never touch a real database"
        call_command("migrate_platform", verbosity=0)
        for seller in (SELLER_A, SELLER_B):
            seller_provision(
                **seller, owner_email=f"owner@{seller['domain']}", owner_password=OWNER_PASSWORD, page_token="tok"
            )
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        # Threads of the app under test (asgiref executors, servers) may still hold a connection.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        teardown_databases(db_cfg, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _delete_this_runs_redis_keys() -> Iterator[None]:
    """The Redis server may be shared: remove only the keys of this test run (its own prefix)."""
    yield
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in (f"{settings.STREAM_KEY_PREFIX}:*", f"{settings.STREAM_KEY_PREFIX}-*"):
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Process caches would carry one test's rolled-back rows into the next."""
    page_routes.invalidate()
    catalog_cache_clear()
    seller_cache_clear()


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Iterator[None]:
    """A request through the test client leaves the connection on the seller's schema; reset it."""
    yield
    connection.set_schema_to_public()  # type: ignore[attr-defined]


@pytest.fixture
def seller_a(db: None) -> Seller:
    return Seller.objects.get(schema_name=SELLER_A["schema_name"])


@pytest.fixture
def seller_b(db: None) -> Seller:
    return Seller.objects.get(schema_name=SELLER_B["schema_name"])


@pytest.fixture
def in_seller_a(seller_a: Seller) -> Iterator[Seller]:
    with schema_context(seller_a.schema_name):
        yield seller_a


@pytest.fixture
def public_client() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def committed_seller(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Seller]:
    """A seller of its own whose rows are really committed (no test transaction around it), for tests that use
    several processes or connections. Its schema is dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        result = seller_provision(
            schema_name=f"c_{suffix}",
            name=f"Committed {suffix}",
            domain=f"c-{suffix}.localhost",
            facebook_page_id=str(int(suffix, 16)),
            owner_email=f"owner@c-{suffix}.localhost",
            owner_password=OWNER_PASSWORD,
        )
        try:
            yield result.seller
        finally:
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            result.seller.delete(force_drop=True)


def database_url_of_test_db() -> str:
    """DATABASE_URL of the test database, for subprocesses (manage.py commands, consumers, servers)."""
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or "5432"
    if host.startswith("/"):
        return f"postgresql://{db['USER']}@/{db['NAME']}?host={host}&port={port}"
    return f"postgresql://{db['USER']}@{host}:{port}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a subprocess that must use the test database and test settings."""
    return {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "STREAM_KEY_PREFIX": settings.STREAM_KEY_PREFIX,
        **extra,
    }
