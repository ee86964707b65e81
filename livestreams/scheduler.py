"""Periodic work that is not driven by a stream: relaying the webhook inbox (and, later, hold expiry)."""

from __future__ import annotations

import logging
import threading

import redis
from django.db import DatabaseError, close_old_connections

from livestreams.ingest import inbox_relay

logger = logging.getLogger(__name__)


def scheduler_tick() -> dict[str, int]:
    """One pass of every periodic job; safe to run in several processes at once."""
    relayed = 0
    try:
        relayed = inbox_relay()
    except (DatabaseError, redis.RedisError) as exc:
        logger.warning("scheduler: inbox relay failed: %s", exc.__class__.__name__)
    return {"relayed": relayed}


def run_scheduler(*, stop: threading.Event, interval: float = 1.0) -> None:
    while not stop.is_set():
        scheduler_tick()
        close_old_connections()
        stop.wait(interval)
