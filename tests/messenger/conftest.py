"""Fixtures of the messenger tests: the fake Graph API, a committed seller whose page it knows, a sender, and the
payments stage that writes the replies it sends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction
from django_tenants.utils import schema_context

from core.streams.consumer import StreamConsumer
from core.streams.events import ReplyWork
from messenger.models import OutboundMessage
from messenger.sender import run_sender
from messenger.services import reply_work_enqueue
from pipeline.stages import get_stage
from tenants.models import PageBinding, Seller
from tenants.services import page_binding_set_token
from tests.fakes.graph_server import FakeGraph

PAGE_TOKEN = "page-token-123"


@pytest.fixture(autouse=True)
def _never_the_development_database(django_db_setup: None) -> None:
    """pytest-django sets up the test database only when a collected test uses `db`; a run of committed-seller
    tests alone would otherwise write to the development database. Refuse before any row is written."""
    name = connection.settings_dict["NAME"]
    if not str(name).startswith("test"):
        pytest.fail(f"refusing to run against database {name!r}: run tests/messenger as a whole (it uses `db`)")


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def page(committed_seller: Seller, graph: FakeGraph) -> PageBinding:
    """The committed seller's Facebook page, with a token the fake Graph API accepts."""
    binding = PageBinding.objects.get(seller=committed_seller, platform="facebook")
    page_binding_set_token(binding=binding, token=PAGE_TOKEN)
    graph.add_page(binding.external_id, token=PAGE_TOKEN)
    return binding


@pytest.fixture
def graph_backend(settings: pytest.FixtureRequest, graph: FakeGraph) -> None:
    """Send through the fake Graph API with short timeouts and retries, so failure modes play out quickly."""
    settings.MESSENGER_BACKEND = "graph"  # type: ignore[attr-defined]
    settings.META_GRAPH_URL = graph.base_url  # type: ignore[attr-defined]
    settings.META_GRAPH_TIMEOUT_SECONDS = 0.5  # type: ignore[attr-defined]
    settings.MESSENGER_RETRY_BASE_SECONDS = 0.05  # type: ignore[attr-defined]
    settings.MESSENGER_RETRY_MAX_SECONDS = 0.2  # type: ignore[attr-defined]
    settings.MESSENGER_SEND_LEASE_SECONDS = 5  # type: ignore[attr-defined]
    settings.MESSENGER_SENDER_IDLE_SECONDS = 0.05  # type: ignore[attr-defined]


def enqueue(schema: str, work: ReplyWork) -> None:
    """What the payments stage (or a cart change) does with a reply: write it to the outbox inside the seller's
    schema and a committed transaction."""
    with schema_context(schema), transaction.atomic():
        reply_work_enqueue(work=work)


def rows(schema: str, **filters: object) -> list[OutboundMessage]:
    with schema_context(schema):
        return list(OutboundMessage.objects.filter(**filters).order_by("id"))


def _thread(target: Callable[[], None], name: str) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


@contextmanager
def running_sender() -> Iterator[None]:
    stop = threading.Event()
    thread = _thread(lambda: run_sender(stop=stop), "sender")
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the sender did not stop"


@contextmanager
def running_payments_consumer() -> Iterator[None]:
    """The payments stage's consumer: decided claims → replies in the outbox."""
    consumer = StreamConsumer(get_stage("payments"), block_ms=50)
    thread = _thread(consumer.run, "payments")
    try:
        yield
    finally:
        consumer.stop_requested.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the payments consumer did not stop"
