"""`make demo` end to end on a short script: the links it prints and sends to buyers open on the port it
serves, and its live has a real title and is over when the script is (the dashboard keeps serving)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from demo.management.commands.demo import DEMO_LIVE_TITLE
from livestreams.models import LiveSession
from messenger.models import OutboundMessage
from tenants.models import Seller
from tests.conftest import subprocess_env
from tests.processes import ROOT, free_port

SCRIPT = [
    {"at_ms": 0, "featured": "A10"},
    {"at_ms": 10, "author": "psid-1", "name": "Ana", "text": "quiero la A10 en XG"},
    {"at_ms": 20, "author": "psid-4", "name": "Dani", "text": "quiero la A10 en M"},
    {"at_ms": 30, "author": "psid-5", "name": "Eva", "text": "quiero la A10 en G"},
    {"at_ms": 40, "author": "psid-6", "name": "Fer", "text": "quiero la A10 en CH"},
    {"at_ms": 50, "author": "psid-2", "name": "Bea", "text": "quiero la A10 en XG"},
    {"at_ms": 60, "author": "psid-3", "name": "Caro", "text": "quiero la A10 en XG"},
    {"at_ms": 70, "author": "psid-7", "name": "Gaby", "text": "qué bonita!!"},
]


@pytest.fixture
def demo_run(django_db_setup: None, django_db_blocker: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    """`manage.py demo` on a port that is not 8000, with DEMO_EXIT=1, against the test database."""
    script = tmp_path / "live.jsonl"
    script.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in SCRIPT) + "\n", encoding="utf-8")
    port = free_port()
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        try:
            run = subprocess.run(
                [sys.executable, "manage.py", "demo", "--port", str(port), "--script", str(script), "--speed", "5"],
                cwd=ROOT,
                env=subprocess_env(DEMO_EXIT="1", LOG_LEVEL="WARNING"),
                capture_output=True,
                text=True,
                timeout=240,
                check=False,
            )
            yield {"port": port, "run": run}
        finally:
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            demo = Seller.objects.filter(schema_name="demo").first()
            if demo is not None:
                demo.delete(force_drop=True)


def test_the_demo_links_open_on_its_port_and_its_live_is_titled_and_over(demo_run: dict) -> None:
    run, port = demo_run["run"], demo_run["port"]
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"

    # Every address it prints names the port it served on.
    printed = re.findall(r"https?://[^\s]+", run.stdout)
    assert f"http://demo.localhost:{port}/" in printed, run.stdout
    assert f"http://demo.localhost:{port}/admin/" in printed
    assert f"http://localhost:{port}/webhooks/meta/" in printed
    assert not [url for url in printed if ":8000" in url], run.stdout

    with schema_context("demo"):
        # Every cart link sent to a buyer too.
        bodies = json.dumps([message.body for message in OutboundMessage.objects.all()])
        links = set(re.findall(r"https?://[^\s\"\\]+/c/[A-Za-z0-9_-]+/", bodies))
        (live,) = LiveSession.objects.all()
    assert links and all(link.startswith(f"http://demo.localhost:{port}/c/") for link in links), links
    # The live has the demo's title and ended with the script.
    assert (live.title, str(live), live.status) == (DEMO_LIVE_TITLE, DEMO_LIVE_TITLE, LiveSession.Status.ENDED)
    assert live.ended_at is not None
    assert "4 buyers paid on the local test checkout." in run.stdout
