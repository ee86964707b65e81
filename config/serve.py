"""The production web server: `python -m config.serve` (`make serve`, the Render web service).

The settings are loaded, and so checked, once here, before uvicorn starts its worker processes: a server
started without its secrets refuses with one message naming every missing variable and exits 1, instead of
each worker failing and being restarted over and over. Then this process becomes uvicorn (same PID, so the
platform's signals reach it) with `$PORT` and `$WEB_CONCURRENCY` workers.
"""

from __future__ import annotations

import os
import sys

# A request whose headers or body arrive too slowly is cut off (config/http_deadlines.py).
READ_DEADLINES = ["--http", "config.http_deadlines:DeadlineHttpToolsProtocol"]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_int

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings module, which checks the environment)
        port, workers = env_int("PORT", 8000), env_int("WEB_CONCURRENCY", 2)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(1)
    # Every interface (the platform's proxy reaches the container from outside); trust its X-Forwarded-* headers
    # and leave access logs to it.
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--host", "0.0.0.0"]  # noqa: S104
    command += ["--workers", str(workers), "--proxy-headers", "--no-access-log", *READ_DEADLINES]
    os.execv(sys.executable, command)  # noqa: S606 (our own interpreter and arguments)


if __name__ == "__main__":
    main()
