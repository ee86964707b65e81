"""URLs of the messenger app on a seller's host."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
