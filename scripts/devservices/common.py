"""What both services share: one-sentence errors, progress on stderr, the state file in ``.local/``, processes."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DB_NAME = "livestreamsell"
DEFAULT_PG_ADDR = "127.0.0.1:5432"
DEFAULT_REDIS_ADDR = "127.0.0.1:6379"
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
