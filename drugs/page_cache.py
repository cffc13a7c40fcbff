"""Whole-page cache for anonymous visitors, invalidated by a content version in the database.

Every save or delete of content bumps `ContentVersion` inside the same transaction (signals,
plus an explicit bump after the importer's bulk writes). Cache keys include the version, so a
publish makes every cached page unreachable the moment it commits, on every worker and server,
whatever the cache backend (unless PAGE_CACHE_VERSION_REUSE_MS lets workers reuse a read for a
while: see content_version). Keys also include a digest of the code and templates, so a deploy
never serves pages rendered by the previous release.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, has_vary_header
from django.utils.http import http_date

from drugs.models import ContentVersion

logger = logging.getLogger(__name__)

VERSION_PK = 1
# Rows of the drugs app that never appear on a public page: saving them must not empty the cache.
NOT_CONTENT = {"drugs.feedback", "drugs.contentversion", "drugs.clinicalsignoff"}
# Cookies that can change what a page shows: their holders get a freshly rendered page.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")
# Response headers never replayed from the cache.
UNSTORED_HEADERS = {"content-length", "set-cookie"}


class LocalPages:
    """The most recently used pages (or other values of one content version), in this process.

    Safe without invalidation because a key names one content version of one release:
    it can only ever hold the same page. Saves a round trip to Redis on most hits.
    """

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def get_or_make(self, key, make):
        """The value kept under key, or make()'s, kept for next time."""
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        value = make()
        self.set(key, value)
        return value

    def set(self, key, entry) -> None:
        if not self.size:
            return
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()


local_pages = LocalPages(settings.PAGE_CACHE_LOCAL_ENTRIES)


# --- the content version -------------------------------------------------------------------


VERSION_SQL = f"SELECT version, changed_at FROM {ContentVersion._meta.db_table} WHERE id = %s"


def database_version() -> str:
    """The content version in the database, as a token for cache keys; "0" before any save.

    The time of the last bump is part of it, so a database restored from a backup, or a
    test's fresh database, never meets pages cached under the same number for other content.
    """
    # Plain SQL: this runs on every cached hit, and the ORM would double its cost.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL, [VERSION_PK])
        row = cursor.fetchone()
    # SQLite gives the time as text, PostgreSQL as a datetime: either way, no spaces in keys.
    return f"{row[0]}.{row[1]}".replace(" ", "T") if row else "0"


# (token, time.monotonic() when read) of this process's last read, for
# PAGE_CACHE_VERSION_REUSE_MS; replaced whole, so threads never see half an update.
_last_read: tuple[str | None, float] = (None, 0.0)


def content_version() -> str:
    """The version that cache keys are built from: the database's, read on every call unless
    PAGE_CACHE_VERSION_REUSE_MS lets this process reuse its last read for a while."""
    global _last_read
    reuse_ms = settings.PAGE_CACHE_VERSION_REUSE_MS
    if reuse_ms <= 0:
        return database_version()
    token, read_at = _last_read
    now = time.monotonic()
    if token is None or (now - read_at) * 1000 >= reuse_ms:
        token = database_version()
        _last_read = (token, now)
    return token


def bump_content_version() -> None:
    """Make every cached page stale; call after writes that send no signals (bulk_create)."""
    global _last_read
    updated = ContentVersion.objects.filter(pk=VERSION_PK).update(
        version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:
        ContentVersion.objects.get_or_create(pk=VERSION_PK, defaults={"version": 1})
    # The process that made the change sees it at once, whatever the reuse setting.
    _last_read = (None, 0.0)


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


@memoize
def release() -> str:
    """A digest of the code, templates and static manifest this process serves pages with."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    files = [
        *sorted((base / "templates").rglob("*.html")),
        *sorted((base / "drugs").rglob("*.py")),
        *sorted((base / "drugs").rglob("*.html")),
        *sorted((base / "meds_site").rglob("*.py")),
        Path(settings.STATIC_ROOT) / "staticfiles.json",
    ]
    for path in files:
        if path.is_file():
            digest.update(
                str(path.relative_to(base) if path.is_relative_to(base) else path).encode()
            )
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def page_key(request: HttpRequest) -> str | None:
    """The cache key of this request's page, or None when it must be rendered afresh."""
    if not settings.PAGE_CACHE_ENABLED or request.method != "GET":
        return None
    # Looked up before Django resolves the URL itself (a hit never gets that far).
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    if match.namespace not in settings.PAGE_CACHE_NAMESPACES:
        return None
    if any(name in request.COOKIES for name in PERSONAL_COOKIES):
        return None
    query = []
    if request.GET:
        # Only parameters a view declares: anything else (a handout's patient name, tracking
        # tags) is either private or would fill the cache with copies of one page.
        allowed = settings.PAGE_CACHE_QUERY_PARAMETERS.get(match.view_name, ())
        for name, values in request.GET.lists():
            if name not in allowed or len(values) != 1:
                return None
            query.append((name, values[0]))
    identity = repr((request.get_host(), request.path, sorted(query)))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"page:{release()}:{content_version()}:{digest}"


# --- the middleware ------------------------------------------------------------------------


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        # A CSRF token or any other cookie belongs to one visitor.
        and not response.cookies
        and not has_vary_header(response, "Cookie")
        and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
        # A nonce must be new on every response; a page that used one cannot be replayed.
        and getattr(request, "_csp_nonce", None) is None
    )


def _finish(request: HttpRequest, response: HttpResponse, etag: str, stored_at: float):
    """Add the validators and Cache-Control, and answer 304 when the client's copy is current."""
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stored_at)
    response["Cache-Control"] = f"public, max-age={settings.PAGE_CACHE_MAX_AGE}, must-revalidate"
    return get_conditional_response(
        request, etag=etag, last_modified=int(stored_at), response=response
    )


class PublicPageCacheMiddleware:
    """Serve anonymous GETs of public pages from the cache; store what is safe to share.

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
        response = self.get_response(request)
        key = getattr(request, "page_cache_key", None)
        if key is None or request.page_cache != "miss":
            return response
        if not _storable(request, response):
            request.page_cache = "skip"
            return response
        digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        etag = f'"{digest}"'
        stored_at = time.time()
        headers = {k: v for k, v in response.items() if k.lower() not in UNSTORED_HEADERS}
        entry = (response.content, headers, etag, stored_at)
        local_pages.set(key, entry)
        try:
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
        except Exception:
            # A cache outage slows the site down; it must not take it down.
            logger.warning(
                "page cache unavailable: could not store %s", request.path, exc_info=True
            )
        return _finish(request, response, etag, stored_at)

    def lookup(self, request) -> HttpResponse | None:
        """The cached page for this request, or None (then request.page_cache says why)."""
        key = page_key(request)
        if key is None:
            return None
        request.page_cache_key = key
        entry = local_pages.get(key)
        if entry is None:
            try:
                entry = cache.get(key)
            except Exception:
                logger.warning(
                    "page cache unavailable: could not read %s", request.path, exc_info=True
                )
            if entry is not None:
                local_pages.set(key, entry)
        if entry is None:
            request.page_cache = "miss"
            return None
        request.page_cache = "hit"
        content, headers, etag, stored_at = entry
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        return _finish(request, response, etag, stored_at)
