"""Helpers shared by the benchmarks: a scratch database, servers as subprocesses, wrk, an open-loop load."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from core.processes import Child, running, wait_answering

ROOT = Path(__file__).resolve().parent.parent
# The bench inputs and the peer: beside the repository, or where $LSS_SHARED says (a git worktree elsewhere).
SHARED = Path(os.environ.get("LSS_SHARED") or ROOT.parent / "shared")


def server_url() -> str:
    """DATABASE_URL without the database name."""
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0]


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh database for one benchmark, dropped afterwards. Yields its DATABASE_URL."""
    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url()}/{name}"
    finally:
        with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )


def run_step(name: str, *args: int, env: dict[str, str], timeout: float = 600) -> list[float]:
    """One of bench.steps in a child process with `env`; its printed numbers."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.steps", name, *(str(arg) for arg in args)],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return [float(value) for value in result.stdout.split()]


@contextmanager
def server(args: list[str], *, env: dict[str, str], cwd: Path, health_url: str) -> Iterator[Child]:
    """A server child, once `health_url` answers; stopped on the way out."""
    with running(Child(args, env=env, cwd=cwd, silent=True)) as (child,):
        wait_answering(health_url, children=[child])
        yield child


def wrk(url: str, *, script: Path, env: dict[str, str], seconds: int = 10, connections: int = 32) -> dict[str, float]:
    """Closed-loop load with wrk: requests/s and latency percentiles (ms)."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    percentiles = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99")}  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": percentiles["50"],
        "p99": percentiles["99"],
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def open_loop(url: str, requests: list[tuple[str, bytes]], *, rate: float, seconds: float) -> dict[str, float]:
    """Send signed deliveries at a fixed rate (open loop: latency counts from the scheduled send time). Request
    i is scheduled at `started_at + i / rate` (wall clock)."""
    return asyncio.run(_open_loop(url, requests, rate=rate, seconds=seconds))


async def _open_loop(
    url: str, requests: list[tuple[str, bytes]], *, rate: float, seconds: float, connections: int = 64
) -> dict[str, float]:
    """A small HTTP/1.1 keep-alive client on raw sockets: `connections` workers take requests in the order they
    are due; a request waiting for a free connection counts that wait in its latency."""
    parsed = urlsplit(url)
    host, port, path = parsed.hostname or "127.0.0.1", parsed.port or 80, parsed.path or "/"
    total = int(rate * seconds)
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        while (job := await due.get()) is not None:
            index, scheduled = job
            signature, body = requests[index % len(requests)]
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            # A keep-alive connection the server closed while idle fails at once: resent once on a new one, as
            # HTTP clients do (deliveries are idempotent). A second failure counts.
            for attempt in (1, 2):
                try:
                    writer.write(head.encode() + body)
                    status = int((await reader.readline()).split()[1])
                    length = 0
                    while (line := await reader.readline()) not in (b"\r\n", b""):
                        name, _, value = line.decode("latin-1").partition(":")
                        if name.strip().lower() == "content-length":
                            length = int(value)
                    await reader.readexactly(length)
                    failures += status != 200
                    break
                except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                    failures += attempt == 2
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
            latencies.append((time.perf_counter() - scheduled) * 1000)
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter() + 0.2
    started_at = time.time() + (start - time.perf_counter())  # the first request's scheduled moment, wall clock
    for index in range(total):
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        due.put_nowait((index, scheduled))
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    latencies.sort()
    return {
        "started_at": started_at,
        "sent": float(total),
        "failures": float(failures),
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def read_deliveries(path: Path) -> list[tuple[str, bytes]]:
    pairs = []
    for line in path.read_bytes().splitlines():
        signature, body = line.split(b"\t", 1)
        pairs.append((signature.decode(), body))
    return pairs


def cpu_seconds_by_process() -> dict[str, float]:
    """CPU seconds (user + system) used so far by every process on the machine, summed under a short label
    (a pipeline stage, `web`, `postgres`, `redis`, `bench` for this process); for per-comment CPU budgets."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        label = _label(int(entry.name), [a.decode(errors="replace") for a in argv if a])
        totals[label] = totals.get(label, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def _label(pid: int, argv: list[str]) -> str:
    if pid == os.getpid():
        return "bench"
    joined = " ".join(argv)
    if "manage.py" in joined:
        after = argv[next(i for i, a in enumerate(argv) if a.endswith("manage.py")) + 1 :]
        return " ".join(after[:2]) if after else "manage.py"
    if "uvicorn" in joined:
        return "web"
    if argv and "postgres" in argv[0]:
        return "postgres"
    if argv and "redis-server" in argv[0]:
        return "redis"
    return "other"
