"""The process's Redis client for streams (decoded strings, short timeouts so failures are fast)."""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

# redis-py annotates replies as bytes | str | None whatever decode_responses says; ours always decodes to str,
# so the client is typed loosely rather than casting every reply.
RedisClient = Any


# A blocking pool (a caller waits for a free connection instead of failing past the limit), and one retry on
# a fresh connection when a pooled one turns out dead (Redis restarted since it was opened).
def _pool_options() -> dict[str, Any]:
    return {
        "decode_responses": True,
        "socket_connect_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "max_connections": settings.REDIS_MAX_CONNECTIONS,
        "timeout": settings.REDIS_SOCKET_TIMEOUT,
        "health_check_interval": 30,
        "retry_on_error": [redis.ConnectionError],
    }


@lru_cache(maxsize=1)
def get_redis() -> RedisClient:
    pool = redis.BlockingConnectionPool.from_url(settings.REDIS_URL, **_pool_options())
    return redis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 1), retry_on_error=[redis.ConnectionError])


_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RedisClient] = weakref.WeakKeyDictionary()


def get_async_redis() -> RedisClient:
    """The asyncio client of the running event loop (an asyncio client is bound to the loop it first ran on)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            settings.REDIS_URL, retry=AsyncRetry(NoBackoff(), 1), **_pool_options()
        )
        client = _async_clients[loop] = redis.asyncio.Redis(connection_pool=pool)
    return client


def reset_clients() -> None:
    """Forget the clients (after REDIS_URL changed, in tests)."""
    get_redis.cache_clear()
    _async_clients.clear()
