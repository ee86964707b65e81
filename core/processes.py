"""The platform's own processes as children of another: the ASGI server and `manage.py` commands, started, awaited
until they answer, and stopped (SIGTERM, then SIGKILL). One launcher for the demo, the benchmarks and the tests.

Imports no Django: the benchmarks use it before any settings exist.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


class ChildExited(RuntimeError):
    """A child process ended while it was expected to start or keep running."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_command(*, port: int, workers: int = 1, extra: Sequence[str] = ()) -> list[str]:
    """`uvicorn config.asgi:application` on 127.0.0.1 (what `make serve` runs, without its process manager)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        *extra,
    ]


def manage_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


class Child:
    """One child process. `quiet` sends its stdout (and `silent` its stderr too) to /dev/null."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path = ROOT,
        quiet: bool = False,
        silent: bool = False,
    ) -> None:
        self.args = list(args)
        self.process = subprocess.Popen(
            self.args,
            env=dict(env),
            cwd=cwd,
            stdout=subprocess.DEVNULL if quiet or silent else None,
            stderr=subprocess.DEVNULL if silent else None,
        )

    @property
    def name(self) -> str:
        return " ".join(Path(arg).name for arg in self.args[1:4])

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise ChildExited(f"{self.name} exited with {self.process.returncode}")

    def stop(self, *, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds. Returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def kill(self) -> int:
        self.process.kill()
        return self.process.wait(timeout=10)


def wait_answering(url: str, *, children: Sequence[Child], timeout: float = 30.0) -> None:
    """Return once `url` answers 200; raise ChildExited as soon as any of `children` ends, TimeoutError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        for child in children:
            child.check_running()
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:g} s")
        time.sleep(0.1)


@contextmanager
def running(*children: Child) -> Iterator[tuple[Child, ...]]:
    """Stop every child on the way out (all signalled first, so they shut down together)."""
    try:
        yield children
    finally:
        for child in children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in children:
            child.stop()
