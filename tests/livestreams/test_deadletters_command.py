"""`manage.py deadletters list|show|replay|drop`: the operator finds a buyer's comment the pipeline gave up on, fixes
the cause and replays it, and the comment is stored and decided; bad ids get a sentence and exit code 1."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from core.streams import keys
from core.streams.connection import get_redis
from core.streams.consumer import StreamConsumer
from livestreams.models import Comment
from pipeline.stages import get_stage
from tenants.models import Seller
from tests.factories import make_live
from tests.livestreams.stage_support import _empty_streams, accept, comment, drain, page_of

__all__ = ["_empty_streams"]  # the autouse fixture that empties the streams around each test


def deadletters(*args: str) -> str:
    out = io.StringIO()
    call_command("deadletters", *args, stdout=out)
    return out.getvalue()


def dead_letter_a_suspended_sellers_comment(seller: Seller, settings: Any) -> str:
    settings.STREAM_VISIBILITY_TIMEOUT = 0.05
    settings.STREAM_MAX_DELIVERIES = 2
    settings.SELLER_CACHE_SECONDS = 0
    with schema_context(seller.schema_name):
        make_live(page_external_id=page_of(seller))
    accept(seller, [comment(seller, 1, "quiero la A12")])
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.SUSPENDED)
    consumer = StreamConsumer(get_stage("claims"), block_ms=10)
    dead = keys.dead_letter_stream(keys.shard_of(seller.schema_name))
    try:
        for _ in range(200):
            if get_redis().xlen(dead):
                break
            consumer.run_once()
            time.sleep(0.06)
    finally:
        consumer.release_shards()
    [(entry_id, _fields)] = get_redis().xrange(dead)
    return f"{keys.shard_of(seller.schema_name)}/{entry_id}"


def test_a_dead_letter_is_listed_shown_and_replayed_once_its_cause_is_fixed(seller_a: Seller, settings: Any) -> None:
    ident = dead_letter_a_suspended_sellers_comment(seller_a, settings)

    listed = deadletters("list")
    assert ident in listed and "seller_a" in listed and "quiero la A12" in listed and "1 dead letter(s)." in listed
    shown = json.loads(deadletters("show", ident))
    assert shown["schema"] == "seller_a" and shown["dead.stage"] == "claims" and shown["dead.deliveries"] == "2"

    Seller.objects.filter(pk=seller_a.pk).update(status=Seller.Status.ACTIVE)
    assert "Replayed" in deadletters("replay", ident)
    drain()

    with schema_context("seller_a"):
        assert Comment.objects.get(external_id="c1").decided_at is not None
    assert "0 dead letter(s)." in deadletters("list")


def test_a_dropped_dead_letter_is_gone_and_unknown_ids_are_refused(seller_a: Seller, settings: Any) -> None:
    ident = dead_letter_a_suspended_sellers_comment(seller_a, settings)

    assert f"Dropped {ident}." in deadletters("drop", ident)

    assert deadletters("list", "--json") == ""
    with pytest.raises(CommandError, match=f"No dead letter {ident}"):
        deadletters("replay", ident)
    with pytest.raises(CommandError, match="is not a dead letter id"):
        deadletters("show", "not-an-id")
