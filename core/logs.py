"""Structured logs: one JSON object per line in production, readable lines locally and in tests.

Every line, from structlog loggers and from the standard `logging` calls alike (they go through structlog's
ProcessorFormatter), carries the context bound in the running task or thread with `log_context`: the seller's
schema, live, comment, order, message and stream entry ids where the runtime knows them (the stream consumer
per batch and entry, the sender per message, the web per request). Modules keep calling
`logging.getLogger(__name__)`; only the runtimes bind context.

Settings: `LOGGING = logging_settings(level=…, log_format="json" | "console")` with
`LOGGING_CONFIG = "core.logs.configure"`.
"""

from __future__ import annotations

import logging.config
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

# Applied to every line, whichever API logged it; the context vars first, so explicit fields win over them.
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _drop_color_message(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """uvicorn passes a copy of its message with terminal colours as an `extra`: noise in a log line."""
    event_dict.pop("color_message", None)
    return event_dict


def logging_settings(*, level: str, log_format: str, quiet: dict[str, str] | None = None) -> dict[str, Any]:
    """A `LOGGING` dict: one stream handler whose formatter renders JSON or console lines. `quiet` sets the level
    of noisy loggers (name → level)."""
    renderers: list[Any] = (
        [structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if log_format == "json"
        else [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
                "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder(), _drop_color_message],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The ASGI server's own lines in the same format, at the level its --log-level set. Not the "uvicorn"
            # parent: configuring it would reset "uvicorn.access", which `--no-access-log` switched off.
            "uvicorn.error": {"handlers": ["console"], "propagate": False},
            **{name: {"level": name_level} for name, name_level in (quiet or {}).items()},
        },
    }


def configure(settings_logging: dict[str, Any]) -> None:
    """LOGGING_CONFIG: the standard library from `LOGGING`, and structlog's loggers routed into it."""
    logging.config.dictConfig(settings_logging)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # first: a line below the level costs nothing more
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Bind ids to every log line of this thread or task while the block runs (None values are left out)."""
    with structlog.contextvars.bound_contextvars(**{key: value for key, value in ids.items() if value is not None}):
        yield


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)  # type: ignore[no-any-return]
