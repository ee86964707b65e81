"""The process's Redis client for streams (decoded strings, short timeouts so failures are fast)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import redis
from django.conf import settings

# redis-py annotates replies as bytes | str | None whatever decode_responses says; ours always decodes to str,
# so the client is typed loosely rather than casting every reply.
RedisClient = Any


@lru_cache(maxsize=1)
def get_redis() -> RedisClient:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        decode_responses=True,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        health_check_interval=30,
    )
