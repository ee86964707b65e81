"""Run one pipeline stage's consumer until SIGTERM/SIGINT. Start more copies to scale a stage."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.streams.consumer import StreamConsumer
from pipeline.stages import STAGE_HANDLERS, get_stage


class Command(BaseCommand):
    help = (
        "Consume one pipeline stage's streams (claims, payments). Each copy owns a fair share "
        "of the shards; SIGTERM or Ctrl-C finishes the current batch, acknowledges it and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("stage", help=f"One of: {', '.join(STAGE_HANDLERS)}.")
        parser.add_argument("--batch-size", type=int, default=100, help="Entries read per call (default 100).")
        parser.add_argument("--block-ms", type=int, default=500, help="Longest wait for new entries (default 500).")
        parser.add_argument("--name", help="Consumer name (default: host-pid-random).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            stage = get_stage(options["stage"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["batch_size"] < 1 or options["block_ms"] < 1:
            raise CommandError("--batch-size and --block-ms must be positive.")
        consumer = StreamConsumer(
            stage, consumer_name=options["name"], batch_size=options["batch_size"], block_ms=options["block_ms"]
        )
        consumer.install_signal_handlers()
        self.stdout.write(f"Consumer {consumer.name} running stage {stage.name}; Ctrl-C to stop.")
        consumer.run()
