"""Who calls the public API: an API key of this seller (Authorization: Bearer lss_…), or a staff member's
dashboard session. Keys live in the seller's schema, so another seller's key is simply unknown here (401)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiKey
from api.services import KEY_PREFIX, api_key_hash


@dataclass(frozen=True)
class ApiClient:
    """The caller of a request made with an API key (request.user); `scope` decides what it may change."""

    api_key_id: int
    name: str
    scope: str
    is_authenticated: bool = True


def actor_of(request: Request) -> str:
    """Who made a change, as stock movements and order events record it: api:<key name>, or the staff e-mail."""
    user = request.user
    return f"api:{user.name}" if isinstance(user, ApiClient) else str(getattr(user, "email", "") or user)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword != self.keyword or not token.startswith(KEY_PREFIX):
            raise exceptions.AuthenticationFailed("Send the API key as: Authorization: Bearer lss_…")
        api_key = ApiKey.objects.filter(key_hash=api_key_hash(token.strip()), revoked_at__isnull=True).first()
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
        return ApiClient(api_key_id=api_key.pk, name=api_key.name, scope=api_key.scope), api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """The dashboard's own calls: a logged-in staff member of this seller (CSRF-checked), with write scope."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None or not getattr(result[0], "is_staff", False):
            return None
        return result
