"""Benchmark: the claims stage with 1 and then 2 consumer processes, for 8 sellers at once.

Each seller gets 300 claim comments on a 50-unit variant, queued as webhook events on its shard's claims stream; then
K `run_consumer claims` processes start and the time until every comment is decided is measured. Sellers
spread over the shards, so a second consumer takes half of them (one seller's claims stay on one consumer,
in order). Prints claims/s for K = 1 and K = 2.
"""

from __future__ import annotations

import os
import time
import uuid

import psycopg

from bench.common import ROOT, manage, run_step, scratch_database
from core.processes import Child, manage_command

SELLERS = 8
CLAIMS_PER_SELLER = 300


def main() -> int:
    with scratch_database("livestreamsell_bench_scaling") as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "STREAM_KEY_PREFIX": f"lssscale-{uuid.uuid4().hex[:8]}",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        manage("migrate_platform", "-v0", env=env)
        for n in range(SELLERS):
            manage(
                "create_seller",
                f"--schema=scale{n}",
                f"--name=Scale {n}",
                f"--domain=scale-{n}.localhost",
                f"--facebook-page=70{n}",
                env=env,
            )
        rates = {}
        for consumers in (1, 2):
            run_step("scaling_setup", SELLERS, CLAIMS_PER_SELLER, env=env)
            total = SELLERS * CLAIMS_PER_SELLER
            started = time.monotonic()
            processes = [
                Child(manage_command("run_consumer", "claims", "--block-ms", "50"), env=env, quiet=True)
                for _ in range(consumers)
            ]
            try:
                while _decided(database_url) < total:
                    if time.monotonic() - started > 300:
                        raise RuntimeError("the claims consumers did not finish within 300 s")
                    time.sleep(0.2)
                elapsed = time.monotonic() - started
            finally:
                for process in processes:
                    process.stop(timeout=30)
            rates[consumers] = total / elapsed
            print(
                f"claims stage, {consumers} consumer process(es): {total} claims of {SELLERS} sellers decided in "
                f"{elapsed:.1f} s = {rates[consumers]:.0f} claims/s (process start included)"
            )
        print(f"scaling 1 -> 2 consumers: {rates[2] / rates[1]:.2f}x")
    return 0


def _decided(database_url: str) -> int:
    query = " UNION ALL ".join(
        f"SELECT count(*) FROM scale{n}.livestreams_comment WHERE decided_at IS NOT NULL"  # noqa: S608 (our ints)
        for n in range(SELLERS)
    )
    with psycopg.connect(database_url) as conn:
        return sum(row[0] for row in conn.execute(query).fetchall())


if __name__ == "__main__":
    raise SystemExit(main())
