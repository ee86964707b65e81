"""PostgreSQL: the DATABASE_URL server, else one on localhost, else an embedded one from ``pgserver``."""

from __future__ import annotations

import importlib
import os
import shlex
import signal
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from scripts.devservices.common import (
    CONNECT_TIMEOUT,
    DEFAULT_PG_ADDR,
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

PG_SYSTEM_USER = "pgserver"  # the account pgserver itself uses when run as root


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
    # would inherit it and keep `$(python -m scripts.devservices up)` waiting forever.
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
