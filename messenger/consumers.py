"""Stream handlers of the messenger app. Each runs inside the event's schema and one transaction."""

from __future__ import annotations

from livestreams.streams.events import ReplyWork
from messenger.services import reply_work_enqueue


def handle_reply_work(fields: dict[str, str]) -> None:
    """Replies stage: write the buyer's message to the outbox; the sender (`messenger.sender`) delivers it.

    Idempotent: a redelivered entry finds its row by the natural key and adds nothing.
    """
    reply_work_enqueue(work=ReplyWork.from_fields(fields))
