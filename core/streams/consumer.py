"""The consumer runtime every pipeline stage runs on (one class, many stages).

Guarantees, per stage:
- each shard (an ordered stream of many sellers' events) is owned by one consumer at a time (a lease in
  Redis, renewed by a keeper thread while a batch runs), so one seller's events are handled in arrival order;
- the lease is fenced: a new owner takes a fencing token from the stage's Fence (PostgreSQL), which waits for the
  old owner's transactions; a batch commits only while its consumer's token is current, and a new owner first
  takes over every entry still pending on the shard (the old owner's included) before reading new ones, so a
  consumer that paused or ran slow past its lease can neither commit late nor let later entries go first;
- a handler runs inside `schema_context(event schema)` and one transaction; the entry is XACKed only after
  that transaction committed (and its on_commit hand-offs ran), so a crash means redelivery, never loss;
  handlers are idempotent (UNIQUE keys), so redelivery is harmless;
- entries left unacknowledged past STREAM_VISIBILITY_TIMEOUT (a killed consumer, a failed handler) are
  claimed again with XAUTOCLAIM; after STREAM_MAX_DELIVERIES they go to the shard's dead-letter stream;
- SIGTERM/SIGINT finish the current batch, acknowledge it and exit.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django_tenants.utils import schema_context

from core.crash_points import crash_point
from core.logs import log_context
from core.streams import keys
from core.streams.connection import RedisClient, get_redis
from core.streams.events import IngestEvent

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, str]], None]
CONNECTION_CHECK_SECONDS = 5.0
BatchHandler = Callable[[list[dict[str, str]]], None]

RENEW_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


# Take a shard only if nobody holds it, with our name until the fencing token is known.
ACQUIRE = """
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
"""
# Put the token into the lease value, if the lease is still ours.
SET_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return false
"""


class Fence(Protocol):
    """Fencing tokens of shard leases, where the handlers' transactions commit (tenants.fencing)."""

    def advance(self, *, stage: str, shard: int) -> int:
        """A new current token; waits until transactions that checked the old one have ended."""
        ...

    def holds(self, *, stage: str, shard: int, token: int) -> bool:
        """Inside a handler's transaction: whether `token` is current (and keep it so until the commit)."""
        ...


class LeaseLost(Exception):
    """Another consumer owns the shard now: this one must not commit for it."""


@dataclass(frozen=True)
class Stage:
    name: str
    handler: Handler  # called with the entry's fields inside schema_context + transaction.atomic
    # Whether entries naming this schema may run (an active seller's): the others are acknowledged unhandled.
    may_run: Callable[[str], bool]
    # Optional: consecutive entries of one seller handled in one transaction (a sold-out rush decides hundreds
    # of claims a second this way). If a batch fails, its entries are handled one by one with `handler`.
    batch_handler: BatchHandler | None = None
    # Optional: fencing of shard leases (without one, a consumer that lost its lease mid-batch may still commit).
    fence: Fence | None = None


class StreamConsumer:
    def __init__(
        self,
        stage: Stage,
        *,
        consumer_name: str | None = None,
        batch_size: int = 100,
        block_ms: int = 500,
        client: RedisClient | None = None,
    ) -> None:
        self.stage = stage
        self.name = consumer_name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.redis = client or get_redis()
        self.owned: set[int] = set()
        self.tokens: dict[int, int] = {}  # shard -> our fencing token
        self._lease_values: dict[int, str] = {}  # shard -> the owner key's value while it is ours
        self._inherit: set[int] = set()  # shards just taken: their pending entries are handled before new ones
        self._lost: set[int] = set()  # shards the lease keeper found taken by someone else
        self._lease_lock = threading.Lock()
        self.stop_requested = threading.Event()
        self._groups_ready: set[int] = set()
        self._last_trim = 0.0
        self._last_recovery = float("-inf")
        self._last_heartbeat = float("-inf")
        self._last_connection_check = float("-inf")
        self._handler_failed = False

    # -- lifecycle -----------------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        def request_stop(signum: int, frame: object) -> None:
            logger.info("%s: signal %s, finishing the batch", self.stage.name, signum)
            self.stop_requested.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    def run(self) -> None:
        with log_context(stage=self.stage.name, consumer=self.name):  # every line of this thread says which
            self._run()

    def _run(self) -> None:
        logger.info("consumer %s started for stage %s", self.name, self.stage.name)
        keeper = threading.Thread(target=self._keep_leases, name=f"{self.name}-leases", daemon=True)
        keeper.start()
        try:
            while not self.stop_requested.is_set():
                try:
                    self.run_once()
                except redis.RedisError as exc:
                    logger.warning("%s: redis unavailable (%s), retrying", self.stage.name, exc.__class__.__name__)
                    self._forget_all_shards()
                    self.stop_requested.wait(1.0)
        finally:
            self.release_shards()
            logger.info("consumer %s stopped", self.name)

    def run_once(self) -> int:
        """One round: renew/claim shard leases, retry or dead-letter stale entries, read new ones."""
        try:
            return self._round()
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # Redis lost our consumer groups (FLUSHALL, a restart without persistence) while ingest's XADD made
            # the streams again: recreate the groups of our shards from the start of each stream, at once.
            logger.warning("%s: consumer group missing (%s); recreating it", self.stage.name, exc)
            self._groups_ready.clear()
            for shard in sorted(self.owned):
                self._ensure_group(shard)
            return 0

    def _round(self) -> int:
        self._heartbeat_and_balance()
        handled = 0
        # Stale entries can only appear after a visibility timeout: looking for them every loop would cost a
        # round trip per shard before every read.
        if time.monotonic() - self._last_recovery >= min(1.0, settings.STREAM_VISIBILITY_TIMEOUT / 2):
            self._last_recovery = time.monotonic()
            for shard in sorted(self.owned):
                handled += self._recover_stale(shard)
        handled += self._read_new()
        self._trim_acknowledged()
        self._check_connection()
        return handled

    def _check_connection(self) -> None:
        """Drop a broken or too old database connection: after a failed handler, else every few seconds (each
        check costs the next transaction a round trip to PostgreSQL)."""
        if connection.in_atomic_block:  # never close a connection an embedding caller holds a transaction on
            return
        if self._handler_failed or time.monotonic() - self._last_connection_check >= CONNECTION_CHECK_SECONDS:
            close_old_connections()
            self._last_connection_check = time.monotonic()
            self._handler_failed = False

    # -- shard ownership -----------------------------------------------------------------------------

    def _heartbeat_and_balance(self) -> None:
        """Renew our leases and take or give back shards; at most three times per lease period."""
        if time.monotonic() - self._last_heartbeat < settings.STREAM_SHARD_LEASE / 3:
            return
        self._last_heartbeat = time.monotonic()
        now_ms = int(time.time() * 1000)
        lease_ms = int(settings.STREAM_SHARD_LEASE * 1000)
        members = keys.consumers_key(self.stage.name)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(members, {self.name: now_ms})
        pipe.zremrangebyscore(members, "-inf", now_ms - lease_ms)
        pipe.zcard(members)
        live_consumers = max(1, int(pipe.execute()[-1]))
        fair_share = math.ceil(settings.STREAM_SHARDS / live_consumers)

        self._drop_lost()
        for shard in self._renew_leases():
            self._forget_shard(shard)  # our lease lapsed and someone else took it
        while len(self.owned) > fair_share:  # give shards back to newcomers
            shard = max(self.owned)
            self.redis.eval(RELEASE_IF_MINE, 1, keys.shard_owner_key(self.stage.name, shard), self._lease_value(shard))
            self._forget_shard(shard)
        for shard in range(settings.STREAM_SHARDS):
            if len(self.owned) >= fair_share:
                break
            if shard not in self.owned:
                self._acquire(shard, lease_ms=lease_ms)

    def _acquire(self, shard: int, *, lease_ms: int) -> None:
        """Take a free shard: the lease, then (with a fence) a fencing token, which waits for the old owner's
        transactions; its pending entries are taken over before any new one is read."""
        owner_key = keys.shard_owner_key(self.stage.name, shard)
        if not self.redis.eval(ACQUIRE, 1, owner_key, self.name, lease_ms):
            return
        value = self.name
        if self.stage.fence is not None:
            token = self.stage.fence.advance(stage=self.stage.name, shard=shard)
            value = f"{self.name}|{token}"
            if not self.redis.eval(SET_IF_MINE, 1, owner_key, self.name, value, lease_ms):
                return  # the advance waited longer than the lease and someone else took it
            self.tokens[shard] = token
        self._ensure_group(shard)
        with self._lease_lock:
            self._lease_values[shard] = value
        self.owned.add(shard)
        self._inherit.add(shard)

    def _lease_value(self, shard: int) -> str:
        with self._lease_lock:
            return self._lease_values.get(shard, self.name)

    def _renew_leases(self) -> list[int]:
        """Renew every lease we hold; returns the shards whose lease is someone else's now."""
        with self._lease_lock:
            held = sorted(self._lease_values.items())
        if not held:
            return []
        lease_ms = int(settings.STREAM_SHARD_LEASE * 1000)
        renew = self.redis.pipeline(transaction=False)
        for shard, value in held:
            renew.eval(RENEW_IF_MINE, 1, keys.shard_owner_key(self.stage.name, shard), value, lease_ms)
        return [shard for (shard, _), renewed in zip(held, renew.execute(), strict=True) if not renewed]

    def _keep_leases(self) -> None:
        """Renew the leases (and say we are alive) while the main thread is busy in a long batch (a slow OpenAI, a
        slow database): only a consumer that is really stopped loses its shards."""
        while not self.stop_requested.wait(settings.STREAM_SHARD_LEASE / 3):
            try:
                self.redis.zadd(keys.consumers_key(self.stage.name), {self.name: int(time.time() * 1000)})
                lost = self._renew_leases()
            except redis.RedisError:
                continue
            if lost:
                with self._lease_lock:
                    self._lost.update(lost)

    def _drop_lost(self) -> None:
        with self._lease_lock:
            lost, self._lost = self._lost, set()
        for shard in lost:
            self._forget_shard(shard)

    def _forget_shard(self, shard: int) -> None:
        self.owned.discard(shard)
        self.tokens.pop(shard, None)
        self._inherit.discard(shard)
        with self._lease_lock:
            self._lease_values.pop(shard, None)

    def _forget_all_shards(self) -> None:
        for shard in list(self.owned):
            self._forget_shard(shard)

    def _ensure_group(self, shard: int) -> None:
        if shard in self._groups_ready:
            return
        try:
            self.redis.xgroup_create(keys.stage_stream(self.stage.name, shard), self.stage.name, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups_ready.add(shard)

    def release_shards(self) -> None:
        try:
            for shard in self.owned:
                self.redis.eval(
                    RELEASE_IF_MINE, 1, keys.shard_owner_key(self.stage.name, shard), self._lease_value(shard)
                )
            self.redis.zrem(keys.consumers_key(self.stage.name), self.name)
        except redis.RedisError:
            pass  # the leases expire by themselves
        self._forget_all_shards()

    # -- processing ----------------------------------------------------------------------------------

    def _read_new(self) -> int:
        if not self.owned:
            self.stop_requested.wait(self.block_ms / 1000)
            return 0
        handled = 0
        for shard in sorted(self._inherit & self.owned):
            handled += self._take_over_pending(shard)
        streams = {keys.stage_stream(self.stage.name, shard): ">" for shard in sorted(self.owned)}
        response = self.redis.xreadgroup(
            self.stage.name, self.name, streams, count=self.batch_size, block=self.block_ms
        )
        if not response:
            return handled
        others = self._pending_of_others([stream for stream, _ in response])
        for stream, entries in response:
            shard = self._shard_of(stream)
            if stream in others:  # older entries another consumer read and never committed go first
                handled += self._take_over_pending(shard)
            else:
                handled += self._handle_entries(stream, entries)
        return handled

    def _pending_of_others(self, streams: list[str]) -> set[str]:
        """The streams on which another consumer of the group has entries pending (read, never acknowledged)."""
        pipe = self.redis.pipeline(transaction=False)
        for stream in streams:
            pipe.xpending(stream, self.stage.name)
        return {
            stream
            for stream, summary in zip(streams, pipe.execute(), strict=True)
            if any(c["name"] != self.name and int(c["pending"]) for c in summary.get("consumers") or [])
        }

    def _take_over_pending(self, shard: int) -> int:
        """Claim every entry pending on the shard (whoever read it) and handle them in stream order: a shard's new
        owner finishes what the old one left before anything newer."""
        self._inherit.discard(shard)
        stream = keys.stage_stream(self.stage.name, shard)
        handled, start = 0, "0-0"
        while shard in self.owned:
            start, claimed, *_deleted = self.redis.xautoclaim(
                stream, self.stage.name, self.name, 0, start_id=start, count=self.batch_size
            )
            if claimed:
                handled += self._handle_entries(stream, claimed)
            if start == "0-0" or not claimed:
                break
        return handled

    def _shard_of(self, stream: str) -> int:
        return int(stream.rsplit("{s", 1)[1].split("}", 1)[0])

    def _recover_stale(self, shard: int) -> int:
        """Dead-letter entries delivered too often; claim the other stale ones and handle them again."""
        stream = keys.stage_stream(self.stage.name, shard)
        idle_ms = int(settings.STREAM_VISIBILITY_TIMEOUT * 1000)
        stale = self.redis.xpending_range(stream, self.stage.name, "-", "+", self.batch_size, idle=idle_ms)
        exhausted = [p["message_id"] for p in stale if p["times_delivered"] >= settings.STREAM_MAX_DELIVERIES]
        for entry_id in exhausted:
            self._dead_letter(shard, stream, entry_id, deliveries=settings.STREAM_MAX_DELIVERIES)
        if len(stale) == len(exhausted):
            return 0
        _cursor, claimed, *_deleted = self.redis.xautoclaim(
            stream, self.stage.name, self.name, idle_ms, start_id="0-0", count=self.batch_size
        )
        return self._handle_entries(stream, claimed)

    def _handle_entries(self, stream: str, entries: list[tuple[str, dict[str, str]]]) -> int:
        done: list[str] = []
        try:
            for run in _runs_of_one_seller(entries):
                if self.stop_requested.is_set():
                    break
                if len(run) > 1 and self.stage.batch_handler is not None and self._handle_batch(stream, run):
                    done += [entry_id for entry_id, _ in run]
                    continue
                for entry_id, fields in run:
                    if fields is None or self._handle_one(stream, entry_id, fields):  # None: trimmed while pending
                        done.append(entry_id)
                    if self.stop_requested.is_set():
                        break
        except LeaseLost:  # the rest stays pending: the new owner takes it over, in order
            shard = self._shard_of(stream)
            logger.warning(
                "%s: lost shard %s to another consumer; leaving %s entries to it",
                self.stage.name,
                shard,
                len(entries) - len(done),
            )
            self._forget_shard(shard)
        if done:
            crash_point(f"{self.stage.name}.before_ack", items=len(done))  # committed, not yet acknowledged
            self.redis.xack(stream, self.stage.name, *done)
        return len(done)

    def _handle_batch(self, stream: str, run: list[tuple[str, dict[str, str]]]) -> bool:
        assert self.stage.batch_handler is not None
        schema = run[0][1].get("schema", "")
        if not self.stage.may_run(schema):
            return False
        with log_context(seller=schema, entries=len(run), first_entry_id=run[0][0]):
            try:
                with schema_context(schema), transaction.atomic():
                    self._check_fence(stream)
                    crash_point(f"{self.stage.name}.batch_fenced", items=len(run))
                    self.stage.batch_handler([fields for _, fields in run])
            except LeaseLost:
                raise
            except Exception:  # retried entry by entry, so one bad entry cannot hold the others back
                self._handler_failed = True
                logger.warning(
                    "%s: batch of %s failed on %s; handling entries one by one",
                    self.stage.name,
                    len(run),
                    stream,
                    exc_info=True,
                )
                return False
        return True

    def _handle_one(self, stream: str, entry_id: str, fields: dict[str, str]) -> bool:
        schema = fields.get("schema", "")
        with log_context(seller=schema or None, entry_id=entry_id, **entry_log_ids(fields)):
            try:
                if not self.stage.may_run(schema):
                    raise ValueError(
                        f"entry names schema {schema!r}, not an active seller's; refusing to run it "
                        "(never public, the template or a suspended seller)"
                    )
                with schema_context(schema), transaction.atomic():
                    self._check_fence(stream)
                    self.stage.handler(fields)
            except LeaseLost:
                raise
            except Exception:  # a failing handler must not stop the shard: the entry is retried, then dead-lettered
                self._handler_failed = True
                logger.exception("%s: handler failed for %s %s (schema=%s)", self.stage.name, stream, entry_id, schema)
                return False
        return True

    def _check_fence(self, stream: str) -> None:
        """Inside the handler's transaction: refuse to go on if another consumer took the shard since."""
        fence = self.stage.fence
        if fence is None:
            return
        shard = self._shard_of(stream)
        token = self.tokens.get(shard)
        if token is None or not fence.holds(stage=self.stage.name, shard=shard, token=token):
            raise LeaseLost(f"shard {shard} of {self.stage.name} has another owner")

    def _dead_letter(self, shard: int, stream: str, entry_id: str, *, deliveries: int) -> None:
        entries = self.redis.xrange(stream, min=entry_id, max=entry_id)
        fields = entries[0][1] if entries else {}
        self.redis.xadd(
            keys.dead_letter_stream(shard),
            {**fields, "dead.stage": self.stage.name, "dead.entry_id": entry_id, "dead.deliveries": str(deliveries)},
            maxlen=settings.STREAM_MAXLEN,
            approximate=True,
        )
        self.redis.xack(stream, self.stage.name, entry_id)
        with log_context(seller=fields.get("schema") or None, entry_id=entry_id, **entry_log_ids(fields)):
            logger.error(
                "%s: %s moved to the dead-letter stream after %s deliveries", self.stage.name, entry_id, deliveries
            )

    def _trim_acknowledged(self) -> None:
        """Drop entries every consumer is done with (below the oldest pending and the last delivered)."""
        if time.monotonic() - self._last_trim < 10:
            return
        self._last_trim = time.monotonic()
        for shard in self.owned:
            stream = keys.stage_stream(self.stage.name, shard)
            groups = self.redis.xinfo_groups(stream)
            floor = min((g["last-delivered-id"] for g in groups), key=_entry_key, default=None)
            pending = self.redis.xpending(stream, self.stage.name)
            if pending["pending"]:
                floor = min(floor or pending["min"], pending["min"], key=_entry_key)
            if floor and floor != "0-0":
                self.redis.xtrim(stream, minid=floor, approximate=True)


def entry_log_ids(fields: dict[str, str]) -> dict[str, str | int]:
    """The ids an entry names, for its log lines: the Meta comment or video, our comment and order rows (row ids
    as numbers, as every other line logs them)."""
    ids: dict[str, str | int] = {}
    if fields.get("type") == IngestEvent.TYPE and fields.get("external_id"):
        key = "video_external_id" if fields.get("kind") == "live_video" else "comment_external_id"
        ids[key] = fields["external_id"]
    for key in ("comment_id", "order_id"):
        if fields.get(key, "").isdigit():
            ids[key] = int(fields[key])
    return ids


def _runs_of_one_seller(
    entries: list[tuple[str, dict[str, str]]],
) -> list[list[tuple[str, dict[str, str]]]]:
    """Consecutive entries of the same seller, in stream order (entries with no fields stand alone)."""
    runs: list[list[tuple[str, dict[str, str]]]] = []
    for entry in entries:
        fields = entry[1]
        if (
            runs
            and fields is not None
            and runs[-1][0][1] is not None
            and runs[-1][0][1].get("schema") == fields.get("schema")
        ):
            runs[-1].append(entry)
        else:
            runs.append([entry])
    return runs


def _entry_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
