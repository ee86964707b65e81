"""The one place the environment is read.

Every setting that comes from the environment goes through these helpers, so a bad value fails loudly at
start-up with the variable's name instead of surfacing later as a confusing error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


@dataclass(frozen=True)
class DatabaseUrl:
    name: str
    user: str
    password: str
    host: str
    port: str


def parse_database_url(url: str) -> DatabaseUrl:
    """Parse `postgresql://user:pass@host:port/name` (a socket directory may be given as `?host=/dir`)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgresql:// URL, got scheme {parsed.scheme!r}.")
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must name a database (postgresql://user@host:5432/NAME).")
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or ""])[0]
    return DatabaseUrl(
        name=name,
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        host=host,
        port=str(parsed.port or query.get("port", [""])[0]),
    )


class RequiredVariables:
    """Variables a settings module cannot do without, read together so that start-up refuses once, naming every
    missing one (and every other problem found), instead of stopping at the first."""

    def __init__(self) -> None:
        self.missing: list[str] = []
        self.problems: list[str] = []

    def value(self, name: str) -> str:
        value = os.environ.get(name, "")
        if not value:
            self.missing.append(name)
        return value

    def items(self, name: str) -> list[str]:
        return [item.strip() for item in self.value(name).split(",") if item.strip()]

    def refuse(self, problem: str) -> None:
        self.problems.append(problem)

    def check(self, *, settings_name: str) -> None:
        """Raise ImproperlyConfigured with one message listing everything that is wrong (nothing if all is well)."""
        sentences = []
        if self.missing:
            sentences.append(f"set {', '.join(self.missing)} (each is described in .env.example)")
        sentences += self.problems
        if sentences:
            raise ImproperlyConfigured(f"{settings_name} refuse to start: {'; '.join(sentences)}.")
