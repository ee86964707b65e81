"""Test settings: fast password hashing, a fixed encryption key, a separate cache/channel prefix."""

from __future__ import annotations

from config.env import env_str

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5MzI=")
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": "lss-test"}}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": CHANNEL_LAYERS["default"]["BACKEND"],
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "lss-test:channels"},
    }
}
