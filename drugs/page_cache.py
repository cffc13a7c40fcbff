"""Whole-page cache for anonymous visitors, keyed by a content version in the database.

Every save or delete of content bumps `ContentVersion` inside the same transaction (signals,
plus an explicit bump after the importer's bulk writes). Cache keys include the version, so a
publish makes the old pages unreachable for every worker that has read the new version: the
publishing worker at once, every other within PAGE_CACHE_VERSION_REUSE_MS, because each reads
the version at most once per that time and a hit costs no database round trip (README: "How
soon a publish reaches readers"). Keys also include a digest of the code and templates, so a
deploy never serves pages rendered by the previous release. A page is compressed once, when it
enters the cache; pages with a CSRF token or a cookie are never stored, so never compressed.
A page the worker holds in memory is sent by the front door (FrontDoor, around the whole WSGI
application) before Django runs at all, under the same bound.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import logging
import threading
from collections import OrderedDict
from functools import cache as memoize
from functools import lru_cache
from pathlib import Path
from time import monotonic, perf_counter
from types import SimpleNamespace
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, URLResolver, get_resolver
from django.utils import timezone
from django.utils.cache import get_conditional_response, has_vary_header, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date

from drugs.models import ContentVersion
from meds_site.middleware import log_request

try:
    import brotli
except ImportError:  # gzip only; WhiteNoise likewise skips .br files for static files
    brotli = None

logger = logging.getLogger(__name__)

VERSION_PK = 1
# Rows of the drugs app that never appear on a public page: saving them must not empty the cache.
# A shared change waiting for review and the workflow's record are not what patients see:
# publishing a change saves the shared object itself, which does make pages stale.
NOT_CONTENT = {
    "drugs.feedback",
    "drugs.contentversion",
    "drugs.clinicalsignoff",
    "drugs.sharedchange",
    "drugs.workflowevent",
}
# Cookies that can change what a page shows: their holders get a freshly rendered page.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")
# Response headers never replayed from the cache.
UNSTORED_HEADERS = {"content-length", "set-cookie"}


class LocalPages:
    """The most recently used pages (or other values of one content version), in this process.

    Safe without invalidation because a key names one content version of one release:
    it can only ever hold the same page. Saves a round trip to Redis on most hits. Locked, as
    GUNICORN_THREADS may give a worker several threads.
    """

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def get_or_make(self, key, make):
        """The value kept under key, or make()'s, kept for next time (None included)."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = make()
        self.set(key, value)
        return value

    def set(self, key, entry) -> None:
        if not self.size:
            return
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


local_pages = LocalPages(settings.PAGE_CACHE_LOCAL_ENTRIES)
# What the front door (FrontDoor) knows: a request's raw WSGI details -> (identity, path), as the
# middleware worked them out for a page it stored or found. Several spellings of one page
# (tracking tags) share its identity; requests for pages never stored are not kept, so random
# searches cannot push real pages out.
known_requests = LocalPages(4 * settings.PAGE_CACHE_LOCAL_ENTRIES)


# Where pages are shared between workers: Django's default cache (tests put stand-ins here).
cache = default_cache


def _shared_cache():
    """The cache pages are shared through, or None when it is only this process's memory and
    local_pages is on: keeping every page twice in one worker buys nothing."""
    if (
        local_pages.size
        and cache is default_cache
        and isinstance(caches[DEFAULT_CACHE_ALIAS], LocMemCache)
    ):
        return None
    return cache


# --- the content version -------------------------------------------------------------------


VERSION_SQL = f"SELECT version, changed_at FROM {ContentVersion._meta.db_table} WHERE id = %s"


class Version(NamedTuple):
    """A content version as a token for cache keys, and when it was made (for Last-Modified)."""

    token: str
    changed_at: float  # seconds since the epoch; 0 before any save


def database_version() -> Version:
    """The content version in the database; token "0" before any save.

    The time of the last bump is part of the token, so a database restored from a backup, or a
    test's fresh database, never meets pages cached under the same number for other content.
    """
    # Plain SQL: the ORM would double the cost of a read made several times a second.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL, [VERSION_PK])
        row = cursor.fetchone()
    if not row:
        return Version("0", 0.0)
    number, changed_at = row
    # SQLite gives the time as text, PostgreSQL as a datetime.
    if isinstance(changed_at, str):
        changed_at = parse_datetime(changed_at)
    if timezone.is_naive(changed_at):
        changed_at = timezone.make_aware(changed_at, datetime.UTC)
    stamp = changed_at.timestamp()
    return Version(f"{number}.{stamp:.6f}", stamp)


# (version, monotonic() just before it was read) of this process's last read; replaced whole,
# so threads never see half an update. None: read the database on the next call.
_last_read: tuple[Version | None, float] = (None, 0.0)


def reused_version() -> Version | None:
    """This process's last read of the version while it is within the bound, else None."""
    version, read_at = _last_read
    if version is None or settings.PAGE_CACHE_VERSION_REUSE_MS <= 0:
        return None
    if 0 <= monotonic() - read_at < settings.PAGE_CACHE_VERSION_REUSE_MS / 1000:
        return version
    return None


def current_version() -> Version:
    """The version cache keys are built from: this process's last read while it is younger than
    PAGE_CACHE_VERSION_REUSE_MS (so a hit costs no database round trip), else the database's."""
    global _last_read
    if settings.PAGE_CACHE_VERSION_REUSE_MS <= 0:
        return database_version()
    version = reused_version()
    if version is not None:
        return version
    # Timed from before the read: the row read is at least as new as that moment, so no page
    # is served from a version older than the bound. Nothing but the clock and the database
    # decides, so a lost message or a cache outage cannot stretch it.
    now = monotonic()
    held = _last_read[0]
    try:
        version = database_version()
    except DatabaseError:
        if held is None:
            raise
        # The database takes every write, so while it cannot be read nobody can publish
        # either: the version in hand is still the latest. Try again after another bound.
        logger.warning("content version unreadable: serving pages of %s", held.token)
        version = held
    _last_read = (version, now)
    return version


def content_version() -> str:
    """The current content version's token (see current_version)."""
    return current_version().token


def forget_version() -> None:
    """Read the version from the database on the next call, whatever the reuse bound."""
    global _last_read
    _last_read = (None, 0.0)


def bump_content_version() -> None:
    """Make every cached page stale; call after writes that send no signals (bulk_create)."""
    updated = ContentVersion.objects.filter(pk=VERSION_PK).update(
        version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:
        ContentVersion.objects.get_or_create(pk=VERSION_PK, defaults={"version": 1})
    # The worker that made the change sees it at once, whatever the reuse bound: its connection
    # already sees the new row. (With GUNICORN_THREADS above 1, a sibling thread that read the
    # version before the commit is like another worker: it sees the change within the bound.)
    forget_version()


def _content_changed(sender, **kwargs) -> None:
    # Bumped inside the writer's transaction, so the new version and the new content become
    # visible together. Deliberately once per row, not once per transaction: a reader on the
    # same connection (a test, a view that saves then renders) must see each change too.
    if sender._meta.app_label == "drugs" and sender._meta.label_lower not in NOT_CONTENT:
        bump_content_version()


def _relations_changed(sender, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _content_changed(sender, **kwargs)


def connect() -> None:
    post_save.connect(_content_changed, dispatch_uid="drugs.page_cache.save")
    post_delete.connect(_content_changed, dispatch_uid="drugs.page_cache.delete")
    m2m_changed.connect(_relations_changed, dispatch_uid="drugs.page_cache.m2m")


# --- keys ----------------------------------------------------------------------------------


def _release_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return [
        *sorted((base / "templates").rglob("*.html")),
        *sorted((base / "drugs").rglob("*.py")),
        *sorted((base / "drugs").rglob("*.html")),
        *sorted((base / "meds_site").rglob("*.py")),
        Path(settings.STATIC_ROOT) / "staticfiles.json",
    ]


@memoize
def release() -> str:
    """A digest of the code, templates and static manifest this process serves pages with."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for path in _release_files():
        if path.is_file():
            digest.update(
                str(path.relative_to(base) if path.is_relative_to(base) else path).encode()
            )
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@memoize
def release_changed_at() -> float:
    """When the newest file of this release was written: a deploy can change a page too."""
    return max((p.stat().st_mtime for p in _release_files() if p.is_file()), default=0.0)


# Tags that analytics and mail tools add to links: no view reads them, so they are dropped
# before the page is looked up or rendered, and ?utm_source=leaflet is the page itself.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "ref_src",
    }
)
TRACKING_PREFIXES = ("utm_",)


def is_tracking(name: str) -> bool:
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _public_query(request: HttpRequest, view_name: str) -> list[tuple[str, str]] | None:
    """The query parameters a page is cached by, or None when the query makes it uncacheable."""
    query = []
    # Only parameters a view declares: anything else (a handout's patient name) may be private.
    allowed = settings.PAGE_CACHE_QUERY_PARAMETERS.get(view_name, ())
    for name, values in request.GET.lists():
        if is_tracking(name):
            continue
        if name not in allowed or len(values) != 1:
            return None
        query.append((name, values[0]))
    return query


@lru_cache(maxsize=1024)
def _view_of(path_info: str, resolver: URLResolver) -> tuple[str, str] | None:
    """(namespace, view name) of a path, remembered: resolving costs a tenth of a hit."""
    try:
        match = resolver.resolve(path_info)
    except Resolver404:
        return None
    return match.namespace, match.view_name


def page_identity(request: HttpRequest) -> str | None:
    """What names this request's page within a content version, or None to render it afresh."""
    if not settings.PAGE_CACHE_ENABLED or request.method not in ("GET", "HEAD"):
        return None
    # Looked up before Django resolves the URL itself (a hit never gets that far). The resolver
    # is part of the memo's key, so a changed ROOT_URLCONF (tests) is never answered from it.
    view = _view_of(request.path_info, get_resolver(getattr(request, "urlconf", None)))
    if view is None or view[0] not in settings.PAGE_CACHE_NAMESPACES:
        return None
    if any(name in request.COOKIES for name in PERSONAL_COOKIES):
        return None
    query = _public_query(request, view[1]) if request.META.get("QUERY_STRING") else []
    if query is None:
        return None
    # The scheme too: a page rendered for plain http carries http:// links.
    identity = repr((request.scheme, request.get_host(), request.path, sorted(query)))
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def page_key(request: HttpRequest) -> str | None:
    """The cache key of this request's page, or None when it must be rendered afresh."""
    identity = page_identity(request)
    return None if identity is None else _key(identity, current_version())


def _key(identity: str, version: Version) -> str:
    return f"page:{release()}:{version.token}:{identity}"


def _drop_tracking(request: HttpRequest) -> None:
    """Remove tracking tags from the request, so the page rendered is the one cached for all."""
    if not any(is_tracking(name) for name in request.GET):
        return
    kept = [(n, v) for n, values in request.GET.lists() if not is_tracking(n) for v in values]
    query_string = urlencode(kept)
    request.META["QUERY_STRING"] = query_string
    request.GET = QueryDict(query_string)


class Variants:
    """How many pages with a query string this process has stored per path, per version.

    Any number of search words can be asked for: past the limit a path's further variants are
    still answered, just not stored, so random queries cannot push real pages out of the cache.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.version = ""
        self.counts: dict[str, int] = {}

    def admit(self, version: str, path: str) -> bool:
        if version != self.version:
            self.version, self.counts = version, {}
        count = self.counts.get(path, 0)
        if count >= self.limit:
            return False
        self.counts[path] = count + 1
        return True


# Per worker: with 5 workers, at most 5 x 200 stored searches per content version.
MAX_VARIANTS_PER_PATH = 200
variants = Variants(MAX_VARIANTS_PER_PATH)


# --- compression ---------------------------------------------------------------------------

# Measured on 48.5 KB of monograph text: quality 10 takes about 15 ms and is within 3% of quality 11's
# size (37 ms); it runs once per page and version, when the page enters the cache.
BROTLI_QUALITY = 10
# Below this, a compressed body saves less than its headers cost.
MIN_COMPRESSED_BYTES = 256
COMPRESSIBLE_TYPES = ("text/", "application/json", "application/xml", "image/svg+xml")
# Preferred first when the browser gives codings the same quality.
CODINGS = ("br", "gzip") if brotli else ("gzip",)


def compressed_bodies(body: bytes, content_type: str) -> dict[str, bytes]:
    """The body as sent to each content coding worth having: "identity", "gzip", "br"."""
    bodies = {"identity": body}
    if len(body) < MIN_COMPRESSED_BYTES or not content_type.startswith(COMPRESSIBLE_TYPES):
        return bodies
    # mtime=0: the same page gives the same bytes (and ETag) on every worker.
    candidates = {"gzip": gzip.compress(body, compresslevel=9, mtime=0)}
    if brotli:
        candidates["br"] = brotli.compress(body, quality=BROTLI_QUALITY)
    bodies.update((c, b) for c, b in candidates.items() if len(b) < len(body))
    return bodies


@lru_cache(maxsize=256)
def accepted_codings(accept_encoding: str) -> tuple[str, ...]:
    """The codings of CODINGS this Accept-Encoding allows, best first; q=0 refuses one."""
    qualities: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        name, *params = (part.strip() for part in item.split(";"))
        if not name:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0  # unreadable: never send what may have been refused
        qualities["gzip" if name == "x-gzip" else name] = max(0.0, min(quality, 1.0))
    wildcard = qualities.get("*", 0.0)
    ranked = [(qualities.get(c, wildcard), -i, c) for i, c in enumerate(CODINGS)]
    return tuple(c for q, _, c in sorted(ranked, reverse=True) if q > 0)


# --- the middleware ------------------------------------------------------------------------


class Page(NamedTuple):
    """A cached page: for each content coding its body and headers, validators included."""

    codings: dict[str, tuple[bytes, dict[str, str]]]
    changed_at: int  # Last-Modified: the content version's time, or the release's if newer


# A request carrying none of these needs no conditional check.
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        # A CSRF token or any other cookie belongs to one visitor: such pages are never stored,
        # so never compressed either (BREACH needs a secret in a compressed body).
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not has_vary_header(response, "Cookie")
        and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
        and not response.has_header("Content-Encoding")
        # A nonce must be new on every response; a page that used one cannot be replayed.
        and getattr(request, "_csp_nonce", None) is None
    )


def _make_page(request: HttpRequest, response: HttpResponse) -> Page:
    """The response as stored: every header a hit sends is worked out here, once."""
    patch_vary_headers(response, ("Accept-Encoding",))
    body = response.content
    stored = {k: v for k, v in response.items() if k.lower() not in UNSTORED_HEADERS}
    digest = hashlib.md5(body, usedforsecurity=False).hexdigest()
    changed_at = int(max(request.page_cache_version.changed_at, release_changed_at()))
    codings = {}
    for coding, coded in compressed_bodies(body, response.get("Content-Type", "")).items():
        headers = {
            **stored,
            "Content-Length": str(len(coded)),
            "Last-Modified": http_date(changed_at),
        }
        if coding == "identity":
            headers["ETag"] = f'"{digest}"'
        else:
            # Each coding is its own representation, with its own strong validator.
            headers["Content-Encoding"] = coding
            headers["ETag"] = f'"{digest}-{coding}"'
        codings[coding] = (coded, headers)
    return Page(codings, changed_at)


def _coded(page: Page, accept_encoding: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the best coding of the page that the client accepts."""
    accepted = accepted_codings(accept_encoding)
    return page.codings[next((c for c in accepted if c in page.codings), "identity")]


def _cache_control() -> str:
    return f"public, max-age={settings.PAGE_CACHE_MAX_AGE}, must-revalidate"


def _respond(request: HttpRequest, page: Page) -> HttpResponse:
    """The page in the best coding the client accepts, or 304 if the client's copy is current."""
    body, headers = _coded(page, request.META.get("HTTP_ACCEPT_ENCODING", ""))
    # HEAD: the headers of the GET, its Content-Length included, and no body.
    response = HttpResponse(b"" if request.method == "HEAD" else body, headers=headers)
    response["Cache-Control"] = _cache_control()
    if not any(name in request.META for name in CONDITIONAL_HEADERS):
        return response
    return get_conditional_response(
        request, etag=headers["ETag"], last_modified=page.changed_at, response=response
    )


def _tell_front_door(request: HttpRequest) -> None:
    """File a request that came through the front door under the page it named."""
    signature = request.META.get(SIGNATURE)
    if signature is not None:
        known_requests.set(signature, (request.page_cache_identity, request.path))


class PublicPageCacheMiddleware:
    """Serve anonymous GETs and HEADs of public pages from the cache; store what is safe to share.

    A hit is answered before the middleware below this one and the view run, as Django's own
    FetchFromCacheMiddleware does: CSRF, sessions' users and messages play no part in a page
    that is the same for every visitor, and their headers were stored with it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hit = self.lookup(request)
        if hit is not None:
            return hit
        key = getattr(request, "page_cache_key", None)
        if key is None:
            return self.get_response(request)
        head = request.method == "HEAD"
        if head:
            # A HEAD is the GET without its body (RFC 9110 9.3.2): rendered as one, so views
            # that allow only GET answer it too, and stored like one.
            request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            if head:
                request.method = "HEAD"
        # Past the limit a variant is sent as rendered: compressing it would cost every such
        # request as much CPU as a stored page costs once.
        if not _storable(request, response) or (
            request.GET and not variants.admit(request.page_cache_version.token, request.path)
        ):
            request.page_cache = "skip"
            return response
        page = _make_page(request, response)
        local_pages.set(key, page)
        _tell_front_door(request)
        shared = _shared_cache()
        try:
            if shared is not None:
                shared.set(key, page, settings.PAGE_CACHE_SECONDS)
        except Exception:
            # A cache outage slows the site down; it must not take it down.
            logger.warning(
                "page cache unavailable: could not store %s", request.path, exc_info=True
            )
        return _respond(request, page)

    def lookup(self, request) -> HttpResponse | None:
        """The cached page for this request, or None (then request.page_cache says why)."""
        identity = page_identity(request)
        if identity is None:
            return None
        request.page_cache_identity = identity
        if request.META.get("QUERY_STRING"):
            _drop_tracking(request)
        version = current_version()
        key = _key(identity, version)
        request.page_cache_key = key
        request.page_cache_version = version
        page = local_pages.get(key)
        shared = _shared_cache()
        if page is None and shared is not None:
            try:
                page = shared.get(key)
            except Exception:
                logger.warning(
                    "page cache unavailable: could not read %s", request.path, exc_info=True
                )
            if page is not None:
                local_pages.set(key, page)
        if page is None:
            request.page_cache = "miss"
            return None
        request.page_cache = "hit"
        _tell_front_door(request)
        return _respond(request, page)


# --- the front door: hits answered before Django runs ------------------------------------

# Everything in a WSGI environ that page_identity() reads, apart from the method and cookies:
# the scheme (and the proxy's word on it), the host in each form Django may take it from, the
# path and the query. Raw, as the server gave them, before Django rewrites any.
SIGNATURE_KEYS = (
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_HOST",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "SCRIPT_URL",
    "REDIRECT_URL",
    "PATH_INFO",
    "QUERY_STRING",
)
# Where the front door leaves a request's signature for the middleware to file its identity under.
SIGNATURE = "meds.page_cache.signature"


def _signature(environ: dict) -> tuple:
    keys = SIGNATURE_KEYS
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header and proxy_header[0] not in keys:
        keys = (*keys, proxy_header[0])
    return tuple(map(environ.get, keys))


class FrontDoor:
    """WSGI wrapper: a page this worker holds in memory is sent before Django runs at all.

    On a hit, Django's request and response objects and its handler cost more than the rest
    of the work. So the middleware files each request's raw WSGI details under the page they
    name (known_requests), and the next request with the same details is answered here: only
    while the worker's content version is within its bound (no database round trip, and never
    an older page than the middleware would serve), with the page in local memory, for a GET
    or HEAD without a session or messages cookie. Anything else goes to Django unchanged.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        started = perf_counter()
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or not settings.PAGE_CACHE_ENABLED:
            return self.application(environ, start_response)
        cookies = environ.get("HTTP_COOKIE")
        # A substring test is enough: at worst a cookie merely named like one goes to Django.
        if cookies and any(name in cookies for name in PERSONAL_COOKIES):
            return self.application(environ, start_response)
        signature = _signature(environ)
        answer = self.answer(environ, method, signature)
        if answer is None:
            environ[SIGNATURE] = signature
            return self.application(environ, start_response)
        status, headers, body, path = answer
        start_response(status, headers)
        if settings.LOG_REQUESTS:
            log_request(method, path, int(status[:3]), started, "hit")
        return [body]

    @staticmethod
    def answer(environ: dict, method: str, signature: tuple):
        """(status, headers, body, path) of the hit, or None to let Django answer."""
        version = reused_version()
        known = known_requests.get(signature) if version is not None else None
        if known is None:
            return None
        identity, path = known
        page = local_pages.get(_key(identity, version))
        if page is None:
            return None
        if any(name in environ for name in CONDITIONAL_HEADERS):
            # A revalidation (with the default max-age of 0, browsers send one each visit): the
            # middleware's own answer, 304 or 412 rules included, needs only META and method.
            response = _respond(SimpleNamespace(META=environ, method=method), page)
            status = f"{response.status_code} {response.reason_phrase}"
            return status, list(response.items()), response.content, path
        body, headers = _coded(page, environ.get("HTTP_ACCEPT_ENCODING", ""))
        headers = [*headers.items(), ("Cache-Control", _cache_control())]
        return "200 OK", headers, b"" if method == "HEAD" else body, path
