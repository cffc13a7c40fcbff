import logging
import os
import pickle
import shutil
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
CHROMIUM = "/usr/bin/chromium"
# Flags for Debian's Chromium in this sandbox: without the networking ones it keeps
# trying to reach Google and the closed network refuses it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip with a reason on a laptop; CI runs them in its PostgreSQL pass."""
    if connection.vendor == "postgresql":
        return
    if running_in_ci():
        # .ci/run runs the suite again on PostgreSQL, where these run; never skip them silently.
        kept = [item for item in items if "postgres" not in item.keywords]
        config.hook.pytest_deselected(items=[i for i in items if "postgres" in i.keywords])
        items[:] = kept
        return
    reason = "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/meds"
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def require_tool(path_or_name: str, why: str) -> str:
    """Return the tool's path; skip without it on a laptop, fail without it in CI."""
    found = shutil.which(path_or_name)
    if found:
        return found
    message = f"{path_or_name} is not installed ({why})"
    if running_in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; never `playwright install`."""
    require_tool(CHROMIUM, "apt-get install chromium")
    # Playwright's sync API runs an event loop; live_server tests still use the ORM.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def fixture_content(tmp_path):
    """A private copy of the small test content set, safe to edit in a test."""
    target = tmp_path / "content"
    target.mkdir()
    for path in FIXTURE_CONTENT.iterdir():
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return target


@pytest.fixture
def content(db, fixture_content):
    """The small test content set imported from a private copy."""
    call_command("import_monographs", str(fixture_content), verbosity=0)
    return fixture_content


@pytest.fixture
def drug_url():
    """The test content's drug page."""
    from django.urls import reverse

    return reverse("drugs:detail", kwargs={"slug": "exampleamide"})


@pytest.fixture
def real_content(db):
    """The project's real monographs, imported."""
    call_command("import_monographs", verbosity=0)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: no page, counter or lockout left by another."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def editor(db):
    from tests.factories import StaffUserFactory

    return StaffUserFactory(username="editor", groups=["Editors"])


@pytest.fixture
def reviewer(db):
    from tests.factories import StaffUserFactory

    return StaffUserFactory(username="reviewer", groups=["Clinical reviewers"])


@pytest.fixture
def imported_fixture(db, django_capture_on_commit_callbacks):
    """The small test content set imported, with its history snapshots written."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_monographs", str(FIXTURE_CONTENT), verbosity=0)


@pytest.fixture
def every_log_line():
    """Every record any logger writes during a test, the request log included."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield lines
    for lg, level in levels:
        lg.removeHandler(handler)
        lg.setLevel(level)


def cache_contents() -> bytes:
    """Everything the page cache and Django's caches hold, keys and values, as bytes."""
    from drugs.page_cache import local_pages

    held = [repr(list(local_pages.entries.items())).encode()]
    for cache in caches.all():
        store = getattr(cache, "_cache", {})
        held += [repr(key).encode() + pickle.dumps(value) for key, value in store.items()]
    return b"".join(held)
