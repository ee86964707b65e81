"""What an authenticated caller may do: reads with any key, changes only with a write key (or a staff session)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from api.authentication import ApiClient
from api.models import ApiKey


class ApiScope(permissions.BasePermission):
    message = "This API key is read-only: create a key with write scope to change data."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if isinstance(user, ApiClient):
            return request.method in permissions.SAFE_METHODS or user.scope == ApiKey.Scope.WRITE
        return bool(user and user.is_authenticated and user.is_staff)
