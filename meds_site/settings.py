"""Settings for the medication guide, read from the environment with strict parsing."""

import datetime
import math
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def envbool(name: str, default: bool) -> bool:
    """Read a boolean from the environment: 1/0, true/false or yes/no in any case."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false or yes/no.")


def envlist(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list from the environment, dropping empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def envseconds(name: str, default: float, minimum: float = 0) -> float:
    """Read a duration in seconds (a decimal number, at least minimum) from the environment."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number of seconds.") from None
    if not math.isfinite(value) or value < minimum:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: use a number of seconds of {minimum:g} or more."
        )
    return value


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only for local development with DEBUG=1; never used in production.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")


def site_url(raw: str | None, debug: bool, hosts: list[str]) -> str:
    """The site's public address, for canonical links, JSON-LD, the sitemap and robots.txt.

    Never the request's Host header, which a visitor or a misconfigured proxy chooses.
    """
    if raw is None or not raw.strip():
        if debug:
            return "http://127.0.0.1:8000"
        host = next((h for h in hosts if not h.startswith(".") and h != "*"), "")
        if not host:
            raise ImproperlyConfigured("SITE_URL must be set, e.g. https://meds.example.org")
        return f"https://{host}"
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"SITE_URL={raw!r} is not an http(s) address.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"SITE_URL={raw!r} must be scheme and host only.")
    if parts.scheme != "https" and not debug:
        raise ImproperlyConfigured(f"SITE_URL={raw!r} must use https when DEBUG is off.")
    return f"{parts.scheme}://{parts.netloc}"


SITE_URL = site_url(os.environ.get("SITE_URL"), DEBUG, ALLOWED_HOSTS)
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "markdownx",
    # Help rules edited inside their side effect on a drug's admin page.
    "nested_admin",
    "simple_history",
    "csp",
    "axes",
    "drugs",
]

MIDDLEWARE = [
    # Outermost, so the logged duration covers everything, redirects included.
    "meds_site.middleware.RequestLogMiddleware",
    # Above every middleware that only adds headers or handles non-page paths: a stored page
    # keeps the headers they gave it, so a hit replays them without running them again.
    "drugs.page_cache.PublicPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so static files get the same headers as pages.
    "csp.middleware.CSPMiddleware",
    "meds_site.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Below the page cache, so a cached page is served when the database is down: a view
    # that hits the outage answers 503 (meds_site.errors does it for the middleware above).
    "meds_site.outage.DatabaseOutageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "meds_site.urls"
WSGI_APPLICATION = "meds_site.wsgi.application"

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
                "drugs.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        # A "SELECT 1" before each request's first query: one extra round trip per request,
        # in exchange for never failing a request on a connection the server has dropped.
        conn_health_checks=envbool("DB_CONN_HEALTH_CHECKS", True),
    )
}
# --- Database timeouts ---------------------------------------------------------------------
# Without them a hung database is a total outage: every request waits for ever, gunicorn
# kills the workers and their replacements hang again. With them a request fails fast with
# the 503 page (meds_site.outage) and cached pages keep being served.
# PostgreSQL waits at least 2 s for a connection (libpq raises anything lower to 2).
DB_CONNECT_TIMEOUT = envint("DB_CONNECT_TIMEOUT", 2)
if DB_CONNECT_TIMEOUT < 2:
    raise ImproperlyConfigured(
        f"DB_CONNECT_TIMEOUT={os.environ['DB_CONNECT_TIMEOUT']!r}: use a whole number of"
        " seconds of 2 or more (PostgreSQL's minimum)."
    )
# The longest one statement may run on PostgreSQL; 0 for no limit (e.g. a one-off long task).
DB_STATEMENT_TIMEOUT = envseconds("DB_STATEMENT_TIMEOUT", 5)
# Web requests also stop waiting for a PostgreSQL server that has gone silent (stopped, cut
# off: it cannot enforce its own statement timeout) after this long; 0 for never.
DB_READ_TIMEOUT = envseconds(
    "DB_READ_TIMEOUT", DB_STATEMENT_TIMEOUT + 1 if DB_STATEMENT_TIMEOUT else 0
)
if DB_READ_TIMEOUT and DB_STATEMENT_TIMEOUT and DB_READ_TIMEOUT <= DB_STATEMENT_TIMEOUT:
    raise ImproperlyConfigured(
        f"DB_READ_TIMEOUT={os.environ['DB_READ_TIMEOUT']!r}: make it longer than"
        f" DB_STATEMENT_TIMEOUT ({DB_STATEMENT_TIMEOUT:g}), so the server cancels a slow"
        " statement itself and the connection stays usable."
    )
# How long SQLite waits for another process's write lock (an import) before "database is locked".
DB_SQLITE_BUSY_TIMEOUT = envseconds("DB_SQLITE_BUSY_TIMEOUT", 5)
_database_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _database_options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    if DB_STATEMENT_TIMEOUT:
        _server_options = _database_options.get("options", "")
        _database_options["options"] = (
            f"{_server_options} -c statement_timeout={round(DB_STATEMENT_TIMEOUT * 1000)}".strip()
        )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _database_options.setdefault("timeout", DB_SQLITE_BUSY_TIMEOUT)
    # WAL: readers never wait for a writer, so pages keep being served during an import.
    # IMMEDIATE: a write transaction takes the lock at its start, where SQLite honours the busy
    # timeout, instead of failing at once when a read inside it turns into a write.
    _database_options.setdefault("init_command", "PRAGMA journal_mode=WAL;")
    _database_options.setdefault("transaction_mode", "IMMEDIATE")
# How long /healthz waits for the database before answering 503 (meds_site.health).
HEALTH_CHECK_TIMEOUT = envseconds("HEALTH_CHECK_TIMEOUT", 0.8)
# What a 503 from a database outage asks clients to wait before trying again.
OUTAGE_RETRY_AFTER = envint("OUTAGE_RETRY_AFTER", 30)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served at the site's root by WhiteNoise: /favicon.ico, which browsers ask for on every page.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The monographs the import and export commands read and write by default.
CONTENT_DIR = BASE_DIR / "content"

# The local 24-hour line shown on the "when to get help" cards; empty means the
# cards tell people to use the number their own team gave them.
HELPLINE_NUMBER = os.environ.get("HELPLINE_NUMBER", "").strip()

# The editor's preview renders through our sanitising function, never markdownx's default.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "drugs.markdown.render_markdown"
MARKDOWNX_UPLOAD_MAX_SIZE = 0
MARKDOWNX_UPLOAD_CONTENT_TYPES = []

# --- Security -----------------------------------------------------------------------------
# `manage.py check --deploy --fail-level WARNING` passes with DEBUG off and these defaults.

# Behind a TLS-terminating proxy that redirects itself, or on loopback, set SECURE_SSL_REDIRECT=0.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Only when the proxy always sets X-Forwarded-Proto: otherwise a client could claim HTTPS.
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Handout links carry a patient's name in the query string: never send a URL to another site.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# The site ships no script that reads the CSRF cookie.
CSRF_COOKIE_HTTPONLY = True
# Sent by meds_site.middleware.SecurityHeadersMiddleware: the site needs none of these features.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), picture-in-picture=(), publickey-credentials-get=(), usb=(), "
    "browsing-topics=(), interest-cohort=()"
)
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"

# No inline script or style anywhere. Templates that ever need an inline script use
# nonce="{{ request.csp_nonce }}"; the nonce only enters the header when a page asks for it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# The admin lives here (no leading slash, one trailing slash); move it off the guessable default.
ADMIN_PATH = os.environ.get("ADMIN_PATH", "admin/").strip().strip("/") + "/"
if ADMIN_PATH == "/":
    raise ImproperlyConfigured("ADMIN_PATH must not be empty.")

# Login rate limit (django-axes): lock a client out after this many failures in a row.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
# Log only what the lockout uses (the address), without a start-up banner on every command.
AXES_VERBOSE = False
# Behind proxies, the client's address is read from X-Forwarded-For (see TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "meds_site.middleware.client_ip"
# How many proxies in front of the app append to X-Forwarded-For; 0 means none (use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)

# --- Caching -------------------------------------------------------------------------------
# Redis when REDIS_URL is set (shared by every worker and server); local memory otherwise.
# Either way, pages are invalidated through the content version in the database (drugs.page_cache).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# A hung Redis must cost a request at most these, not 5 s per call (redis-py's default).
REDIS_CONNECT_TIMEOUT = envseconds("REDIS_CONNECT_TIMEOUT", 0.2, minimum=0.01)
REDIS_SOCKET_TIMEOUT = envseconds("REDIS_SOCKET_TIMEOUT", 0.2, minimum=0.01)
# After a failed call, each worker skips the cache (every read a miss) for this long, logging
# once, instead of waiting for a dead Redis on every request (meds_site.cache).
CACHE_BREAKER_SECONDS = envseconds("CACHE_BREAKER_SECONDS", 10)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "meds_site.cache.GuardedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "meds",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "meds"}
    }
# Whole responses of public pages, for anonymous visitors.
PAGE_CACHE_ENABLED = envbool("PAGE_CACHE_ENABLED", True)
# How long a rendered page stays in the cache; a publish makes it unreachable at once anyway.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 3600)
# Pages each worker keeps in its own memory, in front of Redis when there is one (0 keeps none,
# and leaves every page to Django's cache). Only these can be sent before Django runs.
PAGE_CACHE_LOCAL_ENTRIES = envint("PAGE_CACHE_LOCAL_ENTRIES", 200)
if PAGE_CACHE_LOCAL_ENTRIES < 0:
    raise ImproperlyConfigured(
        f"PAGE_CACHE_LOCAL_ENTRIES={PAGE_CACHE_LOCAL_ENTRIES}: use 0 or more pages."
    )
# Browsers and CDNs may reuse a page this long without asking; 0 makes them revalidate every
# time (cheap: a 304 from the cache), so nobody reads a page older than the last publish.
PAGE_CACHE_MAX_AGE = envint("PAGE_CACHE_MAX_AGE", 0)

# --- Page cache: how soon a publish reaches readers (drugs.page_cache; README) ---------------
# Each worker reuses its last read of the content version for at most this many ms, so a cached
# hit costs no database round trip; a publish reaches every worker within it (the publishing
# worker at once), whatever happens to Redis. The product decision is "within 1 second", so
# more than 1000 is refused. 0 reads the version on every hit (a round trip each).
PAGE_CACHE_VERSION_REUSE_MS = envint("PAGE_CACHE_VERSION_REUSE_MS", 500)
if not 0 <= PAGE_CACHE_VERSION_REUSE_MS <= 1000:
    raise ImproperlyConfigured(
        f"PAGE_CACHE_VERSION_REUSE_MS={PAGE_CACHE_VERSION_REUSE_MS} is outside 0-1000: a publish"
        " must reach every reader within 1 second."
    )
# --- end of the page cache's bound --------------------------------------------------------
# URL namespaces whose pages are cached, and the query parameters each view may be cached by
# (any other query string, e.g. a handout's patient name, bypasses the cache).
PAGE_CACHE_NAMESPACES = ["drugs"]
PAGE_CACHE_QUERY_PARAMETERS = {
    "drugs:search": ["q", "page"],
    "drugs:api_search": ["q", "limit", "page"],
}

# Mounts the constant-response view that bench/http.py compares pages against.
BENCH_BASELINE = envbool("BENCH_BASELINE", False)

# --- Logging -------------------------------------------------------------------------------
# One JSON line per request from meds_site.middleware.RequestLogMiddleware, without query strings.
LOG_REQUESTS = envbool("LOG_REQUESTS", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "bare": {"format": "%(message)s"},
        "one_line": {"()": "meds_site.logs.OneLineFormatter", "format": "%(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "requests": {"class": "logging.StreamHandler", "formatter": "bare"},
        "one_line": {"class": "logging.StreamHandler", "formatter": "one_line"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "meds_site.requests": {"handlers": ["requests"], "level": "INFO", "propagate": False},
        # Scanners send a bad Host header all day: the message names the host, a 1 KB
        # traceback of Django's own code adds nothing.
        "django.security.DisallowedHost": {
            "handlers": ["one_line"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
