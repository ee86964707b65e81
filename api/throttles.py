"""Per-caller request rates of the public API, counted in Redis (the default cache, whose keys carry the
seller's schema): one budget per API key, one per staff session user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiClient


class ApiCallerRateThrottle(SimpleRateThrottle):
    """API_RATE_PER_KEY requests per period ("600/min") for each key; over it, 429 with Retry-After."""

    scope = "api_caller"

    def get_rate(self) -> str:
        return str(settings.API_RATE_PER_KEY)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if isinstance(user, ApiClient):
            return f"api-throttle:key:{user.api_key_id}"
        if user is not None and user.is_authenticated:
            return f"api-throttle:user:{user.pk}"
        return None
