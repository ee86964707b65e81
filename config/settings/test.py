"""Test settings: fast password hashing, a fixed encryption key, a separate cache/channel prefix."""

from __future__ import annotations

import uuid

from config.env import env_str

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5MzI=")
# Every test run has its own Redis keys (streams, cache, channel layer), so runs may share a Redis server;
# subprocesses started by tests inherit the prefix (tests.conftest).
STREAM_KEY_PREFIX = env_str("STREAM_KEY_PREFIX", f"lsstest-{uuid.uuid4().hex[:8]}")
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"{STREAM_KEY_PREFIX}-cache"}}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": CHANNEL_LAYERS["default"]["BACKEND"],
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{STREAM_KEY_PREFIX}-channels"},
    }
}
SELLER_CACHE_SECONDS = 0.0  # tests change sellers with queryset updates; tests/tenants checks the cache itself
META_APP_SECRET = "test-app-secret"
META_VERIFY_TOKEN = "test-verify-token"
# Crash tests stop a subprocess at a named point (core.crash_points); only these settings read them.
CRASH_POINT = env_str("CRASH_POINT", "")
CRASH_READY_FILE = env_str("CRASH_READY_FILE", "")
CRASH_RESUME_FILE = env_str("CRASH_RESUME_FILE", "")
