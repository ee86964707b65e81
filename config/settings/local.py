"""Development and demo settings: debug on, a fixed development encryption key."""

from __future__ import annotations

from config.env import env_str

from .base import *  # noqa: F403

DEBUG = True
# A fixed key so tokens stored by `make demo` stay readable across runs; production must set its own.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "ZGV2LW9ubHktZmllbGQtZW5jcnlwdGlvbi1rZXktMzI=")
