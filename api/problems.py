"""Errors of the public API as RFC 9457 problem details (application/problem+json): `type`, `title`, `status`,
`detail`, and for invalid fields `errors` (field → messages, DRF's shape)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_JSON = "application/problem+json"


class IdempotencyKeyReused(APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for a different request: use a new key for a new request."
    default_code = "idempotency_key_reused"


def problem_details(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500 handling
    data = response.data
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(response.status_code).phrase,
        "status": response.status_code,
    }
    if isinstance(data, dict) and set(data) == {"detail"}:
        problem["detail"] = str(data["detail"])
    else:
        problem["detail"] = "Some fields are not valid."
        problem["errors"] = data
    response.data = problem
    response.content_type = PROBLEM_JSON
    return response
