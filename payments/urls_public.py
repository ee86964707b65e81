"""URLs of the payments app on the public hosts (provider webhooks)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
