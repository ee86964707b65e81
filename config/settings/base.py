"""Settings shared by every environment. Environment variables are read only through config.env."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_str, parse_database_url
from core.logs import logging_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)

# Hosts of the public schema: Meta/Stripe webhooks, health checks, the platform admin.
PUBLIC_HOSTS = env_list("PUBLIC_HOSTS", "localhost,127.0.0.1")
# Seller hosts are validated by django-tenants against the Domain table, so ALLOWED_HOSTS lists the
# public hosts plus the parent domains sellers live under (".localhost" in development).
ALLOWED_HOSTS = PUBLIC_HOSTS + env_list("SELLER_HOST_SUFFIXES", ".localhost")

# Absolute links to a seller's pages (cart links sent to buyers) are built from the seller's primary
# domain with this scheme and port, so they work in the demo and behind a TLS-terminating proxy.
SELLER_URL_SCHEME = env_choice("SELLER_URL_SCHEME", "http", ("http", "https"))
SELLER_URL_PORT = env_int("SELLER_URL_PORT", 8000)
# The pipeline reads a seller's settings for every comment; a process keeps them this long (a save in the same
# process forgets them at once). 0 reads them every time.
SELLER_CACHE_SECONDS = float(env_str("SELLER_CACHE_SECONDS", "2"))

SHARED_APPS = [
    "django_tenants",
    "servestatic",  # its system checks; before staticfiles, so runserver leaves static files to it
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",  # the public API's list filters (api.filters)
    "channels",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "inventory",
    "livestreams",
    "payments",
    "messenger",
    "hooks",
    "api",
    "pipeline",
    "dashboard",
    "demo",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Seller"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New sellers are cloned from this migrated, empty schema instead of running every migration.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every response, static files and the early 404 of an unknown host included, carries the policy below.
    "csp.middleware.CSPMiddleware",
    # Static files and the favicon are the same for every host: served before the host is resolved to a seller.
    "servestatic.middleware.ServeStaticMiddleware",
    "tenants.middleware.SellerHostMiddleware",
    "core.middleware.request_log_context",  # log lines of a request name its host and seller
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its lockout page is rendered in the visitor's language (LocaleMiddleware has run).
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASE_URL = env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/livestreamsell")
_db = parse_database_url(DATABASE_URL)
_prepared = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DATABASES = {
    "default": {
        "ENGINE": "config.postgresql_backend",  # django-tenants' backend, one SET search_path per change
        "NAME": _db.name,
        "USER": _db.user,
        "PASSWORD": _db.password,
        "HOST": _db.host,
        "PORT": _db.port,
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": env_str("DATABASE_TEST_NAME", f"test_{_db.name}")},
        # Server-side parameters let psycopg prepare the statements a process repeats (the pipeline's hot path):
        # PostgreSQL plans them once per connection instead of per execution. Behind a transaction-pooling
        # PgBouncer, it needs PgBouncer's prepared-statement support (max_prepared_statements), or turn it off.
        "OPTIONS": {"server_side_binding": _prepared, "prepare_threshold": 5 if _prepared else None},
    }
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every cache key carries the schema, so one seller can never read another's cached rows.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "lss"),
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNELS_PREFIX", "lss:channels")},
    }
}

# Pipeline streams: sellers hash onto STREAM_SHARDS ordered shards; one consumer owns a shard at a time.
STREAM_KEY_PREFIX = env_str("STREAM_KEY_PREFIX", "lss")
STREAM_SHARDS = env_int("STREAM_SHARDS", 16)
# Approximate cap per stream (memory bound); consumers trim acknowledged entries long before it.
STREAM_MAXLEN = env_int("STREAM_MAXLEN", 1_000_000)
# Seconds an entry may stay unacknowledged before another consumer claims it, and deliveries before an
# entry goes to the dead-letter stream.
STREAM_VISIBILITY_TIMEOUT = float(env_str("STREAM_VISIBILITY_TIMEOUT", "30"))
STREAM_MAX_DELIVERIES = env_int("STREAM_MAX_DELIVERIES", 5)
# Seconds a consumer's claim on a shard lasts without renewal (a dead consumer's shards move after this).
STREAM_SHARD_LEASE = float(env_str("STREAM_SHARD_LEASE", "10"))
REDIS_SOCKET_TIMEOUT = float(env_str("REDIS_SOCKET_TIMEOUT", "2"))
# Connections per process's Redis pool; past it a caller waits (up to REDIS_SOCKET_TIMEOUT) for a free one.
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 100)

# Meta webhooks: the app secret signs every delivery; the verify token answers the subscription handshake.
META_APP_SECRET = env_str("META_APP_SECRET", "dev-meta-app-secret")
META_VERIFY_TOKEN = env_str("META_VERIFY_TOKEN", "dev-meta-verify-token")
META_WEBHOOK_MAX_BYTES = env_int("META_WEBHOOK_MAX_BYTES", 1024 * 1024)
# Seconds a delivered (platform, id, verb) is remembered so Meta's retries are dropped.
META_DEDUPE_SECONDS = env_int("META_DEDUPE_SECONDS", 48 * 3600)
# The accepted-events sweep (scheduler): a queued delivery whose comments are not stored after this many
# seconds is queued again (Redis lost it); after INGEST_SWEEP_HORIZON seconds it is given up and logged, and
# confirmed deliveries are deleted after INGEST_KEEP_SECONDS.
INGEST_SWEEP_GRACE = float(env_str("INGEST_SWEEP_GRACE", "30"))
INGEST_SWEEP_HORIZON = float(env_str("INGEST_SWEEP_HORIZON", str(6 * 3600)))
INGEST_KEEP_SECONDS = float(env_str("INGEST_KEEP_SECONDS", str(24 * 3600)))
# Seconds the in-memory page → seller routing table is used before it is reloaded from PostgreSQL.
PAGE_ROUTES_TTL = float(env_str("PAGE_ROUTES_TTL", "10"))
# Reading the raw body is capped by our own check; Django's limit only has to be above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = META_WEBHOOK_MAX_BYTES + 1
# Requests per second one client address may make to each provider webhook, per web process (core.webhooks);
# over it the webhook answers 429 and the provider retries. 0 turns a throttle off.
WEBHOOK_RATES = {
    "meta": env_int("META_WEBHOOK_RATE_PER_SECOND", 5000),
    "stripe": env_int("STRIPE_WEBHOOK_RATE_PER_SECOND", 200),
}

# Page access tokens are encrypted at rest with this Fernet key (urlsafe base64, 32 bytes).
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "")

# Intent engine. The local engine decides alone unless OPENAI_API_KEY is set; then comments it is unsure
# about (confidence below the threshold) are also asked to OpenAI, within a per-seller daily token budget.
OPENAI_API_KEY = env_str("OPENAI_API_KEY", "")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL", "https://api.openai.com/v1")
OPENAI_MODEL = env_str("OPENAI_MODEL", "gpt-5-nano")
# A comment's deadline for OpenAI's answer, with no retry: the claims stage orders claims and must not wait on it.
OPENAI_TIMEOUT_SECONDS = float(env_str("OPENAI_TIMEOUT_SECONDS", "0.7"))
OPENAI_MAX_RETRIES = env_int("OPENAI_MAX_RETRIES", 0)
# OpenAI calls of a process in flight at once (a batch's unsure comments are asked together).
OPENAI_CONCURRENCY = env_int("OPENAI_CONCURRENCY", 8)
OPENAI_DAILY_TOKEN_BUDGET = env_int("OPENAI_DAILY_TOKEN_BUDGET", 200_000)
INTENT_CONFIDENCE_THRESHOLD = float(env_str("INTENT_CONFIDENCE_THRESHOLD", "0.6"))

# Payments: the provider new sellers use ('local' = built-in test checkout, 'stripe' = Stripe Checkout).
PAYMENT_PROVIDER = env_choice("PAYMENT_PROVIDER", "local", ("local", "stripe"))
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
# Outgoing webhooks (hooks): seconds an endpoint has to answer, deliveries sent at once, and whether http and
# private, loopback or link-local addresses may be called (never in production: SSRF).
HOOKS_TIMEOUT_SECONDS = float(env_str("HOOKS_TIMEOUT_SECONDS", "10"))
HOOKS_SEND_CONCURRENCY = env_int("HOOKS_SEND_CONCURRENCY", 8)
HOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("HOOKS_ALLOW_PRIVATE_ADDRESSES", True)
# stock.low is sent when a claim leaves a variant with this many free units or fewer.
HOOKS_LOW_STOCK_UNITS = env_int("HOOKS_LOW_STOCK_UNITS", 2)
# Mail (owners' notices) is printed here; production.py sends it by SMTP.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Stripe's events are a few kilobytes; a body above this is refused (413) before it is read.
STRIPE_WEBHOOK_MAX_BYTES = env_int("STRIPE_WEBHOOK_MAX_BYTES", 256 * 1024)
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_APPLICATION_FEE_PERCENT = float(env_str("STRIPE_APPLICATION_FEE_PERCENT", "0"))
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
STRIPE_TIMEOUT_SECONDS = float(env_str("STRIPE_TIMEOUT_SECONDS", "10"))

# Buyer messages: 'outbox' stores them for the dashboard without calling Meta; 'graph' sends them.
MESSENGER_BACKEND = env_choice("MESSENGER_BACKEND", "outbox", ("outbox", "graph"))
META_GRAPH_URL = env_str("META_GRAPH_URL", "https://graph.facebook.com")
META_GRAPH_VERSION = env_str("META_GRAPH_VERSION", "v25.0")
META_GRAPH_TIMEOUT_SECONDS = float(env_str("META_GRAPH_TIMEOUT_SECONDS", "10"))

# Login throttling (django-axes) on every login form: the seller dashboard, the seller admin and the platform
# admin. Failures are counted in the cache, whose keys carry the schema (django_tenants.cache.make_key), so the
# same e-mail on two sellers' hosts is two accounts, as the users of each schema are. A (username, client IP)
# pair is locked out after AXES_FAILURE_LIMIT wrong passwords for LOGIN_LOCKOUT_SECONDS; the right password
# does not log in meanwhile. The client IP is REMOTE_ADDR: behind a proxy, `make serve` (uvicorn
# --proxy-headers) sets it from X-Forwarded-For.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "core.http.login_locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner at start-up (commands print one line on error); failures and lockouts still log

# Content-Security-Policy on every page (django-csp): scripts and styles from our own origin only, the few
# inline ones carry the request's nonce (`{{ request.csp_nonce }}`); no plugins, no framing, no <base>.
# connect-src 'self' covers the dashboard's websocket on the same host. form-action stays unset: the cart's Pay
# button is answered with a redirect to the provider's checkout page, which form-action 'self' would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "https:"],  # a product's image_url may be on the seller's own image host
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English"), ("pt", "Português")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", ".local/static")  # where collectstatic copies (relative: to BASE_DIR)
STATICFILES_DIRS = [BASE_DIR / "static"]
# ServeStatic (in MIDDLEWARE, before the seller lookup) serves /static/ on every host: here straight from the apps'
# and the project's static directories, so development, the demo and tests need no collectstatic; production
# serves the collected copy instead (production.py). Files in webroot/ are served at the site's root (/favicon.ico).
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_ROOT = BASE_DIR / "webroot"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Lists filter with their view's `filterset_class` (api.filters); a value it cannot read is a 400.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
# Requests each API key (or staff session) may make to /api/v1/ per period; over it the API answers 429.
API_RATE_PER_KEY = env_str("API_RATE_PER_KEY", "600/min")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", API_RATE_PER_KEY):
    raise ImproperlyConfigured(f"API_RATE_PER_KEY={API_RATE_PER_KEY!r}: write requests/period, e.g. 600/min")
# The public API's OpenAPI 3 schema (/api/v1/schema/) and its Swagger UI (/api/v1/docs/, from the sidecar's files).
SPECTACULAR_SETTINGS = {
    "TITLE": "LiveStreamSell AI seller API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "A seller's catalog and stock. Authorization: Bearer <API key from Settings → API keys>.",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# Structured logs (core.logs): readable lines here, JSON in production; every line carries the ids in context.
LOG_FORMAT = env_choice("LOG_FORMAT", "console", ("console", "json"))
LOGGING_CONFIG = "core.logs.configure"
# httpx logs every request URL at INFO, and a Send API URL carries the page token. channels_redis logs at INFO
# each group message a closed dashboard tab's channel could not take (its buffer is full until it expires).
LOG_QUIET = {
    "django.db.backends": "WARNING",
    "django.request": "ERROR",
    "httpx": "WARNING",
    "channels_redis": "WARNING",
    # django-axes logs each successful login's reset at INFO; failures and lockouts are WARNING and stay.
    "axes": "WARNING",
}
LOGGING = logging_settings(level=LOG_LEVEL, log_format=LOG_FORMAT, quiet=LOG_QUIET)

# dashboard
INSTALLED_APPS += ["django_htmx"]
MIDDLEWARE += ["django_htmx.middleware.HtmxMiddleware"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# messenger
# Sends in flight per sender process, and seconds a claimed message stays leased to its sender (longer than
# META_GRAPH_TIMEOUT_SECONDS plus a rate-limit wait; after it a crashed sender's message is taken again).
MESSENGER_SENDER_CONCURRENCY = env_int("MESSENGER_SENDER_CONCURRENCY", 256)
MESSENGER_SEND_LEASE_SECONDS = float(env_str("MESSENGER_SEND_LEASE_SECONDS", "60"))
MESSENGER_SENDER_IDLE_SECONDS = float(env_str("MESSENGER_SENDER_IDLE_SECONDS", "0.05"))
# Retries of retryable Meta errors: exponential backoff with jitter from BASE up to MAX seconds, then dead.
MESSENGER_MAX_ATTEMPTS = env_int("MESSENGER_MAX_ATTEMPTS", 8)
MESSENGER_RETRY_BASE_SECONDS = float(env_str("MESSENGER_RETRY_BASE_SECONDS", "2"))
MESSENGER_RETRY_MAX_SECONDS = float(env_str("MESSENGER_RETRY_MAX_SECONDS", "300"))
# Per-page rates (Meta: Send API 300/s per page; Instagram private replies 750/h per account).
MESSENGER_SEND_PER_SECOND = float(env_str("MESSENGER_SEND_PER_SECOND", "250"))
MESSENGER_IG_PRIVATE_REPLIES_PER_HOUR = float(env_str("MESSENGER_IG_PRIVATE_REPLIES_PER_HOUR", "750"))
# Seconds a decrypted page token is reused, and between rebuilds of the due-set from PostgreSQL.
MESSENGER_PAGE_TOKEN_TTL = float(env_str("MESSENGER_PAGE_TOKEN_TTL", "30"))
MESSENGER_DUE_REBUILD_SECONDS = float(env_str("MESSENGER_DUE_REBUILD_SECONDS", "300"))
