"""The process's Redis client for streams (decoded strings, short timeouts so failures are fast)."""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio
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


_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RedisClient] = weakref.WeakKeyDictionary()


def get_async_redis() -> RedisClient:
    """The asyncio client of the running event loop (an asyncio client is bound to the loop it first ran on)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = _async_clients[loop] = redis.asyncio.Redis.from_url(
            settings.REDIS_URL,
            decode_responses=True,
            socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        )
    return client


def reset_clients() -> None:
    """Forget the clients (after REDIS_URL changed, in tests)."""
    get_redis.cache_clear()
    _async_clients.clear()
