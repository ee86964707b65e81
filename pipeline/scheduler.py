"""Periodic work that is not driven by a stream: relaying the webhook inbox, ending holds, and the sweeps that
find what Redis lost (accepted comments never stored, decided comments never answered)."""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from livestreams.ingest import accepted_sweep, inbox_relay
from payments.holds import holds_rebuild, holds_tick
from pipeline.sweeps import decided_sweep

logger = logging.getLogger(__name__)

HOLDS_REBUILD_SECONDS = 60.0
SWEEP_SECONDS = 5.0


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


def sweeps_tick() -> dict[str, int]:
    """The recovery sweeps; safe to run in several processes at once."""
    report = {"requeued": 0, "handed_on": 0}
    try:
        report["requeued"] = accepted_sweep().requeued
    except (DatabaseError, redis.RedisError) as exc:
        logger.warning("scheduler: accepted-events sweep failed: %s", exc.__class__.__name__)
    try:
        report["handed_on"] = decided_sweep()
    except (DatabaseError, redis.RedisError) as exc:
        logger.warning("scheduler: decided-comments sweep failed: %s", exc.__class__.__name__)
    return report


def run_scheduler(*, stop: threading.Event, interval: float = 1.0) -> None:
    last_rebuild = last_sweep = float("-inf")
    while not stop.is_set():
        if time.monotonic() - last_sweep > min(SWEEP_SECONDS, settings.INGEST_SWEEP_GRACE):
            sweeps_tick()
            last_sweep = time.monotonic()
        if time.monotonic() - last_rebuild > HOLDS_REBUILD_SECONDS:
            try:
                holds_rebuild()
                last_rebuild = time.monotonic()
            except (DatabaseError, redis.RedisError) as exc:
                logger.warning("scheduler: rebuilding due holds failed: %s", exc.__class__.__name__)
        scheduler_tick()
        close_old_connections()
        stop.wait(interval)
