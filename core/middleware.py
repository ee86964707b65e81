"""Middleware of the infrastructure: the log context of a request."""

from __future__ import annotations

import logging
import time
import uuid
from inspect import iscoroutinefunction
from typing import Any

from django.http import HttpRequest
from django.utils.decorators import sync_and_async_middleware
from django_tenants.utils import get_public_schema_name

from core.logs import log_context

logger = logging.getLogger(__name__)


@sync_and_async_middleware
def request_log_context(get_response: Any) -> Any:
    """Middleware, after the host is resolved: every line logged while a request is handled names the request,
    its host and, on a seller's host, the seller; the request's outcome is logged at DEBUG (the proxy in front
    keeps the access log)."""

    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> Any:
            started = time.perf_counter()
            with log_context(**_request_ids(request)):
                response = await get_response(request)
                _log_outcome(response, started)
                return response

        return middleware

    def sync_middleware(request: HttpRequest) -> Any:
        started = time.perf_counter()
        with log_context(**_request_ids(request)):
            response = get_response(request)
            _log_outcome(response, started)
            return response

    return sync_middleware


def _request_ids(request: HttpRequest) -> dict[str, object]:
    schema = getattr(getattr(request, "tenant", None), "schema_name", None)
    return {
        "request_id": uuid.uuid4().hex[:12],
        "host": request.META.get("HTTP_HOST", ""),
        "seller": schema if schema != get_public_schema_name() else None,
        "method": request.method,
        "path": request.path,
    }


def _log_outcome(response: Any, started: float) -> None:
    logger.debug(
        "request finished",
        extra={"status": response.status_code, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
    )
