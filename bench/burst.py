"""Benchmark: a sold-out burst on one hot variant, through the whole ingest → claims pipeline.

2,000 claims for a 50-unit variant arrive within 2 s over the signed HTTP webhook. It checks that nothing is
oversold and that exactly the first 50 claims won, and prints the time from the last comment to the last
decision and the rate claims were decided at on that one variant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from bench.common import ROOT, manage, run_step, scratch_database, server
from core.processes import Child, free_port, manage_command, web_command

CLAIMS = int(os.environ.get("BURST_CLAIMS", "2000"))
UNITS = 50
WINDOW_MS = 2000
PAGE_ID = "560000000000001"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, scratch_database("livestreamsell_bench_burst") as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "STREAM_KEY_PREFIX": f"lssburst-{uuid.uuid4().hex[:8]}",
            "LOG_LEVEL": "WARNING",
            "META_APP_SECRET": "burst-secret",
        }
        manage("migrate_platform", "-v0", env=env)
        manage(
            "create_seller",
            "--schema=burst",
            "--name=Burst",
            "--domain=burst.localhost",
            f"--facebook-page={PAGE_ID}",
            env=env,
        )
        catalog = Path(tmp) / "catalog.csv"
        catalog.write_text(f"code,name,price,currency,variant,sku,stock\nH1,Hot item,100,MXN,,H1,{UNITS}\n")
        manage("import_catalog", "--schema=burst", str(catalog), env=env)
        script = Path(tmp) / "burst.jsonl"
        lines = [{"at_ms": 0, "featured": "H1"}] + [
            {"at_ms": 1 + n * WINDOW_MS // CLAIMS, "author": f"psid-{n}", "name": f"Viewer {n}", "text": "mío"}
            for n in range(CLAIMS)
        ]
        script.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
        port = free_port()
        web = web_command(port=port)
        consumers = [Child(manage_command("run_consumer", "claims", "--block-ms", "50"), env=env, quiet=True)]
        try:
            with server(web, env=env, cwd=ROOT, health_url=f"http://127.0.0.1:{port}/healthz"):
                result = subprocess.run(
                    [
                        sys.executable,
                        "manage.py",
                        "simulate_live",
                        "--schema=burst",
                        f"--url=http://127.0.0.1:{port}",
                        f"--script={script}",
                        "--json",
                        "--batch-ms=20",
                        "--timeout=300",
                    ],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                timing = run_step("burst_timing", env=env)
                stage_only = run_step("burst_stage_only", CLAIMS, UNITS, env=env)
        finally:
            for consumer in consumers:
                consumer.stop(timeout=30)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    statuses = [o["items"][0]["status"] if o["items"] else "none" for o in outcome["outcomes"]]
    winners = [n for n, status in enumerate(statuses) if status == "reserved"]
    [stock] = outcome["stock"]
    oversold = max(0, stock["reserved"] - stock["initial"])
    idle_seconds, decisions_per_second, sent_seconds = (float(x) for x in timing)
    print(f"burst: {CLAIMS} claims for a {UNITS}-unit variant sent in {sent_seconds:.2f} s over the signed webhook")
    print(
        f"  oversold: {oversold}; reserved: {len(winners)}; first {UNITS} claims won: {winners == list(range(UNITS))};"
        f" every claim decided: {statuses.count('none') == 0}"
    )
    print(f"  last comment -> last decision: {idle_seconds:.2f} s (target <= 5 s)")
    print(f"  claims decided on the hot variant while they arrived: {decisions_per_second:.0f}/s")
    stage_rate, stage_reserved = float(stage_only[0]), int(stage_only[1])
    print(
        f"  claims stage alone, {CLAIMS} claims queued at once on a second {UNITS}-unit variant: "
        f"{stage_rate:.0f} claims/s decided, {stage_reserved} reserved (target >= 1,000/s)"
    )
    return 0 if oversold == 0 and winners == list(range(UNITS)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
