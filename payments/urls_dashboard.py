"""The seller dashboard's order pages (seller host)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
