"""Errors of the public API as RFC 9457 problem details (application/problem+json): `type`, `title`, `status`,
`detail`, and for invalid fields `errors` (field → messages, DRF's shape)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_JSON = "application/problem+json"


class ProblemOutput(serializers.Serializer[dict[str, Any]]):
    """What every error answers (application/problem+json)."""

    type = serializers.CharField(help_text="Always about:blank: `title` and `status` say what went wrong.")
    title = serializers.CharField(help_text="The status code's phrase, e.g. Bad Request.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a declared field, not Serializer.errors
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For invalid fields or parameters: each name and its messages.",
    )


class IdempotencyKeyReused(APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for a different request: use a new key for a new request."
    default_code = "idempotency_key_reused"


class Conflict(APIException):
    """The database refused a duplicate (a label, a SKU): 409, with the message as `detail` and under the field
    at fault in `errors`."""

    status_code = 409
    default_code = "conflict"

    def __init__(self, message: str, *, field: str | None) -> None:
        super().__init__({field: [message]} if field else message)
        self.message = message


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
        problem["errors"] = _field_messages(data)
    if isinstance(exc, Conflict):
        problem["detail"] = exc.message
    response.data = problem
    response.content_type = PROBLEM_JSON
    return response


def _field_messages(data: Any) -> dict[str, list[str]]:
    """DRF's error shapes as one: each field (or `non_field_errors`) with a list of messages."""
    if not isinstance(data, dict):
        return {"non_field_errors": _messages(data)}
    return {str(field): _messages(messages) for field, messages in data.items()}


def _messages(value: Any) -> list[str]:
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in _messages(item)]
    return [str(value)]


@csrf_exempt  # it changes nothing: a POST to no operation is a 404, like the API's views (never a CSRF 403)
def no_such_operation(request: HttpRequest, path: str) -> JsonResponse:
    """The 404 of an /api/v1/ address no operation answers (an id that is not a number, a typo): a problem like
    every other API error, not the dashboard's HTML page."""
    problem = {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No API operation at this address: see /api/v1/docs/.",
    }
    return JsonResponse(problem, status=404, content_type=PROBLEM_JSON)
