"""Benchmark: provisioning time of `create_seller` (cloned template schema), median over 5 sellers.

Runs against its own database so benchmark sellers never mix with the demo's. Prints the wall time of
the whole command (Python and Django start included) and of the provisioning service alone.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import run_step

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "livestreamsell_bench_provisioning"


def main() -> int:
    server_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = {**os.environ, "DATABASE_URL": f"{server_url}/{BENCH_DB}", "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    _reset_database(server_url)
    try:
        subprocess.run([*manage, "migrate_platform", "-v0"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        command_times = []
        for n in range(5):
            started = time.perf_counter()
            subprocess.run(
                [
                    *manage,
                    "create_seller",
                    f"--schema=bench_cmd_{n}",
                    f"--name=Bench {n}",
                    f"--domain=bench-cmd-{n}.localhost",
                    f"--owner-email=owner@bench{n}.test",
                    "--owner-password=bench-pass-123",
                    f"--facebook-page=80{n}",
                ],
                env=env,
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            command_times.append(time.perf_counter() - started)
        service_times = run_step("provision_times", 5, env=env)
    finally:
        _reset_database(server_url, create=False)
    print("create_seller command runs:", ", ".join(f"{t:.2f}s" for t in command_times))
    print(
        f"create_seller median over 5 sellers (whole command): {statistics.median(command_times):.2f} s (target < 2 s)"
    )
    print(f"seller provisioning median over 5 sellers (service only): {statistics.median(service_times):.2f} s")
    return 0


def _reset_database(server_url: str, *, create: bool = True) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


if __name__ == "__main__":
    raise SystemExit(main())
