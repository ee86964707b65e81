"""Run every pipeline stage and the scheduler in one process (development and the demo)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from core.streams.consumer import StreamConsumer
from hooks.sender import run_hooks_sender
from messenger.sender import run_sender
from pipeline.scheduler import run_scheduler
from pipeline.stages import STAGE_HANDLERS, get_stage


class Command(BaseCommand):
    help = (
        "Run all stages (one thread each), the scheduler, the message sender and the webhooks sender until "
        "SIGTERM/SIGINT, which drains and stops them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--block-ms", type=int, default=200, help="Longest wait for new entries (default 200).")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        consumers = [StreamConsumer(get_stage(name), block_ms=options["block_ms"]) for name in STAGE_HANDLERS]
        for consumer in consumers:
            consumer.stop_requested = stop
        threads = [threading.Thread(target=self._run, args=(c.run,), name=c.stage.name) for c in consumers]
        threads.append(threading.Thread(target=self._run, args=(lambda: run_scheduler(stop=stop),), name="scheduler"))

        threads.append(threading.Thread(target=self._run, args=(lambda: run_sender(stop=stop),), name="sender"))
        threads.append(threading.Thread(target=self._run, args=(lambda: run_hooks_sender(stop=stop),), name="hooks"))

        def request_stop(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        for thread in threads:
            thread.start()
        self.stdout.write(f"Pipeline running: {', '.join(t.name for t in threads)}; Ctrl-C to stop.")
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.5)
        self.stdout.write("Pipeline stopped.")

    @staticmethod
    def _run(target: Any) -> None:
        try:
            target()
        finally:
            connections.close_all()
