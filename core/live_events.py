"""Real-time events for the seller's live control room, sent to the seller's Channels group.

Stages call `publish_live_event` (or `publish_live_events` for a batch: one channel-layer message, one browser
frame per event) from `transaction.on_commit`, so the dashboard only ever shows committed
facts. Delivery to browsers is best effort (a dropped socket re-reads what it missed over HTTP); a channel
layer failure never fails the stage.

Events (name → payload keys):
- comment: id, live_id, author_name, text, received_at, is_candidate, intent, engine, needs_review, review_reason
  (as stored: chatter is final, intent "other" by the "prefilter"; a candidate's decision event follows)
- decision: comment_id, live_id, intent, engine, confidence, needs_review, review_reason, items [{code,
  variant_label, requested, reserved, waitlisted, status, reason}], latency_ms
- stock: variants [{variant_id, code, variant, stock_on_hand, reserved, available}]
- message: id, kind, recipient_id, status, last_error_code
- order: id, status, total_minor, currency
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def live_group(schema_name: str) -> str:
    """The Channels group of one seller's dashboards (the schema name keeps sellers apart)."""
    return f"live.{schema_name}"


def publish_live_event(*, schema_name: str, event: str, payload: dict[str, Any]) -> None:
    """Hand the event to this process's publisher loop and return at once (never blocks a stage)."""
    message = {"type": "live.event", "event": event, "payload": payload}
    _publisher().submit(live_group(schema_name), message)


def publish_live_events(*, schema_name: str, events: list[tuple[str, dict[str, Any]]]) -> None:
    """`publish_live_event` for a stage's batch: one message to the group, the browser still gets each event
    on its own, in order (one channel-layer round per batch instead of per event)."""
    if len(events) == 1:
        publish_live_event(schema_name=schema_name, event=events[0][0], payload=events[0][1])
    elif events:
        message = {"type": "live.events", "events": [{"event": event, "payload": payload} for event, payload in events]}
        _publisher().submit(live_group(schema_name), message)


class _Publisher:
    """One event loop in a daemon thread, so the channel layer keeps its Redis connections between events
    (async_to_sync would start a loop, and a connection pool, for every event)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pending: set[Any] = set()
        self.in_flight: asyncio.Semaphore | None = None  # created on the loop; bounds the layer's connections
        threading.Thread(target=self.loop.run_forever, name="live-events", daemon=True).start()

    def submit(self, group: str, message: dict[str, Any]) -> None:
        future = asyncio.run_coroutine_threadsafe(self._send(group, message), self.loop)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)

    async def _send(self, group: str, message: dict[str, Any]) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        if self.in_flight is None:
            self.in_flight = asyncio.Semaphore(8)
        try:
            async with self.in_flight:
                await layer.group_send(group, message)
        except Exception as exc:  # the dashboard is best effort; the pipeline must go on
            logger.warning("live event %s for %s not sent: %s", message["event"], group, exc.__class__.__name__)


_lock = threading.Lock()
_instance: _Publisher | None = None


def _publisher() -> _Publisher:
    global _instance
    with _lock:
        if _instance is None:
            _instance = _Publisher()
        return _instance
