"""Run the periodic jobs (webhook inbox relay, hold expiry) and the outgoing webhooks' sender until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from hooks.sender import run_hooks_sender
from pipeline.scheduler import run_scheduler


class Command(BaseCommand):
    help = (
        "Relay webhook deliveries kept in the inbox while Redis was down, run the other periodic jobs, and send the "
        "sellers' outgoing webhooks (a thread of its own)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between passes (default 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        hooks = threading.Thread(target=self._hooks_sender, args=(stop,), name="hooks-sender", daemon=True)
        hooks.start()
        self.stdout.write("Scheduler running (and the webhooks sender); Ctrl-C to stop.")
        try:
            run_scheduler(stop=stop, interval=options["interval"])
        finally:
            stop.set()
            hooks.join(timeout=30)

    @staticmethod
    def _hooks_sender(stop: threading.Event) -> None:
        try:
            run_hooks_sender(stop=stop)
        finally:
            connections.close_all()
