"""Production settings: every secret must come from the environment; nothing insecure by default.

Everything required is read first and checked together: a process started without its secrets refuses once,
with one message naming every missing variable (manage.py and `python -m config.serve` print it and exit 1).
"""

from __future__ import annotations

from cryptography.fernet import Fernet

from config.env import RequiredVariables, env_bool, env_choice, env_int, env_str
from core.logs import logging_settings

from .base import *  # noqa: F403
from .base import LOG_LEVEL, LOG_QUIET, PAYMENT_PROVIDER

required = RequiredVariables()

DEBUG = False
SECRET_KEY = required.value("DJANGO_SECRET_KEY")
FIELD_ENCRYPTION_KEY = required.value("FIELD_ENCRYPTION_KEY")
META_APP_SECRET = required.value("META_APP_SECRET")
META_VERIFY_TOKEN = required.value("META_VERIFY_TOKEN")
# base.py falls back to servers on localhost; a production process must be told where its data lives.
required.value("DATABASE_URL")
required.value("REDIS_URL")
PUBLIC_HOSTS = required.items("PUBLIC_HOSTS")
ALLOWED_HOSTS = PUBLIC_HOSTS + required.items("SELLER_HOST_SUFFIXES")

if FIELD_ENCRYPTION_KEY:
    try:
        Fernet(FIELD_ENCRYPTION_KEY)
    except ValueError:
        required.refuse("FIELD_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64 bytes, see .env.example)")

if PAYMENT_PROVIDER == "stripe":  # new sellers take payments through the platform's Stripe account
    STRIPE_SECRET_KEY = required.value("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = required.value("STRIPE_WEBHOOK_SECRET")

# Buyers' replies go to Meta. The outbox backend marks them sent without sending anything, which in production
# would silently leave every buyer unanswered: it takes an explicit acknowledgement as well.
MESSENGER_BACKEND = env_choice("MESSENGER_BACKEND", "graph", ("outbox", "graph"))
MESSENGER_ALLOW_OUTBOX = env_bool("MESSENGER_ALLOW_OUTBOX", False)
if MESSENGER_BACKEND == "outbox" and not MESSENGER_ALLOW_OUTBOX:
    required.refuse(
        "MESSENGER_BACKEND=outbox stores buyer replies without ever sending them to Meta: set "
        "MESSENGER_BACKEND=graph, or also set MESSENGER_ALLOW_OUTBOX=1 to run without sending on purpose"
    )

# Outgoing webhooks call only public https addresses (SSRF); the owners' notices go out by SMTP.
HOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("HOOKS_ALLOW_PRIVATE_ADDRESSES", False)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LiveStreamSell <no-reply@localhost>")

# One JSON object per line for the log collector (LOG_FORMAT=console for a person reading a terminal).
LOG_FORMAT = env_choice("LOG_FORMAT", "json", ("console", "json"))
LOGGING = logging_settings(level=LOG_LEVEL, log_format=LOG_FORMAT, quiet=LOG_QUIET)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)

# Static files: the copy `collectstatic` made (make serve and the Render build run it), with hashed names that
# browsers may cache for good, and gzip variants; ServeStatic serves it on every host.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}
SERVESTATIC_USE_FINDERS = False

required.check(settings_name="Production settings")
