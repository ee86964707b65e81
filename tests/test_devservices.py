"""Tests for scripts/devservices (`python -m scripts.devservices`), run as a subprocess like the Makefile does.

Plain functions with no Django fixtures: they pass with
``pytest -p no:django --noconftest tests/test_devservices.py`` and inside the
Django suite.  Every run uses a temporary ``DEVSERVICES_ROOT`` so the
repository's own ``.local/`` is never touched.  Set
``DEVSERVICES_SKIP_EMBEDDED=1`` to skip the (slower) embedded-server test.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CLOSED_ADDR = "127.0.0.1:1"
EXPORT_RE = re.compile(r"^export ([A-Z_]+)='([^']*)'$")


def run_script(
    *args: str, root: Path, extra_env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("DEVSERVICES_")
    }
    env.update(
        DEVSERVICES_ROOT=str(root),
        DEVSERVICES_PG_ADDR=CLOSED_ADDR,
        DEVSERVICES_REDIS_ADDR=CLOSED_ADDR,
    )
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "scripts.devservices", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def parse_exports(stdout: str) -> dict[str, str]:
    exports: dict[str, str] = {}
    for line in stdout.splitlines():
        match = EXPORT_RE.match(line)
        assert match, f"unexpected stdout line from `up`: {line!r}"
        exports[match.group(1)] = match.group(2)
    return exports


def redis_ping(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def port_refuses(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def current_database(url: str) -> str:
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.skipif(
    os.environ.get("DEVSERVICES_SKIP_EMBEDDED") == "1",
    reason="DEVSERVICES_SKIP_EMBEDDED=1",
)
def test_embedded_servers_start_reuse_and_stop(tmp_path: Path) -> None:
    db_name = "devservices_embedded_test"
    up = run_script("up", "--db-name", db_name, root=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        exports = parse_exports(up.stdout)
        database_url, redis_url = exports["DATABASE_URL"], exports["REDIS_URL"]
        assert database_url.startswith("postgresql://postgres@127.0.0.1:")
        assert database_url.endswith(f"/{db_name}")
        assert redis_url.startswith("redis://127.0.0.1:")
        assert exports["DEVSERVICES_STARTED"] == "postgres redis"
        assert current_database(database_url) == db_name
        assert redis_ping(redis_url)
        assert (tmp_path / ".local" / "devservices.json").is_file()
        assert (tmp_path / ".local" / "pg" / "PG_VERSION").is_file()

        # Idempotent: a second `up` reuses the running servers.
        again = run_script("up", "--db-name", db_name, root=tmp_path)
        assert again.returncode == 0, again.stderr
        again_exports = parse_exports(again.stdout)
        assert again_exports["DATABASE_URL"] == database_url
        assert again_exports["REDIS_URL"] == redis_url
        assert again_exports["DEVSERVICES_STARTED"] == ""

        status = run_script("status", root=tmp_path)
        assert status.returncode == 0, status.stderr
        assert "postgres: embedded" in status.stdout
        assert "redis: embedded" in status.stdout
    finally:
        down = run_script("down", root=tmp_path)
    assert down.returncode == 0, down.stderr
    assert port_refuses(database_url)
    assert port_refuses(redis_url)
    assert not (tmp_path / ".local" / "devservices.json").exists()

    # Nothing left to stop is not an error.
    assert run_script("down", root=tmp_path).returncode == 0


def test_localhost_is_used_when_reachable(tmp_path: Path) -> None:
    # The servers this machine offers, where the environment says they are (the script's own defaults otherwise).
    local_pg = os.environ.get("DEVSERVICES_PG_ADDR", "127.0.0.1:5432")
    local_redis = os.environ.get("DEVSERVICES_REDIS_ADDR", "127.0.0.1:6379")
    pg_host, _, pg_port = local_pg.rpartition(":")
    try:
        psycopg.connect(f"host={pg_host} port={pg_port} user=postgres dbname=postgres", connect_timeout=2).close()
    except psycopg.Error:
        pytest.skip(f"no PostgreSQL accepting user postgres on {local_pg}")
    if not redis_ping(f"redis://{local_redis}/0"):
        pytest.skip(f"no Redis on {local_redis}")

    db_name = "devservices_probe_test"
    up = run_script(
        "up",
        "--db-name",
        db_name,
        root=tmp_path,
        extra_env={
            "DEVSERVICES_PG_ADDR": local_pg,
            "DEVSERVICES_REDIS_ADDR": local_redis,
        },
    )
    assert up.returncode == 0, up.stderr
    exports = parse_exports(up.stdout)
    assert exports["DATABASE_URL"] == f"postgresql://postgres@{local_pg}/{db_name}"
    assert exports["REDIS_URL"] == f"redis://{local_redis}/0"
    assert exports["DEVSERVICES_STARTED"] == ""
    assert current_database(exports["DATABASE_URL"]) == db_name
    assert not (tmp_path / ".local" / "devservices.json").exists()

    # `down` never touches servers it did not start.
    down = run_script("down", root=tmp_path)
    assert down.returncode == 0, down.stderr
    assert redis_ping(f"redis://{local_redis}/0")
    assert current_database(exports["DATABASE_URL"]) == db_name


@pytest.mark.parametrize(
    ("variable", "url", "expected"),
    [
        (
            "DATABASE_URL",
            "postgresql://postgres@127.0.0.1:1/nothing",
            "DATABASE_URL is set but its PostgreSQL server is not reachable",
        ),
        (
            "REDIS_URL",
            "redis://127.0.0.1:1/0",
            "REDIS_URL is set but its Redis server does not answer PING",
        ),
    ],
)
def test_unreachable_url_from_environment_fails(tmp_path: Path, variable: str, url: str, expected: str) -> None:
    result = run_script("up", root=tmp_path, extra_env={variable: url}, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert expected in message
    # Nothing was started before failing.
    assert not (tmp_path / ".local" / "devservices.json").exists()
    assert not (tmp_path / ".local" / "pg").exists()
