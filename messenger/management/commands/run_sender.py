"""Deliver outbound messages to buyers (the outbox) until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from messenger.sender import run_sender


class Command(BaseCommand):
    help = (
        "Send queued buyer messages of every seller through MESSENGER_BACKEND (outbox or graph), concurrently, "
        "within each page's rate. Run more copies to scale; SIGTERM finishes the sends in flight and exits."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        run_sender(stop=stop)
