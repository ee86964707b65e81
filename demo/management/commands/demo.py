"""`make demo`: the whole product on one machine — web server, pipeline, a scripted live, a summary."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.processes import Child, ChildExited, manage_command, wait_answering, web_command
from demo.simulation import SimulationError, read_script, simulate_live
from demo.steps import demo_let_one_hold_expire, demo_pay_orders, demo_summary
from tenants.management.commands.demo_setup import DEMO_EMAIL, DEMO_PASSWORD
from tenants.models import Seller
from tenants.selectors import seller_absolute_url

ROOT = Path(settings.BASE_DIR)
DEMO_LIVE_TITLE = "Colección primavera: blusas, vestidos y accesorios"


class Command(BaseCommand):
    help = (
        "Set up the demo seller, start the web server and the pipeline, play a scripted live of 300+ comments "
        "through the signed webhook, print a summary, then keep serving the dashboard until Ctrl-C. "
        "With DEMO_EXIT=1 (or without a terminal) it stops everything after the summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--script", default=str(ROOT / "demo" / "live.jsonl"))
        parser.add_argument("--speed", type=float, default=float(os.environ.get("DEMO_SPEED", "1.5")))
        parser.add_argument("--title", default=DEMO_LIVE_TITLE, help="The title of the demo's live.")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        # Every link the demo prints or sends to a buyer must open on this server: this process and every
        # process it starts build links with this port (core.urls.absolute_url).
        settings.SELLER_URL_PORT = port
        call_command("demo_setup", reset=True, stdout=self.stdout)
        script = read_script(Path(options["script"]))
        env = {
            **os.environ,
            "SELLER_URL_PORT": str(port),
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
        processes = [
            Child(web_command(port=port), env=env),
            Child(manage_command("run_pipeline"), env=env, quiet=True),
        ]
        try:
            try:
                wait_answering(f"http://127.0.0.1:{port}/healthz", children=processes, timeout=60)
            except ChildExited:
                raise CommandError(
                    "The web server or the pipeline exited while starting; see the output above."
                ) from None
            except TimeoutError as exc:
                raise CommandError(f"The web server did not answer: {exc}.") from None
            self.stdout.write(
                f"Playing a live of {sum('text' in vars(line) for line in script)} comments "
                f"({options['speed']:g}x speed)…"
            )
            simulation = simulate_live(
                schema_name="demo",
                url=f"http://localhost:{port}",
                script=script,
                speed=options["speed"],
                timeout=300,
                progress=self._progress,
                title=options["title"],
                end_when_done=True,
            )
            if sys.stdout.isatty():
                self.stdout.write("")
            paid = demo_pay_orders(
                schema_name="demo",
                live_id=simulation.live_id,
                count=4,
                server_url=f"http://127.0.0.1:{port}",
                host="demo.localhost",
            )
            self.stdout.write(f"{paid} buyers paid on the local test checkout.")
            expiry = demo_let_one_hold_expire(schema_name="demo", live_id=simulation.live_id)
            if expiry is not None:
                self.stdout.write(
                    f"{expiry['expired_buyer']} never paid for {expiry['product']}: the hold ended and "
                    f"{expiry['promoted_buyer']}, first in line, got it."
                )
            summary = demo_summary(schema_name="demo", live_id=simulation.live_id)
            self._print_summary(summary, simulation.sent_seconds)
            dashboard = seller_absolute_url(seller=Seller.objects.get(schema_name="demo"), path="/")
            self.stdout.write(self.style.SUCCESS(f"Dashboard: {dashboard}  login {DEMO_EMAIL} / {DEMO_PASSWORD}"))
            if os.environ.get("DEMO_EXIT") == "1" or not sys.stdin.isatty():
                return
            self.stdout.write("Serving until Ctrl-C.")
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        except SimulationError as exc:
            raise CommandError(str(exc)) from None
        finally:
            for process in processes:
                process.stop()

    def _progress(self, sent: int, total: int) -> None:
        if not sys.stdout.isatty():  # a log, not a screen: a line now and then
            if sent == total or sent // 50 != (sent - 1) // 50:
                self.stdout.write(f"  {sent}/{total} comments sent")
            return
        width = 40
        done = int(width * sent / total)
        self.stdout.write(f"\r  [{'#' * done}{'.' * (width - done)}] {sent}/{total} comments", ending="")
        self.stdout.flush()

    def _print_summary(self, summary: dict[str, Any], sent_seconds: float) -> None:
        latency = summary["decision_latency_ms"]
        self.stdout.write(self.style.MIGRATE_HEADING("Summary (read from the database)"))
        rows = [
            ("comments", summary["comments"]),
            ("claims (purchase intents)", summary["claims"]),
            ("units reserved", summary["reserved"]),
            ("units waitlisted", summary["waitlisted"]),
            ("orders paid", summary["paid"]),
            ("messages to buyers", summary["messages"]),
            ("decision latency p50 / p95 / p99", f"{latency['p50']} / {latency['p95']} / {latency['p99']} ms"),
            ("live played in", f"{sent_seconds:.1f} s"),
        ]
        for label, value in rows:
            self.stdout.write(f"  {label:<34} {value}")
