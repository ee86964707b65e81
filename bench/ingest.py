"""Benchmark: our Meta webhook against the peer (../shared/peers/fastapi_ingest.py) on this machine.

Both servers run under uvicorn with the same number of workers, on the same Redis, fed the same signed
deliveries (../shared/bench/make_webhooks.py) by wrk; then both get a fixed offered load of 500 requests/s
(open loop) for p99. Every run starts with fresh dedupe keys, so every delivery is new work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import redis

from bench.common import ROOT, SHARED, manage, open_loop, read_deliveries, scratch_database, server, wrk
from core.processes import free_port

WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PAGE_ID = "550000000000001"
SECRET = "bench-app-secret"


def main() -> int:
    make_webhooks = SHARED / "bench" / "make_webhooks.py"
    wrk_script = SHARED / "bench" / "wrk_webhooks.lua"
    peer_dir = SHARED / "peers"
    if not make_webhooks.exists() or not (peer_dir / "fastapi_ingest.py").exists():
        print(f"ingest benchmark skipped: {SHARED} (bench inputs and the peer) is not beside the repository")
        return 0
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(redis_url)
    with tempfile.TemporaryDirectory() as tmp, scratch_database("livestreamsell_bench_ingest") as database_url:
        hooks = Path(tmp) / "hooks.tsv"
        subprocess.run(
            [
                sys.executable,
                str(make_webhooks),
                "--secret",
                SECRET,
                "--page",
                PAGE_ID,
                "-n",
                "40000",
                "--out",
                str(hooks),
            ],
            check=True,
        )
        deliveries = read_deliveries(hooks)
        prefix = f"lssbench-{uuid.uuid4().hex[:8]}"
        ours_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "bench",
            "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTE=",
            "META_APP_SECRET": SECRET,
            "META_VERIFY_TOKEN": "bench",
            "PUBLIC_HOSTS": "127.0.0.1,localhost",
            "SELLER_HOST_SUFFIXES": ".localhost",
            "STREAM_KEY_PREFIX": prefix,
            "LOG_LEVEL": "WARNING",
        }
        manage("migrate_platform", "-v0", env=ours_env)
        manage(
            "create_seller",
            "--schema=bench",
            "--name=Bench",
            "--domain=bench.localhost",
            f"--facebook-page={PAGE_ID}",
            env=ours_env,
        )
        peer_env = {**os.environ, "APP_SECRET": SECRET, "PAGES": f"{PAGE_ID}:bench", "REDIS_URL": redis_url}
        ours_port, peer_port = free_port(), free_port()
        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        results: dict[str, dict[str, float]] = {}
        try:
            with server(
                [*uvicorn, "config.asgi:application", "--port", str(ours_port)],
                env=ours_env,
                cwd=ROOT,
                health_url=f"http://127.0.0.1:{ours_port}/healthz",
            ):
                url = f"http://127.0.0.1:{ours_port}/webhooks/meta/"
                results["ours"] = wrk(url, script=wrk_script, env={"WEBHOOKS_FILE": str(hooks)}, seconds=SECONDS)
                _forget(client, f"{prefix}:*")
                results["ours_500"] = open_loop(url, deliveries, rate=500, seconds=SECONDS)
            with server(
                [*uvicorn, "fastapi_ingest:app", "--app-dir", str(peer_dir), "--port", str(peer_port)],
                env=peer_env,
                cwd=peer_dir,
                health_url=f"http://127.0.0.1:{peer_port}/docs",
            ):
                url = f"http://127.0.0.1:{peer_port}/webhooks/meta/"
                _forget(client, "peer:*")
                results["peer"] = wrk(url, script=wrk_script, env={"WEBHOOKS_FILE": str(hooks)}, seconds=SECONDS)
                _forget(client, "peer:*")
                results["peer_500"] = open_loop(url, deliveries, rate=500, seconds=SECONDS)
        finally:
            _forget(client, f"{prefix}:*")
            _forget(client, "peer:*")
    ours, peer = results["ours"], results["peer"]
    print(f"ingest ({WORKERS} worker(s), wrk -c32 {SECONDS}s, {len(deliveries)} signed deliveries):")
    print(
        f"  ours: {ours['rps']:.0f} req/s, p50 {ours['p50']:.1f} ms, p99 {ours['p99']:.1f} ms, "
        f"non-2xx {ours['non_2xx']:.0f}"
    )
    print(
        f"  peer: {peer['rps']:.0f} req/s, p50 {peer['p50']:.1f} ms, p99 {peer['p99']:.1f} ms, "
        f"non-2xx {peer['non_2xx']:.0f}"
    )
    print(
        f"  throughput ratio ours/peer: {ours['rps'] / peer['rps']:.2f}x (target >= 1.0); "
        f"p99 ratio: {ours['p99'] / peer['p99']:.2f}x (target <= 1.0)"
    )
    for name in ("ours_500", "peer_500"):
        run = results[name]
        print(
            f"  {name.split('_')[0]} at a fixed 500 req/s: p50 {run['p50']:.1f} ms, p99 {run['p99']:.1f} ms, "
            f"failures {run['failures']:.0f}/{run['sent']:.0f} (target p99 <= 15 ms)"
        )
    return 0


def _forget(client: redis.Redis, pattern: str) -> None:
    """Delete the keys this benchmark created (the Redis may be shared)."""
    batch = []
    for key in client.scan_iter(match=pattern, count=2000):
        batch.append(key)
        if len(batch) >= 1000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)


if __name__ == "__main__":
    raise SystemExit(main())
