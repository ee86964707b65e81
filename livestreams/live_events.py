"""Real-time events for the seller's live control room, sent to the seller's Channels group.

Stages call `publish_live_event` from `transaction.on_commit`, so the dashboard only ever shows committed
facts. Delivery to browsers is best effort (a dropped socket re-reads what it missed over HTTP); a channel
layer failure never fails the stage.

Events (name → payload keys):
- comment: id, live_id, author_name, text, received_at, is_candidate
- decision: comment_id, live_id, intent, engine, confidence, needs_review, items [{code, variant_label, requested,
  reserved, waitlisted, status, reason}], latency_ms
- stock: variants [{variant_id, code, variant, stock_on_hand, reserved, available}]
- message: id, kind, recipient_id, status, last_error_code
- order: id, status, total_minor, currency
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def live_group(schema_name: str) -> str:
    """The Channels group of one seller's dashboards (the schema name keeps sellers apart)."""
    return f"live.{schema_name}"


def publish_live_event(*, schema_name: str, event: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            live_group(schema_name), {"type": "live.event", "event": event, "payload": payload}
        )
    except Exception as exc:  # the dashboard is best effort; the pipeline must go on
        logger.warning("live event %s for %s not sent: %s", event, schema_name, exc.__class__.__name__)
