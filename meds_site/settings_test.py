"""Test settings: only what the tests need differs from production settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# Canonical links and the sitemap name this, never the test client's host.
os.environ.setdefault("SITE_URL", "https://meds.example.org")

from meds_site.settings import *  # noqa: E402,F403
from meds_site.settings import STORAGES  # noqa: E402

# Tests render pages without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HELPLINE_NUMBER = ""
# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False
# Client.login() passes no request, which django-axes refuses; the rate-limit tests turn it on.
AXES_ENABLED = False
# Every request reads the content version, so query counts never depend on how fast a test runs;
# tests/test_cache.py runs the production bound with a clock it controls.
PAGE_CACHE_VERSION_REUSE_MS = 0
# Pages live in Django's cache, which tests can empty; tests of each worker's own memory (and of
# the front door, which sends only what it holds) give it a LocalPages of their own.
PAGE_CACHE_LOCAL_ENTRIES = 0
