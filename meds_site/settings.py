"""Settings for the medication guide, read from the environment with strict parsing."""

import datetime
import os
from pathlib import Path

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


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only for local development with DEBUG=1; never used in production.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "markdownx",
    "simple_history",
    "csp",
    "axes",
    "drugs",
]

MIDDLEWARE = [
    # Outermost, so the logged duration covers everything, redirects included.
    "meds_site.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so static files get the same headers as pages.
    "csp.middleware.CSPMiddleware",
    "meds_site.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # After CommonMiddleware (slash redirects) and before anything that reads the user.
    "drugs.page_cache.PublicPageCacheMiddleware",
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
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "meds",
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
# Pages each worker also keeps in its own memory, in front of Redis (0 to keep none).
PAGE_CACHE_LOCAL_ENTRIES = envint("PAGE_CACHE_LOCAL_ENTRIES", 200 if REDIS_URL else 0)
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
PAGE_CACHE_QUERY_PARAMETERS = {"drugs:search": ["q"], "drugs:api_search": ["q", "limit"]}

# Mounts the constant-response view that bench/http.py compares pages against.
BENCH_BASELINE = envbool("BENCH_BASELINE", False)

# --- Logging -------------------------------------------------------------------------------
# One JSON line per request from meds_site.middleware.RequestLogMiddleware, without query strings.
LOG_REQUESTS = envbool("LOG_REQUESTS", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"bare": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "requests": {"class": "logging.StreamHandler", "formatter": "bare"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "meds_site.requests": {"handlers": ["requests"], "level": "INFO", "propagate": False},
    },
}
