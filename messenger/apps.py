from __future__ import annotations

from typing import Any

from django.apps import AppConfig

from core.streams.events import ReplyWork
from payments.signals import buyer_reply_due


class MessengerConfig(AppConfig):
    name = "messenger"

    def ready(self) -> None:
        buyer_reply_due.connect(_queue_buyer_reply, sender=ReplyWork, dispatch_uid="messenger.buyer_reply")


def _queue_buyer_reply(sender: type[ReplyWork], *, work: ReplyWork, **kwargs: Any) -> None:
    """payments' `buyer_reply_due`: the reply's outbox row, written in the sender's transaction."""
    from messenger.services import reply_work_enqueue  # models: importable once the app registry is ready

    reply_work_enqueue(work=work)
