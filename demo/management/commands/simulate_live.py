"""Send a scripted live through the real webhook (signed) and print what the pipeline decided."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.simulation import SimulationError, read_script, simulate_live, simulation_outcomes


class Command(BaseCommand):
    help = (
        'Play a scripted live (JSON Lines: {"at_ms", "featured"} or {"at_ms", "author", "name", "text"}) '
        "through the signed Meta webhook at URL, wait until every comment is decided, and print the outcomes "
        "read from the database. The web server and the pipeline (run_pipeline) must be running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="The seller's schema name.")
        parser.add_argument("--url", required=True, help="Base URL of the web server, e.g. http://localhost:8000.")
        parser.add_argument("--script", required=True, help="The script file (JSON Lines).")
        parser.add_argument("--json", action="store_true", help="End with one JSON line: outcomes and stock.")
        parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait for the pipeline.")
        parser.add_argument("--speed", type=float, default=1.0, help="Play the script this many times faster.")
        parser.add_argument(
            "--batch-ms",
            type=float,
            default=0.0,
            help="Send comments written within this many ms of each other in one delivery (Meta batches too).",
        )
        parser.add_argument("--title", default="", help="Schedule the live with this title before it starts.")
        parser.add_argument(
            "--end", action="store_true", help="End the live (Meta's live_stopped) once every comment is decided."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["speed"] <= 0:
            raise CommandError("--speed must be positive.")
        try:
            script = read_script(Path(options["script"]))
            simulation = simulate_live(
                schema_name=options["schema"],
                url=options["url"].rstrip("/"),
                script=script,
                timeout=options["timeout"],
                speed=options["speed"],
                batch_ms=options["batch_ms"],
                title=options["title"],
                end_when_done=options["end"],
            )
            result = simulation_outcomes(schema_name=options["schema"], simulation=simulation)
        except SimulationError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for outcome in result["outcomes"]:
            items = ", ".join(
                f"{i['qty']}× {i['code']} {i['variant'] or ''} {i['status']}".replace("  ", " ")
                for i in outcome["items"]
            )
            self.stdout.write(f"{outcome['author']:>12}  {outcome['intent']:<8}  {outcome['text'][:40]:<40}  {items}")
        self.stdout.write(
            f"{len(simulation.comment_ids)} comments sent in {simulation.sent_seconds:.2f} s; "
            f"last decision {simulation.idle_seconds:.2f} s after the last comment."
        )
