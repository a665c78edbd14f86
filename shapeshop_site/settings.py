"""ShapeShop settings: one file, every deploy-time value from an environment variable.

The defaults are for development on one machine (SQLite, the database as the task broker).
Set ``DEBUG=false`` for production; then ``SECRET_KEY`` must be given and the security
settings are strict enough for ``manage.py check --deploy``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "development-only-key-never-used-in-production-0123456789abcdefghijkl"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Swagger UI's own files, served by us: the API docs work offline, with no CDN.
    "drf_spectacular_sidecar",
    "django_filters",
    "django_q",
    # The sign-in lock-out's records (failed attempts) live in its tables.
    "axes",
    # Checks the Content-Security-Policy settings at start-up.
    "csp",
    # Runs first; the feature apps beside it depend on it, never the other way round.
    "experiments",
    "drawing",
    "history",
    "accounts",
    "studies",
    "sweeps",
    "inspector",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shapeshop_site.middleware.ContentSecurityPolicyMiddleware",
    "shapeshop_site.middleware.DatabaseUnavailableMiddleware",
    "shapeshop_site.middleware.RequestTooLargeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a sign-in refused by the lock-out into a 429 (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shapeshop_site.urls"
WSGI_APPLICATION = "shapeshop_site.wsgi.application"

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
                "studies.context_processors.study",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Connections are kept for DB_CONN_MAX_AGE seconds and checked before reuse, so a database
# that restarted costs no failed request. A server that starts a thread per request
# (runserver) should set 0, or every thread keeps a connection of its own.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at once: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords: Django's four validators and one of ours for what they let through (spaces
# only, one piece repeated, few different characters, the username inside; see
# accounts/validators.py). Similarity compares proportions of shared characters: 0.5 (not
# Django's 0.7) also refuses the username's letters rearranged with a few more; a username
# inside a long password is ours to refuse. The last entry checks nothing: Django tells it
# when a password has changed, and it revokes the user's API token (accounts/tokens.py).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"max_similarity": 0.5},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.PasswordPatternValidator"},
    {"NAME": "accounts.tokens.RevokeApiTokenOnPasswordChange"},
]

# Sign-in lock-out (django-axes, failures recorded in the database so that every web server
# process counts together; accounts/lockout.py). After LOGIN_FAILURE_LIMIT failed attempts
# for one username from one address, the sign-in page, the admin's sign-in and the token
# endpoint refuse that pair until LOGIN_LOCKOUT seconds have passed since the last failure.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT = env_int("LOGIN_LOCKOUT", 900, minimum=1)
# A ceiling per username, whatever the address: LOGIN_ACCOUNT_FAILURE_LIMIT failures within
# LOGIN_ACCOUNT_WINDOW seconds refuse the username everywhere until LOGIN_ACCOUNT_WINDOW
# seconds have passed since the last of them. So no account sees more than
# LOGIN_ACCOUNT_FAILURE_LIMIT failed guesses in any window of that length.
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 50, minimum=1)
LOGIN_ACCOUNT_WINDOW = env_int("LOGIN_ACCOUNT_WINDOW", 3600, minimum=1)
# The lock-out checks a username before its password: this backend must come first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes, set from the settings above (read at each sign-in, so tests may change them).
# It expresses the rule per username and address; the ceiling per username is a second
# limit over other parameters, which axes (one limit for all its parameter sets) cannot
# express: accounts.lockout.SignInLockoutHandler adds it on axes' own failure records.
AXES_HANDLER = "accounts.lockout.SignInLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = "accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "accounts.lockout.lockout_period"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_of"
# The address the API's rate limits count (TRUSTED_PROXIES), not django-ipware's guess.
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
# A 429 with Retry-After: JSON under /api/, the page templates/errors/429_sign_in.html elsewhere.
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A success clears that username's failures from that address (not the ceiling's count).
AXES_RESET_ON_SUCCESS = True
# An attempt refused while locked is not a failure: the lock ends LOGIN_LOCKOUT seconds after
# the last real failure, however often the locked user tries meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# One row per failure, which the ceiling per username counts; the newest
# AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT rows of a username are kept (at least the ceiling's).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = env_int(
    "AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT", 1000, minimum=1
)
# Successful sign-ins are not logged: the lock-out needs only the failures.
AXES_DISABLE_ACCESS_LOG = True
# How many proxies of your own stand in front of the web server, each adding the address it
# got the request from to X-Forwarded-For. 0: the client's address is REMOTE_ADDR and the
# header is ignored, since any client can write it. N: the Nth address from the right end of
# the header is the client's. The sign-in lock-out and the API's rate limits both use it.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
# A session ends after this many seconds (default 12 hours); Django rotates its key at login.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)
# Request bodies: the largest legitimate one (a drawn class as JSON) is about 20 kB. A body
# declared larger is refused (413) before it is read, files included; only the picture
# uploads may be larger, up to their own limit (shapeshop_site.middleware.body_limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1_048_576, minimum=1024)
# Uploaded files are held in memory, bounded by that limit, and never written to a
# temporary file: Django's default handlers would spool any large upload to disk.
FILE_UPLOAD_HANDLERS = ["shapeshop_site.middleware.BoundedUploadHandler"]


def env_csp(name: str, default: str) -> dict[str, dict[str, list[str] | bool]]:
    """A Content-Security-Policy written as the header's value ("default-src 'self'; img-src
    'self' data:") in django-csp's format: {"DIRECTIVES": {"default-src": ["'self'"], ...}}.
    A directive without sources (upgrade-insecure-requests) is True. An empty value turns
    the header off; a directive django-csp does not know fails here, as it would drop it."""
    from csp.utils import DEFAULT_DIRECTIVES

    directives: dict[str, list[str] | bool] = {}
    for part in env_str(name, default).split(";"):
        words = part.split()
        if not words:
            continue
        directive = words[0].lower()
        if directive not in DEFAULT_DIRECTIVES:
            raise ImproperlyConfigured(f"{name}: unknown CSP directive {words[0]!r}")
        directives[directive] = words[1:] or True
    return {"DIRECTIVES": directives} if directives else {}


# The CSP header (django-csp). Scripts and styles come from our own static files only;
# images may be inline PNGs. Set either variable to a whole policy, as the header reads.
CONTENT_SECURITY_POLICY = env_csp(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# The API's documentation pages (Swagger UI, Redoc) insert styles and run Redoc's search in a
# blob: worker; they hold no user data, and scripts stay 'self' only there too. Given in
# django-csp's format too, it replaces the policy above on those pages
# (shapeshop_site.middleware.ContentSecurityPolicyMiddleware).
CONTENT_SECURITY_POLICY_API_DOCS = env_csp(
    "CONTENT_SECURITY_POLICY_API_DOCS",
    "default-src 'self'; img-src 'self' data: blob:; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "builder"
LOGOUT_REDIRECT_URL = "landing"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # D3 comes from the npm registry and is served by us: the app works offline.
    ("vendor/d3", BASE_DIR / "node_modules" / "d3" / "dist"),
]

MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

# Generated images and weights go through Django's storage API. The default keeps them under
# MEDIA_ROOT; several machines share one folder (NFS) or name another backend here.
STORAGES = {
    "default": {"BACKEND": env_str("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The API's rate limits count in the default cache, which every web server process must
# share: a cache in each process's memory would let each count alone and forget its counts
# whenever gunicorn recycles it (shapeshop_site/checks.py refuses one in production). Without
# CACHE_URL the cache is a table of the database (made by the accounts app's first migration);
# CACHE_URL=redis://host:6379/1 names a Redis server instead.
CACHE_URL = env_str("CACHE_URL", "")
CACHES: dict[str, dict[str, object]]
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "shapeshop",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "shapeshop_cache",
            # One row per client and rate limit, each gone a minute or so later: room for
            # many clients before the oldest counts are culled.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# What one user may ask of the shared workers. The ML core has wider bounds of its own.
MAX_EPOCHS = env_int("MAX_EPOCHS", 500, minimum=1)
MAX_CLASSES = env_int("MAX_CLASSES", 19, minimum=2)
MAX_STEPS = env_int("MAX_STEPS", 5000, minimum=1)
# Four: the largest one-click scenario (the decoy benchmark: plain, penalty, augmentation and
# clean) queues four runs at once, whole or not at all.
MAX_ACTIVE_EXPERIMENTS = env_int("MAX_ACTIVE_EXPERIMENTS", 4, minimum=1)
# Reliability: every worker process checks this often (seconds) that the experiment it runs
# is alive (a heartbeat) and fails others' experiments whose heartbeat is older than
# HEARTBEAT_TIMEOUT: their worker died (killed, out of memory, machine gone).
WATCHDOG_INTERVAL = env_int("WATCHDOG_INTERVAL", 15, minimum=1)
HEARTBEAT_TIMEOUT = env_int("HEARTBEAT_TIMEOUT", 60, minimum=2)
if HEARTBEAT_TIMEOUT < 2 * WATCHDOG_INTERVAL:
    raise ImproperlyConfigured(
        f"HEARTBEAT_TIMEOUT ({HEARTBEAT_TIMEOUT}) must be at least twice "
        f"WATCHDOG_INTERVAL ({WATCHDOG_INTERVAL}), or live experiments would be failed"
    )
# How many times one experiment may be started: a worker that dies mid-run hands its
# experiment back to the queue while fewer attempts were made, and fails it after that.
MAX_ATTEMPTS = env_int("MAX_ATTEMPTS", 1, minimum=1)
# Training images in one run (classes x copies per class): bounds a run's memory and time.
MAX_TRAINING_IMAGES = env_int("MAX_TRAINING_IMAGES", 600, minimum=2)
# Training images one sweep task may hold: a group of runs that differ only in the seed
# trains as one computation holding every run's data (17 to 25 KB an image), so a larger
# group goes to the workers in parts. 20,000 keeps a sweep of ten-digit runs to five runs a
# task (1.1 GB at the peak for the MLP, 1.3 GB for the CNN, against 2.0 and 2.7 GB for
# twenty: bench/bench_memory.py); shapes groups are never cut.
MAX_GROUP_IMAGES = env_int("MAX_GROUP_IMAGES", 20_000, minimum=1)
# A run's compute budget: a run whose estimated worker time (models_zoo.budget) is longer
# is refused, so that no user holds a shared worker for long (three active runs at most).
MAX_RUN_SECONDS = env_int("MAX_RUN_SECONDS", 300, minimum=10)
# Storage: a run records at most about this many snapshot frames per class (snapshot_every
# must be at least max_steps / MAX_SNAPSHOT_FRAMES), and each user's runs may hold at most
# STORAGE_QUOTA_MB of images, snapshots and weights; past it, new runs are refused until
# some are deleted.
MAX_SNAPSHOT_FRAMES = env_int("MAX_SNAPSHOT_FRAMES", 100, minimum=1)
STORAGE_QUOTA_MB = env_int("STORAGE_QUOTA_MB", 500, minimum=1)
# A queued experiment that no worker has taken for this long is failed (lost by the broker).
QUEUE_TIMEOUT = env_int("QUEUE_TIMEOUT", 3600, minimum=60)
# A queued experiment whose task was sent this long ago while the broker's queue is empty was
# lost by the broker (Redis restarted without saving, say): its task is sent again.
RESEND_AFTER = env_int("RESEND_AFTER", 120, minimum=30)

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "shapeshop_site.api.Pagination",
    # JSON bodies within bounds (nesting, digits), so a hostile one is a 400: see parsers.py.
    "DEFAULT_PARSER_CLASSES": [
        "shapeshop_site.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Every error body, service errors included: see shapeshop_site/api.py.
    "EXCEPTION_HANDLER": "shapeshop_site.api.exception_handler",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "experiment_create": env_str("EXPERIMENT_CREATE_RATE", "30/minute"),
        "experiment_revisualize": env_str("EXPERIMENT_REVISUALIZE_RATE", "30/minute"),
        "events": env_str("EVENTS_RATE", "120/minute"),
        "token": env_str("TOKEN_RATE", "20/minute"),
        # Decoding a picture costs memory and time: uploads are converted at this rate.
        "image_convert": env_str("IMAGE_CONVERT_RATE", "30/minute"),
        # The builder asks for an estimate as settings change (debounced), per user.
        "experiment_estimate": env_str("EXPERIMENT_ESTIMATE_RATE", "240/minute"),
        # The probe answers a drawing as it is drawn (numpy, a few ms): ten requests a second.
        "probe": env_str("PROBE_RATE", "600/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Rate limits count per client address as TRUSTED_PROXIES defines it; left unset, DRF
    # would take a client's own X-Forwarded-For header, and a new header would dodge them.
    "NUM_PROXIES": TRUSTED_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ShapeShop API",
    "DESCRIPTION": "Train image classifiers on simple shapes and see what they have learned.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The architectures' names are one choice set, whichever field offers them.
    "ENUM_NAME_OVERRIDES": {"ModelEnum": "models_zoo.architectures.ARCHITECTURES"},
}
# Events one interaction-log request may carry, and the largest `data` of one event (bytes).
EVENTS_PER_REQUEST = env_int("EVENTS_PER_REQUEST", 200, minimum=1)
EVENT_DATA_MAX_BYTES = env_int("EVENT_DATA_MAX_BYTES", 4096, minimum=64)

# Production: DEBUG=false turns on HTTPS-only cookies, HSTS and the redirect to HTTPS, so
# that `manage.py check --deploy` passes. Each can be turned down for a special set-up
# (for example SECURE_SSL_REDIRECT=false when a proxy already redirects).
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        # Only behind a proxy that sets this header itself and strips it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Logs go to the console (stderr) and, when LOG_FILE names a file, to that file as well
# (reopened when rotated away). A request that fails is logged with its traceback whatever
# DEBUG says: Django's own set-up prints request errors only with DEBUG on.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FILE = env_str("LOG_FILE", "")
_LOG_HANDLERS = {"console": {"class": "logging.StreamHandler", "formatter": "plain"}}
if LOG_FILE:
    _LOG_HANDLERS["file"] = {
        "class": "logging.handlers.WatchedFileHandler",
        "filename": LOG_FILE,
        "formatter": "plain",
    }
_APPS = ("experiments", "drawing", "history", "accounts", "studies", "sweeps", "shapeshop_site")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}
    },
    "handlers": _LOG_HANDLERS,
    "loggers": {
        **{app: {"handlers": list(_LOG_HANDLERS), "level": LOG_LEVEL} for app in _APPS},
        # 500s (with the traceback) and refused Host headers or other suspicious requests.
        "django.request": {"handlers": list(_LOG_HANDLERS), "level": "ERROR", "propagate": False},
        "django.security": {"handlers": list(_LOG_HANDLERS), "level": "ERROR", "propagate": False},
    },
}

# Background work: django-q2. With REDIS_URL the Redis broker is used (scale-out); otherwise
# the database itself is the broker, so one machine needs no extra server.
REDIS_URL = os.environ.get("REDIS_URL", "")
TASK_TIMEOUT = env_int("TASK_TIMEOUT", 600, minimum=10)
# Each worker process imports TensorFlow and traces the paper preset's compiled functions
# when it starts, before its first task, so that no user's run pays for it (about 4 s; see
# experiments/warmup.py). Never in sync mode (Q_SYNC), where there is no worker process.
WORKER_WARMUP = env_bool("WORKER_WARMUP", True)
Q_CLUSTER: dict[str, object] = {
    "name": env_str("Q_CLUSTER_NAME", "shapeshop"),
    "workers": env_int("Q_WORKERS", 1, minimum=1),
    # A fresh process now and then returns the memory TensorFlow holds on to.
    "recycle": env_int("Q_RECYCLE", 50, minimum=1),
    "timeout": TASK_TIMEOUT,
    # The broker hands a task out again only after `retry`, which must exceed the timeout
    # or a long task would be started twice while it still runs.
    "retry": TASK_TIMEOUT + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    # How often an idle database broker looks for work: a queued task starts within 0.1 s.
    "poll": 0.1,
    "guard_cycle": 0.5,
    "label": "Background tasks",
    "sync": env_bool("Q_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
