"""The dashboard's logged-in clients on seller A's host, for the catalog pages' tests."""

from __future__ import annotations

from tests.dashboard.conftest import owner_client, staff_client

__all__ = ["owner_client", "staff_client"]
