"""Settings read from the environment; defaults give the embedded single-process mode."""

import ipaddress
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_DIR = Path(environ.Env().str("LOCAL_DIR", default=str(BASE_DIR / ".local")))

env = environ.Env()


def local_secret(name: str) -> str:
    """Return the secret from the environment, else from a git-ignored file made on first use.

    Only the development (embedded) mode relies on the file; production settings refuse to start
    without the environment variable.
    """
    value = env.str(name, default="")
    if value:
        return value
    path = LOCAL_DIR / name.lower()
    if not path.exists():
        LOCAL_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


# --- run mode -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
RUN_MODE = "services" if REDIS_URL else "embedded"
# The engine (market feed and paper venue) runs inside the web process unless a separate
# `manage.py run_engine` process owns it, which is the rule in services mode.
ENGINE_EMBEDDED = env.bool("ENGINE_EMBEDDED", default=RUN_MODE == "embedded")
ENGINE_HEARTBEAT_INTERVAL_S = env.float("ENGINE_HEARTBEAT_INTERVAL_S", default=1.0)
ENGINE_HEARTBEAT_TTL_S = env.float("ENGINE_HEARTBEAT_TTL_S", default=3.0)
ENGINE_LEADER_LOCK_KEY = env.int("ENGINE_LEADER_LOCK_KEY", default=7_340_001)
# Dotted paths of engine components (classes with `name`, `async run(engine)`, `status()`).
ENGINE_COMPONENTS: list[str] = []

# --- core -----------------------------------------------------------------------------------
SECRET_KEY = local_secret("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "kernel",
    "trading_api",
    "marketdata",
    "audit",
    "idempotency",
    "access",
    "engine",
    "streams",
    "orders",
    "venue",
    "portfolio",
    "analytics",
    "risk",
    "control",
    "backtests",
    "dashboard",
]

MIDDLEWARE = [
    "kernel.request_context.RequestIDMiddleware",
    "kernel.api.guard.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kernel.api.ratelimit.RateLimitHeadersMiddleware",
    "audit.middleware.AuditMiddleware",
    "idempotency.middleware.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kernel.api.deprecation.DeprecationHeadersMiddleware",
    "kernel.api.errors.ApiExceptionMiddleware",
]

ROOT_URLCONF = "trading_api.urls"
ASGI_APPLICATION = "trading_api.asgi.application"
WSGI_APPLICATION = None

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

# --- database -------------------------------------------------------------------------------
SQLITE_PATH = env.str("SQLITE_PATH", default=str(LOCAL_DIR / "db.sqlite3"))
SQLITE_OPTIONS = {
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so a
    # transaction never fails half-way on lock upgrade.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
else:
    DATABASES = {"default": {"ENGINE": "kernel.db.backends.sqlite3", "NAME": SQLITE_PATH}}
if DATABASES["default"]["ENGINE"] in ("django.db.backends.sqlite3", "kernel.db.backends.sqlite3"):
    # Django's SQLite keeps decimals as floats; the kernel's backend keeps them exact.
    DATABASES["default"]["ENGINE"] = "kernel.db.backends.sqlite3"
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A per-process psycopg pool (PostgreSQL only): a request borrows a connection instead of opening
# one. The services topology turns it on for the web processes (Procfile, docker-compose.yml);
# WEB_THREADS + 2 connections per process cover every thread. See README, performance.
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 10,
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, channel layer, Celery -----------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kernel.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis is an error within a second, not a hung request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="trading"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout equals the layer's 5 s blocking pop, so
                # an idle `receive` (the venue's hand-off channel) could time out on the client
                # side first and raise; the socket must outwait the server-side block.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="trading:asgi"),
                # Each web process's stream hub is one channel carrying every event its
                # sockets follow: past the default 100, group_send drops (channels_redis #62).
                # The venue's hand-off channel: a burst of entry must not find it full while the
                # engine catches up (a dropped hand-off waits for the sweep, seconds later).
                "channel_capacity": {"stream-hub.*": 100_000, "venue.orders": 10_000},
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # This layer uses channel_capacity as given: (compiled pattern, capacity) pairs.
            "CONFIG": {
                "channel_capacity": [
                    (re.compile(r"stream-hub\..*"), 100_000),
                    (re.compile(r"venue\.orders"), 10_000),
                ]
            },
        }
    }

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = RUN_MODE == "embedded"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="trading")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {}

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/api/v1/auth/login/"

# JWT for dashboard sessions: short-lived access tokens signed with their own key (not
# SECRET_KEY), HS256 only, refresh tokens rotated and the used one blacklisted.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_TOKEN_LIFETIME_S", default=300)),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_TOKEN_LIFETIME_S", default=86_400)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": local_secret("JWT_SIGNING_KEY"),
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# Login attempts per client IP and, separately, per username (brute-force brake).
LOGIN_RATE_LIMIT = env.str("LOGIN_RATE_LIMIT", default="5/m")

# API keys: HMAC secrets are encrypted at rest with a Fernet key derived from this secret.
API_KEY_ENCRYPTION_KEY = local_secret("API_KEY_ENCRYPTION_KEY")
# Signed requests: accepted timestamp window around the server clock, in milliseconds.
# How long a process may authenticate from its in-process copy of an API key, its owner's roles
# and membership: another process's revoke, rotation or role change takes effect within this.
AUTH_CACHE_TTL_S = env.float("AUTH_CACHE_TTL_S", default=1.0)
SIGNED_REQUEST_MAX_AGE_MS = env.int("SIGNED_REQUEST_MAX_AGE_MS", default=5_000)
SIGNED_REQUEST_MAX_AHEAD_MS = env.int("SIGNED_REQUEST_MAX_AHEAD_MS", default=1_000)
LOGIN_REDIRECT_URL = "/"

# --- i18n, time, static ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
# Only production collects static files (see production.py); development serves them from apps.
STATIC_ROOT = env.str("STATIC_ROOT", default="") or None
# Serve app static files straight from the apps in development; production runs collectstatic.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "kernel.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "kernel.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.JWTAuthentication",
        "access.authentication.ApiKeyAuthentication",
        "access.authentication.SignedApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["access.permissions.HasRequiredScope"],
    # Rate limit first; the idempotency gate last, so a refused request never claims a key.
    "DEFAULT_THROTTLE_CLASSES": [
        "kernel.api.ratelimit.CredentialRateThrottle",
        "idempotency.gate.IdempotencyGate",
    ],
    "DEFAULT_PAGINATION_CLASS": "kernel.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "kernel.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "kernel.api.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Trading back-office API",
    "DESCRIPTION": "Orders, positions, risk, market data and operations. Errors: docs/errors.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The contract is JSON in and out; the form parsers serve the browsable API only.
    "PARSER_WHITELIST": ["kernel.api.parsers.JSONParser"],
    "RENDERER_WHITELIST": ["kernel.api.renderers.JSONRenderer"],
    # A field a response always carries is required in its component (exact for clients).
    "COMPONENT_NO_READ_ONLY_REQUIRED": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "trading_api.api.schema_links.links_postprocess",
    ],
}
# Requests per credential and route class (view attribute `rate_class`); an API key's own
# `rate_limits` override these per class.
RATE_LIMITS = {
    "data": env.str("RATE_LIMIT_DATA", default="10/s"),
    "trading": env.str("RATE_LIMIT_TRADING", default="1/s"),
}
# The highest rate a person with each role may give a key they create over the API (a key
# itself grants at most its own rates). JSON, e.g. {"trader": {"data": "50/s", "trading": "10/s"}}.
API_KEY_RATE_CEILINGS: dict[str, dict[str, str]] = env.json(
    "API_KEY_RATE_CEILINGS",
    default={
        "admin": {"data": "100/s", "trading": "20/s"},
        "risk_manager": {"data": "50/s", "trading": "10/s"},
        "trader": {"data": "50/s", "trading": "10/s"},
        "viewer": {"data": "20/s", "trading": "1/s"},
    },
)
# The largest request body the API reads (413 PAYLOAD_TOO_LARGE above it, before parsing),
# and the deepest JSON nesting it parses (400 MALFORMED_REQUEST deeper).
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client and whose
# X-Forwarded-Proto says whether the client used HTTPS. Empty: both headers are ignored.
TRUSTED_PROXIES: list[str] = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo fails at start-up, not per request
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Content-Security-Policy (django-csp): only this origin's scripts, no inline script, no
# framing. Inline styles are allowed (the admin and Swagger UI use them); the WebSocket is
# same-origin. The ReDoc page relaxes script-src for itself (trading_api/api/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, "ws:", "wss:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Before authentication: all requests of one client IP, and refused credentials per client IP
# and per key id (past it, the source gets 429 until the window ends).
RATE_LIMIT_IP = env.str("RATE_LIMIT_IP", default="200/s")
RATE_LIMIT_AUTH_FAILURES = env.str("RATE_LIMIT_AUTH_FAILURES", default="20/m")
# A source the shared limiter has refused is then refused by each process in front of Django
# until its window ends, asking the shared limiter again at least this often; under ASGI its 429
# is sent after the delay (never past the lock's end). See kernel/api/gate.py.
RATE_LIMIT_LOCAL_HOLD_SECONDS = env.float("RATE_LIMIT_LOCAL_HOLD_SECONDS", default=5.0)
RATE_LIMIT_REFUSAL_DELAY_SECONDS = env.float("RATE_LIMIT_REFUSAL_DELAY_SECONDS", default=1.0)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "rl:"
# Idempotency keys live 24 h; a claim still in flight after the lease is taken as abandoned.
IDEMPOTENCY_KEY_TTL_S = env.int("IDEMPOTENCY_KEY_TTL_S", default=86_400)
IDEMPOTENCY_IN_FLIGHT_LEASE_S = env.int("IDEMPOTENCY_IN_FLIGHT_LEASE_S", default=300)
CELERY_BEAT_SCHEDULE["idempotency-purge-expired"] = {
    "task": "idempotency.tasks.idempotency_purge_expired",
    "schedule": 3600.0,
}
# PostgreSQL advisory lock that serializes appends to the audit hash chain.
# Signed checkpoints of the audit chain (audit/anchors.py): the HMAC key, which the database
# must not hold, and the append-only file the web role cannot write. Unset key: no checkpoints.
AUDIT_ANCHOR_KEY = env.str("AUDIT_ANCHOR_KEY", default="")
AUDIT_ANCHOR_PATH = env.str("AUDIT_ANCHOR_PATH", default=str(LOCAL_DIR / "audit-anchors.jsonl"))
AUDIT_CHAIN_LOCK_KEY = env.int("AUDIT_CHAIN_LOCK_KEY", default=7_340_002)
# PostgreSQL: rows are chained after commit by a thread in the writing process, woken by the
# commit and at least every AUDIT_CHAINER_INTERVAL_S (which also picks up rows of dead writers).
AUDIT_CHAINER_THREAD = env.bool("AUDIT_CHAINER_THREAD", default=True)
AUDIT_CHAINER_INTERVAL_S = env.float("AUDIT_CHAINER_INTERVAL_S", default=1.0)
# A woken pass waits this long first, so the commits of that moment are chained together.
AUDIT_CHAINER_COALESCE_S = env.float("AUDIT_CHAINER_COALESCE_S", default=0.02)

# Decimal precision shared by every money, price and quantity column.
DECIMAL_MAX_DIGITS = 28
DECIMAL_PLACES = 10

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if RUN_MODE == "services" else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kernel.request_context.RequestIDLogFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}

# Functions called by `manage.py seed_demo` after the demo user, in order; each idempotent and
# returning a one-line summary.
DEMO_SEEDERS: list[str] = []
DEMO_SEEDERS.append("access.seed.account_demo_seed")

# --- market data ----------------------------------------------------------------------------
ENGINE_COMPONENTS.append("marketdata.feed.MarketDataFeed")
DEMO_SEEDERS.append("marketdata.seed.market_data_seed")
# `simulator` (seeded random walks) or `replay` (stored candles played as a feed).
MARKET_DATA_SOURCE = env.str("MARKET_DATA_SOURCE", default="simulator")
MARKET_TICK_INTERVAL_S = env.float("MARKET_TICK_INTERVAL_S", default=0.5)
# Replay: which stored interval to play, market seconds per wall-clock second, and whether to
# start again at the end of the history.
MARKET_REPLAY_INTERVAL = env.str("MARKET_REPLAY_INTERVAL", default="1d")
MARKET_REPLAY_SPEED = env.float("MARKET_REPLAY_SPEED", default=86_400.0)
MARKET_REPLAY_LOOP = env.bool("MARKET_REPLAY_LOOP", default=True)
# Latest quotes and books live in the cache this long after the last tick, so a stopped feed
# shows as "no quote" (503) rather than as an old price passed off as current.
MARKET_QUOTE_TTL_S = env.int("MARKET_QUOTE_TTL_S", default=60)
# Days of simulated 1-minute history that `seed_demo` backfills.
MARKET_SEED_HISTORY_DAYS = env.int("MARKET_SEED_HISTORY_DAYS", default=2)

# --- paper venue ----------------------------------------------------------------------------
ENGINE_COMPONENTS.append("venue.component.PaperVenue")
# Market orders fill this many basis points through the opposite side of the quote.
VENUE_SLIPPAGE_BPS = env.str("VENUE_SLIPPAGE_BPS", default="1")
# Maker/taker rates (Decimal strings) by symbol, else "default"; fees are in the quote currency.
VENUE_FEES = env.json("VENUE_FEES", default={"default": {"maker": "0.0002", "taker": "0.0005"}})
# Day orders expire at this UTC wall time; the venue reconciles with the database this often.
VENUE_SESSION_CLOSE_UTC = env.str("VENUE_SESSION_CLOSE_UTC", default="21:00")
VENUE_SWEEP_INTERVAL_S = env.float("VENUE_SWEEP_INTERVAL_S", default=2.0)

# --- orders and portfolio -------------------------------------------------------------------
# A buy market or stop order locks its notional at the reference price plus this margin (basis
# points), since it may fill through the quote; the unused part is released by its last fill.
ORDER_MARKET_LOCK_BUFFER_BPS = env.str("ORDER_MARKET_LOCK_BUFFER_BPS", default="100")
DEMO_SEEDERS.append("portfolio.seed.portfolio_demo_seed")
# Cash the demo account starts with (a deposit, made once).
PORTFOLIO_DEMO_DEPOSIT = env.str("PORTFOLIO_DEMO_DEPOSIT", default="1000000")

# --- risk -----------------------------------------------------------------------------------
# The protection band of accounts without a risk configuration: market and stop orders lock
# cash for, and never fill beyond, this percentage past their reference price.
RISK_MARKET_PROTECTION_PCT = env.str("RISK_MARKET_PROTECTION_PCT", default="1")
DEMO_SEEDERS.append("risk.seed.risk_demo_seed")
# The longest an override may run (seconds); expired overrides stop applying at once and this
# task marks them expired in the audit trail.
RISK_OVERRIDE_MAX_DURATION_S = env.int("RISK_OVERRIDE_MAX_DURATION_S", default=7 * 24 * 3600)
CELERY_BEAT_SCHEDULE["risk-override-expire"] = {
    "task": "risk.tasks.risk_override_expire_due",
    "schedule": 60.0,
}
# Risk's own choice sets get their own names in the OpenAPI schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "RiskOverrideKindEnum": "risk.enums.OverrideKind",
    "RiskOverrideStatusEnum": "risk.enums.OverrideStatus",
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "OrderStatusEnum": "orders.enums.OrderStatus",
    "SideEnum": "kernel.enums.Side",
    "PositionSideEnum": [("long", "long"), ("short", "short")],
    "TradingStateEnum": "risk.enums.TradingStateValue",
    "DrawdownZoneEnum": "risk.enums.DrawdownZone",
    "OperationStatusEnum": "operations.enums.OperationStatus",
}

# --- equity and the circuit breaker ---------------------------------------------------------
ENGINE_COMPONENTS.append("control.tracker.EquityTracker")
# Seconds between equity snapshots of every account (fills also trigger one within a second).
EQUITY_SNAPSHOT_INTERVAL_S = env.float("EQUITY_SNAPSHOT_INTERVAL_S", default=60.0)
# The daily loss is measured from the equity at this UTC hour.
RISK_DAY_START_UTC = env.int("RISK_DAY_START_UTC", default=0)
# The longest equity curve `GET /portfolio/equity` returns.
EQUITY_CURVE_MAX_POINTS = env.int("EQUITY_CURVE_MAX_POINTS", default=1000)

# --- operations and backtests (issue 13) ----------------------------------------------------
INSTALLED_APPS.append("operations")
# Progress is written and published at most this often per operation (seconds).
OPERATION_PROGRESS_INTERVAL_S = env.float("OPERATION_PROGRESS_INTERVAL_S", default=0.1)
# A running operation whose task has not checkpointed for this long lost its worker: failed.
OPERATION_HEARTBEAT_TTL_S = env.float("OPERATION_HEARTBEAT_TTL_S", default=60.0)
# How often beat (services) or the embedded engine looks for such operations.
OPERATION_STALE_CHECK_INTERVAL_S = env.float("OPERATION_STALE_CHECK_INTERVAL_S", default=10.0)
# The longest a single operation task may run; the broker's visibility timeout must exceed it,
# or Redis would hand a long job that is still running to a second worker.
OPERATION_TIME_LIMIT_S = env.int("OPERATION_TIME_LIMIT_S", default=4 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT_S", default=OPERATION_TIME_LIMIT_S + 3600
    )
}
CELERY_BEAT_SCHEDULE["operations-fail-stale"] = {
    "task": "operations.operation_fail_stale",
    "schedule": OPERATION_STALE_CHECK_INTERVAL_S,
}
if RUN_MODE == "embedded":
    ENGINE_COMPONENTS.append("operations.component.StaleOperationWatch")
# Backtests: the most stored points of an equity or drawdown curve (longer runs are sampled
# evenly, keeping the last bar), the most combinations one sweep may run, and how many candles
# are read per query.
BACKTEST_CURVE_MAX_POINTS = env.int("BACKTEST_CURVE_MAX_POINTS", default=5000)
BACKTEST_SWEEP_MAX_COMBINATIONS = env.int("BACKTEST_SWEEP_MAX_COMBINATIONS", default=1000)
BACKTEST_MAX_BARS = env.int("BACKTEST_MAX_BARS", default=2_000_000)
BACKTEST_LOAD_CHUNK = env.int("BACKTEST_LOAD_CHUNK", default=10_000)
# --- end of operations and backtests --------------------------------------------------------

# --- streaming (issue 12) -------------------------------------------------------------------
# Events kept per account stream for `resume`; older ones mean a resync snapshot.
STREAM_REPLAY_WINDOW = env.int("STREAM_REPLAY_WINDOW", default=1000)
# Redis key prefix of the sequence counters and replay streams (services mode).
STREAM_LOG_PREFIX = env.str("STREAM_LOG_PREFIX", default="trading:stream")
# An account stream with no event for this long is forgotten (its seq starts over), seconds.
STREAM_LOG_TTL_S = env.int("STREAM_LOG_TTL_S", default=7 * 86400)
# Account messages a socket may have queued before it is closed with 4408 (too slow).
STREAM_QUEUE_LIMIT = env.int("STREAM_QUEUE_LIMIT", default=1000)
# Trades and candles queued per socket before the oldest are dropped (their seq shows the gap).
STREAM_MARKET_QUEUE_LIMIT = env.int("STREAM_MARKET_QUEUE_LIMIT", default=1000)
# Kernel send buffer per socket (bytes; 0: the OS default, up to megabytes). Smaller means a
# slow client is noticed (conflated, or closed with 4408) sooner, and costs less memory.
STREAM_SEND_BUFFER_BYTES = env.int("STREAM_SEND_BUFFER_BYTES", default=0)
# How long a socket the server closes (4408, ...) waits for the client's close reply, seconds:
# a slow client first reads what was queued before the close frame.
STREAM_CLOSE_TIMEOUT_S = env.float("STREAM_CLOSE_TIMEOUT_S", default=10.0)
# Largest client frame accepted, in bytes.
STREAM_MAX_FRAME_BYTES = env.int("STREAM_MAX_FRAME_BYTES", default=65536)
# Browser origins allowed to open a socket ("https://dash.example.com"); "*" allows any.
# Clients that send no Origin (servers, scripts) are always accepted: they authenticate.
STREAM_ALLOWED_ORIGINS = env.list("STREAM_ALLOWED_ORIGINS", default=[])
# daphne pings sockets after this many idle seconds and closes those silent for the timeout.
STREAM_PING_INTERVAL_S = env.int("STREAM_PING_INTERVAL_S", default=20)
STREAM_PING_TIMEOUT_S = env.int("STREAM_PING_TIMEOUT_S", default=30)

# --- strategy deployments (issue 14) --------------------------------------------------------
INSTALLED_APPS.append("deployments")
ENGINE_COMPONENTS.append("deployments.component.DeploymentRunner")
# How often the engine looks for bars that closed, per running deployment (seconds).
DEPLOYMENT_POLL_INTERVAL_S = env.float("DEPLOYMENT_POLL_INTERVAL_S", default=1.0)
# The most closed bars one deployment takes in one pass (catching up after a restart).
DEPLOYMENT_MAX_BARS_PER_PASS = env.int("DEPLOYMENT_MAX_BARS_PER_PASS", default=500)
# --- end of strategy deployments ------------------------------------------------------------

# --- dashboard (dashboard/, docs/dashboard.md) ------------------------------------------------
# The browser console at `/`. It holds no data of its own: it signs in with the JWT endpoints and
# talks to /api/v1/ and /ws/v1/stream. These only shape what the page does.
# Symbol the chart and order ticket open on (any instrument's symbol).
DASHBOARD_DEFAULT_SYMBOL = env.str("DASHBOARD_DEFAULT_SYMBOL", default="AAPL")
# Refresh the access token this many seconds before it expires (at most half its lifetime).
DASHBOARD_REFRESH_MARGIN_S = env.int("DASHBOARD_REFRESH_MARGIN_S", default=30)
# --- end dashboard ---------------------------------------------------------------------------
