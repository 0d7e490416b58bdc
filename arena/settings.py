"""Arena settings: one module, driven by environment variables.

With no environment at all Arena runs embedded (SQLite, in-memory channel layer,
eager Celery, local media, console email). Setting DATABASE_URL and REDIS_URL
switches to PostgreSQL and Redis; DJANGO_ENV=production adds the hardening that
`manage.py check --deploy` asks for and refuses to start without real secrets.
"""

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)

_DEV_SECRET_KEY = "django-insecure-arena-development-key-do-not-use-in-production"  # noqa: S105 (dev only)
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Browser apps on other origins (e.g. https://app.example.com): CORS for the API, and the
# WebSocket Origin check (realtime/edge/security.py) accepts them beside ALLOWED_HOSTS.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api|media|private-media)/"
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key", "x-request-id")
CORS_EXPOSE_HEADERS = ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-ID"]

if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_ENV=production needs SECRET_KEY (50+ random characters).")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS.")
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")

INSTALLED_APPS = [
    # daphne first so `runserver` serves ASGI (WebSockets included).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "corsheaders",
    "ninja",
    "ninja_extra",
    "ninja_jwt",
    "ninja_jwt.token_blacklist",
    "django_ratelimit",
    "accounts",
    "competitions",
    "wallet",
    "matchlog",
    "realtime",
    "steam",
    "webhooks",
    "api",
]

MIDDLEWARE = [
    "arena.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware, so preflights are answered before anything else looks at them.
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.RequestInputMiddleware",
    "api.throttle.RateLimitHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.JsonMethodNotAllowedMiddleware",
]

ROOT_URLCONF = "arena.urls"
WSGI_APPLICATION = "arena.wsgi.application"
ASGI_APPLICATION = "arena.asgi.application"

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

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every sync view runs in a worker thread, and a persistent connection per thread
    # grows without bound (one daphne held ~250 under 200 pollers). One psycopg pool per process
    # caps it instead; Django takes a connection per request and gives it back at the end
    # (CONN_MAX_AGE must be 0 with a pool). A request that waits longer than the timeout for
    # one gets 503 with Retry-After (api/errors.py), not a 500.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
    # With a pool, Django turns this into the pool's check: a connection broken while idle in
    # the pool (a database restart) is replaced before a request gets it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the database lock (up to `timeout` seconds) instead of failing with
    # "database is locked": IMMEDIATE takes the write lock at BEGIN, so a transaction never has
    # to upgrade a read lock midway, which SQLite refuses at once, busy timeout or not.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker -----------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if PRODUCTION and not REDIS_URL:
    # Without Redis every process would keep its own cache (throttles per process), its own
    # channel layer (live updates never leave the process) and run Celery tasks inline.
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs REDIS_URL (cache, throttle counters, channel layer and Celery broker)."
    )
# django-ratelimit only knows third-party Redis backends by name; Django's own RedisCache
# is just as atomic (add = SET NX EX, incr = INCRBY), which is all its counters need.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "arena.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "arena",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # socket_timeout=None: idle sockets must not time out (channels_redis#422);
                # max_connections: the default pool of 100 is too small for mass connects.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 1000}],
                "prefix": "arena",
                # A slow client's overflow is dropped here; its consumer sees the hole by seq and
                # refills it from the replay buffer (realtime/edge/base.py), or sends a snapshot.
                "capacity": 500,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Throttle counters in a per-process cache are still correct for one process,
    # which is all the embedded mode runs.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# --- Celery -----------------------------------------------------------------------
# memory://localhost/: kombu warns "No hostname was supplied" for a bare memory://.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
# With acks_late, a killed child must not ack the message it was working on.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "tournament-reminders": {"task": "competitions.tasks.send_due_reminders", "schedule": 300.0},
    "payments-reconcile": {"task": "wallet.tasks.reconcile_payments", "schedule": 300.0},
}

# --- Auth -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=60 * 60 * 24 * 3)

NINJA_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
}

NINJA_PAGINATION_CLASS = "api.pagination.PageNumberPagination"
NINJA_PAGINATION_PER_PAGE = 20
NINJA_MAX_PER_PAGE_SIZE = 100

# Throttles (django-ratelimit rates: "count/period"), per client IP and per account.
ARENA_THROTTLES = {
    "login": env.str("THROTTLE_LOGIN", default="10/m"),
    "register": env.str("THROTTLE_REGISTER", default="10/h"),
    "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/h"),
    "verify_email": env.str("THROTTLE_VERIFY_EMAIL", default="20/h"),
    # Social login: both starting a flow (it stores a state) and finishing one (code exchange).
    "oauth": env.str("THROTTLE_OAUTH", default="20/m"),
    # Result screenshots (match log and match screenshots): each one is seconds of OCR on a worker.
    "screenshot_upload": env.str("THROTTLE_SCREENSHOT_UPLOAD", default="60/h"),
}
# Host applications (each may carry a 10 MiB document that is parsed and re-encoded).
ARENA_THROTTLES["host_application"] = env.str("THROTTLE_HOST_APPLICATION", default="10/h")
# Behind a proxy, set this to the header that carries the real client address.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")

# --- Domain limits ------------------------------------------------------------------
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=5 * 1024 * 1024)
AVATAR_MAX_PIXELS = env.int("AVATAR_MAX_PIXELS", default=25_000_000)
AVATAR_SIZE = 512
BANNER_MAX_BYTES = env.int("BANNER_MAX_BYTES", default=5 * 1024 * 1024)
BANNER_MAX_PIXELS = env.int("BANNER_MAX_PIXELS", default=25_000_000)
BANNER_SIZE = (1600, 600)  # fitted inside, aspect kept
BANNER_THUMBNAIL_SIZE = (480, 270)  # cropped to fill: the cards in lists
HOST_DOCUMENT_MAX_BYTES = env.int("HOST_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
TEAM_MAX_MEMBERS = env.int("TEAM_MAX_MEMBERS", default=10)
REALTIME_TICKET_SECONDS = env.int("REALTIME_TICKET_SECONDS", default=30)
# How long a match lasts in the iCalendar feeds (the schedule has start times only).
CALENDAR_MATCH_MINUTES = env.int("CALENDAR_MATCH_MINUTES", default=45)
# A burst of results to one tournament sends at most one standings message per this many seconds
# (the last one exact, from a Celery task); 0 sends one per result.
STANDINGS_COALESCE_SECONDS = env.int("STANDINGS_COALESCE_SECONDS", default=1)
# Each process tells its sockets the topic's position (and spectator count) this often;
# a socket behind it refills its hole from the replay buffer (realtime/hub.py).
REALTIME_POSITION_SECONDS = env.float("REALTIME_POSITION_SECONDS", default=3.0)
# Frames waiting for one slow client; beyond this it is closed with 4408 (resume with ?since=).
REALTIME_SEND_QUEUE = env.int("REALTIME_SEND_QUEUE", default=256)

# --- OCR of result screenshots ----------------------------------------------------------
SCREENSHOT_MAX_BYTES = env.int("SCREENSHOT_MAX_BYTES", default=10 * 1024 * 1024)
# An engine class implementing matchlog.ocr.OcrEngine, and its keyword arguments. The default
# runs the tesseract binary (apt: tesseract-ocr); matchlog.ocr.StaticTextEngine returns canned text.
OCR_ENGINE = env.str("OCR_ENGINE", default="matchlog.ocr.TesseractEngine")
OCR_ENGINE_OPTIONS = env.json("OCR_ENGINE_OPTIONS", default={})

# --- Request bodies ----------------------------------------------------------------------
# The ASGI app answers 413 body_too_large to a request whose body is larger than this, declared
# (Content-Length) or streamed, before Django spools it (arena/asgi.py). Above the largest upload
# limit, plus room for the multipart envelope and the form's other fields. Under uvicorn the body
# is streamed to the app, so this bounds memory; daphne buffers a whole body before the app runs.
MAX_REQUEST_BODY_BYTES = env.int(
    "MAX_REQUEST_BODY_BYTES",
    default=max(AVATAR_MAX_BYTES, BANNER_MAX_BYTES, HOST_DOCUMENT_MAX_BYTES, SCREENSHOT_MAX_BYTES) + 1024 * 1024,
)

# --- Payments -----------------------------------------------------------------------
# The sandbox gateway (a local checkout page) is for development only.
PAYMENT_GATEWAYS = env.list("PAYMENT_GATEWAYS", default=[] if PRODUCTION else ["sandbox"])
PAYMENT_DEFAULT_GATEWAY = env.str("PAYMENT_DEFAULT_GATEWAY", default=(PAYMENT_GATEWAYS or [""])[0])
if PRODUCTION and "sandbox" in PAYMENT_GATEWAYS:
    raise ImproperlyConfigured("The sandbox payment gateway cannot be enabled in production.")
SANDBOX_WEBHOOK_SECRET = env.str("SANDBOX_WEBHOOK_SECRET", default=f"sandbox:{SECRET_KEY}")
# Razorpay: API keys from the dashboard, and the secret set on the webhook.
RAZORPAY_KEY_ID = env.str("RAZORPAY_KEY_ID", default="")
RAZORPAY_KEY_SECRET = env.str("RAZORPAY_KEY_SECRET", default="")
RAZORPAY_WEBHOOK_SECRET = env.str("RAZORPAY_WEBHOOK_SECRET", default="")
# Where the SDK sends its API calls: a local fake for offline development and tests.
RAZORPAY_API_BASE = env.str("RAZORPAY_API_BASE", default="https://api.razorpay.com").rstrip("/")
# PhonePe Standard Checkout v2: OAuth client credentials, and the username/password set for callbacks.
PHONEPE_ENV = env.str("PHONEPE_ENV", default="sandbox")  # sandbox | production
PHONEPE_CLIENT_ID = env.str("PHONEPE_CLIENT_ID", default="")
PHONEPE_CLIENT_SECRET = env.str("PHONEPE_CLIENT_SECRET", default="")
PHONEPE_CLIENT_VERSION = env.int("PHONEPE_CLIENT_VERSION", default=1)
PHONEPE_CALLBACK_USERNAME = env.str("PHONEPE_CALLBACK_USERNAME", default="")
PHONEPE_CALLBACK_PASSWORD = env.str("PHONEPE_CALLBACK_PASSWORD", default="")
# A local fake instead of PHONEPE_ENV's hosts: it serves both the OAuth token (/v1/oauth/token)
# and the checkout APIs (/checkout/v2/…) under this one base, as PhonePe's sandbox does.
PHONEPE_API_BASE = env.str("PHONEPE_API_BASE", default="").rstrip("/")
_GATEWAY_SETTINGS = {
    "razorpay": ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET"),
    "phonepe": ("PHONEPE_CLIENT_ID", "PHONEPE_CLIENT_SECRET", "PHONEPE_CALLBACK_USERNAME", "PHONEPE_CALLBACK_PASSWORD"),
}
for _gateway, _names in _GATEWAY_SETTINGS.items():
    # globals(), not vars(): inside the generator vars() is the generator's own scope.
    if _gateway in PAYMENT_GATEWAYS and not all(globals()[name] for name in _names):
        raise ImproperlyConfigured(f"PAYMENT_GATEWAYS includes {_gateway}: set {', '.join(_names)}.")
# Where a gateway's hosted page sends the payer back (the frontend's payment status page).
PAYMENT_RETURN_URL = env.str("PAYMENT_RETURN_URL", default="")
# Open payments are checked with the gateway after this long, and expired after the second.
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=10)
PAYMENT_EXPIRE_AFTER_MINUTES = env.int("PAYMENT_EXPIRE_AFTER_MINUTES", default=60)
GATEWAY_TIMEOUT_SECONDS = env.float("GATEWAY_TIMEOUT_SECONDS", default=10.0)
# Idempotency-Key records of POST /api/payments are kept 24 h.
CELERY_BEAT_SCHEDULE["idempotency-keys-purge"] = {"task": "wallet.tasks.purge_idempotency_keys", "schedule": 3600.0}

# --- Outgoing webhooks (webhooks/) ----------------------------------------------------
# Loopback endpoints only in development (a receiver on the developer's machine); never private ranges.
WEBHOOKS_ALLOW_LOOPBACK = env.bool("WEBHOOKS_ALLOW_LOOPBACK", default=not PRODUCTION)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_RETRY_HOURS = env.int("WEBHOOKS_RETRY_HOURS", default=24)
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_MAX_PER_TOURNAMENT = env.int("WEBHOOKS_MAX_PER_TOURNAMENT", default=10)
CELERY_BEAT_SCHEDULE["webhooks-retry"] = {"task": "webhooks.tasks.retry_due_webhooks", "schedule": 30.0}

# --- Email --------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
if not env.str("EMAIL_URL", default=""):
    # Without EMAIL_URL: one INFO log line per email (with its links) instead of a raw MIME dump.
    EMAIL_BACKEND = "arena.mail.LogEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Arena <no-reply@arena.local>")
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:8000").rstrip("/")
# This server's own public address, for absolute links to pages it serves (the sandbox checkout).
SITE_URL = env.str("SITE_URL", default=FRONTEND_URL).rstrip("/")

# --- Social login -------------------------------------------------------------------
# accounts/oauth.py. A provider is offered only when both its client id and
# secret are set. The provider sends the browser back to OAUTH_REDIRECT_URI ("{provider}" is
# replaced), a frontend page that posts the code and state to /api/auth/oauth/{provider}/callback;
# register that exact URI with each provider.
OAUTH_PROVIDERS = {
    name: {
        "client_id": env.str(f"OAUTH_{name.upper()}_CLIENT_ID", default=""),
        "client_secret": env.str(f"OAUTH_{name.upper()}_CLIENT_SECRET", default=""),
    }
    for name in ("google", "discord", "github")
}
OAUTH_REDIRECT_URI = env.str("OAUTH_REDIRECT_URI", default=f"{FRONTEND_URL}/oauth/{{provider}}/callback")
OAUTH_STATE_TTL = env.int("OAUTH_STATE_TTL", default=600)
OAUTH_HTTP_TIMEOUT = env.float("OAUTH_HTTP_TIMEOUT", default=10.0)

# --- Storage ------------------------------------------------------------------------
# Two media storages: "default" (banners, avatars: public) and "private" (identity documents,
# result screenshots: only through short-lived signed URLs). Local files by default; USE_S3=true
# puts both on S3 or an S3-compatible store. Credentials come from boto's default chain
# (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance role, ~/.aws), never from here.
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
PRIVATE_MEDIA_URL = "/private-media/"
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private_media")
# Lifetime of a signed URL to a private file, local or on S3.
PRIVATE_MEDIA_URL_EXPIRE = env.int("PRIVATE_MEDIA_URL_EXPIRE", default=300)
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

USE_S3 = env.bool("USE_S3", default=False)
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")

if USE_S3:
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured(
            "USE_S3=true needs AWS_STORAGE_BUCKET_NAME (the bucket for public media: banners and avatars)."
        )
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    # For S3-compatible stores (MinIO, R2, Spaces, …): their API endpoint, e.g. https://minio.internal:9000.
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default=None)
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_S3_FILE_OVERWRITE = False
    # Off for buckets whose Object Ownership disables ACLs: a bucket policy then grants public reads.
    _acls = env.bool("AWS_S3_USE_ACLS", default=True)
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "default_acl": "public-read" if _acls else None,
            "querystring_auth": False,
            # A CDN in front of the public bucket, e.g. media.arena.example.com.
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
        },
    }
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            # Without a bucket of its own, a "private/" prefix of the public bucket, with private ACLs.
            "bucket_name": env.str("AWS_PRIVATE_BUCKET_NAME", default="") or AWS_STORAGE_BUCKET_NAME,
            "location": "private",
            "default_acl": "private" if _acls else None,
            "querystring_auth": True,
            "querystring_expire": PRIVATE_MEDIA_URL_EXPIRE,
            "custom_domain": None,
        },
    }
else:
    _public_root, _private_root = Path(MEDIA_ROOT).resolve(), Path(PRIVATE_MEDIA_ROOT).resolve()
    if _private_root == _public_root or _public_root in _private_root.parents:
        # /media/ (or a proxy serving MEDIA_ROOT) would hand out private files without a signature.
        raise ImproperlyConfigured(
            "PRIVATE_MEDIA_ROOT must be outside MEDIA_ROOT: everything under MEDIA_ROOT is public."
        )
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    # Outside MEDIA_ROOT; served only through signed, expiring URLs (arena/storage.py).
    _private_storage = {
        "BACKEND": "arena.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    }

STORAGES = {
    "default": _default_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development, serve static files straight from the apps without collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- i18n ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any client. The
    # server decides instead: uvicorn sets the request's scheme from that header only when it
    # comes from an address in FORWARDED_ALLOW_IPS (docs/SERVING.md).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The health probe comes from inside the cluster over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^api/ready$"]

# One line per record; LOG_FORMAT=json (the production default) makes each a JSON object with
# the request id of the HTTP request, WebSocket connection or Celery task that wrote it (arena/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "arena.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Our access line (arena.logs) replaces runserver's, which has a format of its own.
    "loggers": {"django.server": {"level": "WARNING"}},
}
# /metrics (Prometheus): with a token, scrapes send `Authorization: Bearer <token>`; production
# serves it only with one. A Celery worker serves its own on METRICS_WORKER_PORT when set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)

# The worker logs through LOGGING too (same format, request ids), not through Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Steam Web API ------------------------------------------------------------------
# Without a key, Steam linking and Dota 2 imports answer 503 steam_not_configured.
STEAM_API_KEY = env.str("STEAM_API_KEY", default="")
STEAM_API_URL = env.str("STEAM_API_URL", default="https://api.steampowered.com").rstrip("/")
STEAM_HTTP_TIMEOUT = env.float("STEAM_HTTP_TIMEOUT", default=5.0)
# One budget for every process sharing the cache; Valve allows 100,000 calls a day (~69/min) per key.
STEAM_RATE_LIMIT = env.str("STEAM_RATE_LIMIT", default="60/m")
STEAM_CACHE_SECONDS = {
    "vanity": 7 * 24 * 3600,  # a custom URL name rarely moves to another account
    "summary": 6 * 3600,
    "match": 30 * 24 * 3600,  # a finished Dota 2 match never changes
    "history": 120,
    "miss": 300,  # "no such name / profile / match", so repeated misses cost no call either
}
STEAM_SUMMARY_STALE_SECONDS = env.int("STEAM_SUMMARY_STALE_SECONDS", default=24 * 3600)
STEAM_REFRESH_MAX_PER_RUN = env.int("STEAM_REFRESH_MAX_PER_RUN", default=2000)
STEAM_DOTA_GAME_SLUG = "dota-2"
STEAM_RECENT_MATCHES = 20
STEAM_RECENT_LOOKUPS_PER_TEAM = 2
ARENA_THROTTLES["steam_link"] = env.str("THROTTLE_STEAM_LINK", default="20/h")
# Dota 2 imports and recent-match listings per host: each asks Steam, from the budget every player shares.
ARENA_THROTTLES["steam_dota"] = env.str("THROTTLE_STEAM_DOTA", default="120/h")
CELERY_BEAT_SCHEDULE["steam-refresh-summaries"] = {"task": "steam.tasks.refresh_steam_summaries", "schedule": 3600.0}
