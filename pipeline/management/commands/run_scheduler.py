"""Run the periodic jobs (webhook inbox relay, hold expiry) until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pipeline.scheduler import run_scheduler


class Command(BaseCommand):
    help = "Relay webhook deliveries kept in the inbox while Redis was down, and run the other periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between passes (default 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write("Scheduler running; Ctrl-C to stop.")
        run_scheduler(stop=stop, interval=options["interval"])
