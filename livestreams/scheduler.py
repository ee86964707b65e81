"""Periodic work that is not driven by a stream: relaying the webhook inbox and ending holds."""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from livestreams.ingest import inbox_relay
from payments.holds import holds_rebuild, holds_tick

logger = logging.getLogger(__name__)

HOLDS_REBUILD_SECONDS = 60.0


def scheduler_tick() -> dict[str, int]:
    """One pass of every periodic job; safe to run in several processes at once."""
    report = {"relayed": 0, "released": 0, "promoted": 0}
    try:
        report["relayed"] = inbox_relay()
    except (DatabaseError, redis.RedisError) as exc:
        logger.warning("scheduler: inbox relay failed: %s", exc.__class__.__name__)
    try:
        tick = holds_tick(now=timezone.now())
        report["released"], report["promoted"] = tick.released, len(tick.promoted)
    except (DatabaseError, redis.RedisError) as exc:
        logger.warning("scheduler: hold expiry failed: %s", exc.__class__.__name__)
    return report


def run_scheduler(*, stop: threading.Event, interval: float = 1.0) -> None:
    last_rebuild = float("-inf")
    while not stop.is_set():
        if time.monotonic() - last_rebuild > HOLDS_REBUILD_SECONDS:
            try:
                holds_rebuild()
                last_rebuild = time.monotonic()
            except (DatabaseError, redis.RedisError) as exc:
                logger.warning("scheduler: rebuilding due holds failed: %s", exc.__class__.__name__)
        scheduler_tick()
        close_old_connections()
        stop.wait(interval)
