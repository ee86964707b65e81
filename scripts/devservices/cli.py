"""The commands: up, down, status, run (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from psycopg.conninfo import make_conninfo

from scripts.devservices.common import (
    DEFAULT_DB_NAME,
    DEFAULT_PG_ADDR,
    DEFAULT_REDIS_ADDR,
    SERVICES,
    DevServicesError,
    State,
    display,
    export_line,
    first_line,
    load_state,
    mask_url,
    parse_addr,
    save_state,
    say,
    state_lock,
)
from scripts.devservices.postgres import pg_probe, pg_record_running, pg_stop, pg_up, pg_url
from scripts.devservices.redis_server import redis_check_env_url, redis_ping, redis_record_running, redis_stop, redis_up


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
        prog="python -m scripts.devservices",
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
