"""Fencing tokens of shard leases, kept in PostgreSQL where the batches commit (core.streams.consumer.Fence).

A new owner `advance`s the shard's token (PostgreSQL hands it out); its UPDATE waits for every transaction of the
old owner that locked the fence row, so whatever the old owner was committing commits first, and its later
transactions see the new token and are refused (`holds` is False): one seller's claims are decided in arrival
order across a lease change."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name

from tenants.models import ShardFence


class ShardFences:
    @staticmethod
    def _table() -> str:
        return f'"{get_public_schema_name()}"."{ShardFence._meta.db_table}"'

    def advance(self, *, stage: str, shard: int) -> int:
        """A new current token for the shard, returned (outside any transaction: it commits at once). Tokens live
        here, not in Redis, so losing Redis never hands out an old one."""
        table = self._table()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (stage, shard, token) VALUES (%s, %s, 1) "  # noqa: S608 (our table)
                f"ON CONFLICT (stage, shard) DO UPDATE SET token = {table}.token + 1 RETURNING token",
                [stage, shard],
            )
            return int(cursor.fetchone()[0])

    def holds(self, *, stage: str, shard: int, token: int) -> bool:
        """Inside a batch's transaction: lock the fence row until the commit and say whether `token` is current."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT token FROM {self._table()} WHERE stage = %s AND shard = %s FOR SHARE",  # noqa: S608
                [stage, shard],
            )
            row = cursor.fetchone()
        return row is not None and int(row[0]) == token


SHARD_FENCES = ShardFences()
