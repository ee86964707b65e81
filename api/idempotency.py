"""`Idempotency-Key` on the public API's POSTs: the first request with a key does the work and its answer is
stored in the same transaction; a retry with the same key and body gets that answer again (header
`Idempotent-Replayed: true`) and changes nothing; the same key with another body is refused (422)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import ApiClient
from api.models import IdempotentRequest
from api.problems import IdempotencyKeyReused

Handler = Callable[..., Response]

# The header in the schema of every idempotent POST.
IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retry-safe: the same key and body again returns the first answer and changes nothing.",
)


def _caller(request: Request) -> str:
    user = request.user
    return f"key:{user.api_key_id}" if isinstance(user, ApiClient) else f"user:{getattr(user, 'pk', '')}"


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused
    return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(handler: Handler) -> Handler:
    """Decorate an APIView's post(). Without the header the request runs as usual."""

    @wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            return handler(view, request, *args, **kwargs)
        if len(key) > 255:
            raise ValidationError({"Idempotency-Key": "At most 255 characters."})
        caller = _caller(request)
        # An empty body is no body, whatever its Content-Type says (a POST with none of its own).
        body = json.dumps(request.data, sort_keys=True, default=str) if request.body else ""
        fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()
        record = IdempotentRequest.objects.filter(caller=caller, idempotency_key=key).first()
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                IdempotentRequest.objects.create(
                    caller=caller,
                    idempotency_key=key,
                    request_fingerprint=fingerprint,
                    status_code=response.status_code,
                    # As the client reads it (dates as ISO strings): what a replay answers is the same JSON.
                    response_body=json.loads(JSONRenderer().render(response.data)),
                )
        except IntegrityError:
            # The same key committed meanwhile by a concurrent request: its change stands, ours was rolled back.
            return _replay(IdempotentRequest.objects.get(caller=caller, idempotency_key=key), fingerprint)
        return response

    return wrapper
