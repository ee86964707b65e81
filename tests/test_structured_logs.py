"""Structured logs: a pipeline run writes one JSON object per line, and its lines carry the seller, live, comment,
order and message ids the runtime knows; a live's start and each claim decision are logged at INFO. A request's
lines name its host and seller."""

from __future__ import annotations

import io
import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from django.test import Client
from django_tenants.utils import schema_context

from core.logs import log_context, logging_settings
from core.streams import keys
from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from demo.meta_payloads import feed_comment_change, live_video_change, page_delivery
from livestreams.ingest import queue_delivery
from livestreams.meta_events import parse_delivery
from livestreams.models import Comment, LiveSession
from messenger.models import OutboundMessage
from payments.models import Order
from pipeline.stages import get_stage
from tenants.models import Seller
from tests.conftest import subprocess_env
from tests.factories import make_product
from tests.processes import ROOT, wait_until


def page_of(seller: Seller) -> str:
    return seller.page_bindings.get(platform="facebook").external_id


def accept(seller: Seller, changes: list[dict[str, Any]]) -> None:
    queue_delivery(parse_delivery(page_delivery(page_id=page_of(seller), changes=changes)), received_time=time.time())


@pytest.fixture
def pipeline_log(committed_seller: Seller, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`manage.py run_pipeline` with JSON logs (DEBUG: the sender logs each message there), stderr to a file."""
    log_file = tmp_path / "pipeline.log"
    with log_file.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_pipeline"],
            cwd=ROOT,
            env=subprocess_env(LOG_FORMAT="json", LOG_LEVEL="DEBUG", MESSENGER_BACKEND="outbox"),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            yield process, log_file
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


def test_a_pipeline_run_logs_json_lines_carrying_seller_live_comment_and_order_ids(
    committed_seller: Seller, pipeline_log: tuple[subprocess.Popen[bytes], Path]
) -> None:
    schema = committed_seller.schema_name
    with schema_context(schema):
        make_product(code="B1", variants={"": 5})
    accept(committed_seller, [live_video_change(video_id="v-logs", status="live")])
    accept(
        committed_seller,
        [
            feed_comment_change(
                page_id=page_of(committed_seller),
                comment_id=f"log-{n}",
                author_id=f"psid-log-{n}",
                author_name=f"Viewer {n}",
                text="quiero la B1",
            )
            for n in range(3)
        ],
    )
    process, log_file = pipeline_log

    def all_sent() -> bool:
        with schema_context(schema):
            return OutboundMessage.objects.filter(status="sent").count() == 3

    wait_until(all_sent, timeout=60, what="the three replies to be sent")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]  # every line is one JSON object

    with schema_context(schema):
        live = LiveSession.objects.get(platform_video_id="v-logs")
        comments = {c.external_id: c.pk for c in Comment.objects.all()}
        order_of = {o.buyer.platform_user_id: o.pk for o in Order.objects.select_related("buyer")}
        messages = {m.comment_id: m.pk for m in OutboundMessage.objects.all()}
    assert all({"timestamp", "level", "logger", "event"} <= line.keys() for line in lines)
    [started] = [line for line in lines if line["event"] == "live_started"]
    assert (started["level"], started["seller"], started["live_id"]) == ("info", schema, live.pk)
    assert started["stage"] == "claims" and started["video_external_id"] == "v-logs"
    decided = {line["comment_id"]: line for line in lines if line["event"] == "claim_decided"}
    assert set(decided) == {comments[f"log-{n}"] for n in range(3)}
    for n in range(3):
        line = decided[comments[f"log-{n}"]]
        assert line["level"] == "info" and line["seller"] == schema and line["stage"] == "claims"
        assert (line["live_id"], line["order_id"], line["intent"]) == (live.pk, order_of[f"psid-log-{n}"], "purchase")
        assert line["items"] == ["B1:reserved"]
    sent = [line for line in lines if line["logger"] == "messenger.sender" and line["event"].startswith("message sent")]
    assert {(line["seller"], line["comment_id"], line["message_id"]) for line in sent} == {
        (schema, comment_id, message_id) for comment_id, message_id in messages.items()
    }
    started_lines = [line for line in lines if line["event"].startswith("consumer ") and "started" in line["event"]]
    assert {line["stage"] for line in started_lines} == {"claims", "payments"}  # stdlib calls carry the context too


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the view, middleware and stream consumer loggers write, rendered as in production."""
    formatter_config = logging_settings(level="INFO", log_format="json")["formatters"]["structured"]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=formatter_config["processors"], foreign_pre_chain=formatter_config["foreign_pre_chain"]
        )
    )
    loggers = [logging.getLogger(name) for name in ("payments.webhooks", "core.middleware", "core.streams.consumer")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def lines_of(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(text) for text in buffer.getvalue().splitlines()]


def test_a_view_s_log_lines_name_the_request_and_its_host(db: None, json_lines: io.StringIO) -> None:
    response = Client(HTTP_HOST="localhost").post("/webhooks/stripe/", b"{}", content_type="application/json")

    assert response.status_code == 503  # the test settings have no Stripe webhook secret: the view logs an error
    view_line, finished = lines_of(json_lines)
    assert view_line["logger"] == "payments.webhooks" and view_line["level"] == "error"
    assert (view_line["host"], view_line["method"], view_line["path"]) == ("localhost", "POST", "/webhooks/stripe/")
    assert "seller" not in view_line  # a public host belongs to no seller
    assert finished["event"] == "request finished" and finished["status"] == 503
    assert finished["request_id"] == view_line["request_id"] and len(view_line["request_id"]) == 12


def test_a_request_on_a_seller_host_logs_with_the_seller(seller_a: Seller, json_lines: io.StringIO) -> None:
    response = Client(HTTP_HOST="seller-a.localhost").get("/login/")

    assert response.status_code == 200
    [finished] = lines_of(json_lines)
    assert (finished["event"], finished["status"], finished["level"]) == ("request finished", 200, "debug")
    assert (finished["host"], finished["seller"], finished["path"]) == ("seller-a.localhost", "seller_a", "/login/")
    assert finished["duration_ms"] >= 0


def test_a_failing_stream_entry_is_logged_with_its_seller_stage_entry_and_comment(
    seller_a: Seller, json_lines: io.StringIO
) -> None:
    stream = keys.stage_stream("claims", keys.shard_of("seller_a"))
    broken = {"type": "meta_event.v1", "schema": "seller_a", "kind": "comment", "external_id": "c-broken"}
    entry_id = get_redis().xadd(stream, broken)  # lacks the event's other fields: its handler fails
    consumer = StreamConsumer(get_stage("claims"), block_ms=10)
    try:
        with log_context(stage="claims"):  # as StreamConsumer.run binds it for its thread
            consumer.run_once()
    finally:
        consumer.release_shards()
        get_redis().delete(stream)

    [line] = [line for line in lines_of(json_lines) if line["logger"] == "core.streams.consumer"]
    assert line["level"] == "error" and "handler failed" in line["event"]
    assert (line["seller"], line["stage"], line["entry_id"]) == ("seller_a", "claims", entry_id)
    assert line["comment_external_id"] == "c-broken"
    assert "KeyError" in json.dumps(line["exception"])
