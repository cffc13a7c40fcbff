"""The page cache's front door: hits this worker holds are sent before Django runs, and are the
same, byte for byte and header for header, as the hits the middleware sends."""

import json
import os
import subprocess
import sys
import wsgiref.util
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.template import engines
from django.test.utils import CaptureQueriesContext

from drugs import page_cache
from meds_site import settings as production
from meds_site import wsgi
from tests.test_cache import Clock, bound, publish_elsewhere


class Django:
    """Django's own WSGI handler, counting the requests that reach it."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


class Answer:
    """What a WSGI app sent: status line, headers in order, body."""

    def __init__(self, status: str, headers: list, body: bytes):
        self.status = status
        self.status_code = int(status[:3])
        self.headers = headers
        self.header = dict(headers)
        self.body = body


@pytest.fixture
def worker(monkeypatch, settings):
    """One worker's memory: its pages, the requests it knows, the version it last read."""
    settings.PAGE_CACHE_VERSION_REUSE_MS = production.PAGE_CACHE_VERSION_REUSE_MS
    monkeypatch.setattr(page_cache, "local_pages", page_cache.LocalPages(10))
    monkeypatch.setattr(page_cache, "known_requests", page_cache.LocalPages(40))
    clock = Clock()
    monkeypatch.setattr(page_cache, "monotonic", clock)
    page_cache.forget_version()
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield clock
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    page_cache.forget_version()


@pytest.fixture
def django_app():
    return Django()


@pytest.fixture
def front(django_app):
    return page_cache.FrontDoor(django_app)


def call(app, path: str, method: str = "GET", query: str = "", **headers) -> Answer:
    """One request through a WSGI app, as gunicorn would make it."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
    wsgiref.util.setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started.update(status=status, headers=response_headers)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Answer(started["status"], started["headers"], body)


@pytest.mark.django_db
class TestTheFrontDoor:
    def test_a_known_page_is_sent_without_django_or_the_database(
        self, front, django_app, content, drug_url, worker
    ):
        first = call(front, drug_url)
        with CaptureQueriesContext(page_cache.connection) as queries:
            second = call(front, drug_url)

        assert django_app.calls == 1
        assert queries.captured_queries == []
        assert second.status_code == first.status_code == 200
        assert second.body == first.body
        assert "Exampleamide" in second.body.decode()

    @pytest.mark.parametrize(
        "method,headers",
        [
            ("GET", {}),
            ("GET", {"accept_encoding": "gzip"}),
            ("GET", {"accept_encoding": "gzip, deflate, br"}),
            ("GET", {"accept_encoding": "br;q=0, gzip"}),
            ("HEAD", {}),
            ("HEAD", {"accept_encoding": "br"}),
        ],
    )
    def test_it_sends_what_the_middleware_sends(
        self, front, django_app, content, drug_url, worker, method, headers
    ):
        call(front, drug_url)  # stored, and this request's details filed
        from_middleware = call(django_app, drug_url, method, **headers)
        from_front = call(front, drug_url, method, **headers)

        assert django_app.calls == 2  # the front door answered the last one itself
        assert from_front.status == from_middleware.status
        assert from_front.headers == from_middleware.headers
        assert from_front.body == from_middleware.body
        assert "Content-Security-Policy" in from_front.header
        assert from_front.header["Vary"] == "Accept-Encoding"

    def test_a_current_copy_gets_the_middlewares_304(
        self, front, django_app, content, drug_url, worker
    ):
        etag = call(front, drug_url, accept_encoding="gzip").header["ETag"]
        from_middleware = call(django_app, drug_url, accept_encoding="gzip", if_none_match=etag)
        from_front = call(front, drug_url, accept_encoding="gzip", if_none_match=etag)

        assert django_app.calls == 2
        assert from_front.status_code == 304
        assert from_front.body == b""
        assert from_front.headers == from_middleware.headers
        assert from_front.header["ETag"] == etag

    def test_an_old_copy_gets_the_page(self, front, django_app, content, drug_url, worker):
        first = call(front, drug_url)
        answer = call(front, drug_url, if_none_match='"an-old-etag"')

        assert django_app.calls == 1
        assert answer.status_code == 200
        assert answer.body == first.body

    def test_tracking_tags_are_answered_at_the_door_after_one_visit(
        self, front, django_app, content, drug_url, worker
    ):
        call(front, drug_url)
        call(front, drug_url, query="utm_source=leaflet")
        tagged = call(front, drug_url, query="utm_source=leaflet")

        assert django_app.calls == 2
        assert tagged.status_code == 200
        assert "utm_source" not in tagged.body.decode()

    def test_each_search_is_its_own_page(self, front, django_app, content, worker):
        from django.urls import reverse

        search = reverse("drugs:search")
        call(front, search, query="q=tired")
        call(front, search, query="q=rash")
        again = call(front, search, query="q=tired")

        assert django_app.calls == 2
        assert "tired" in again.body.decode().lower()

    def test_searches_that_are_not_stored_cannot_push_pages_out(
        self, front, django_app, content, drug_url, worker, monkeypatch
    ):
        from django.urls import reverse

        monkeypatch.setattr(page_cache, "known_requests", page_cache.LocalPages(2))
        monkeypatch.setattr(page_cache, "variants", page_cache.Variants(0))  # none stored
        call(front, drug_url)
        for word in ("tired", "rash", "fever", "cough"):
            call(front, reverse("drugs:search"), query=f"q={word}")
        call(front, drug_url)

        assert django_app.calls == 5


@pytest.mark.django_db
class TestWhatTheFrontDoorLeavesToDjango:
    def test_a_publish_by_this_worker_is_served_at_once(
        self, front, django_app, content, drug_url, worker
    ):
        from drugs.models import Drug

        call(front, drug_url)
        drug = Drug.objects.get(slug="exampleamide")
        drug.summary = "Corrected by the reviewer just now."
        drug.save()

        assert "Corrected by the reviewer just now." in call(front, drug_url).body.decode()
        assert django_app.calls == 2

    def test_another_workers_publish_is_served_once_the_bound_is_up(
        self, front, django_app, content, drug_url, worker
    ):
        call(front, drug_url)
        publish_elsewhere("exampleamide", "Published by another worker.")
        worker.advance(bound() * 0.9)
        assert "Published by another worker." not in call(front, drug_url).body.decode()
        assert django_app.calls == 1

        worker.advance(bound() * 0.1)

        assert "Published by another worker." in call(front, drug_url).body.decode()
        assert django_app.calls == 2

    @pytest.mark.parametrize(
        "cookie", ["sessionid=abc", "messages=xyz", "theme=dark; sessionid=abc", "xsessionid=1"]
    )
    def test_a_visitor_with_a_session_or_messages_goes_to_django(
        self, front, django_app, content, drug_url, worker, cookie
    ):
        call(front, drug_url)
        call(front, drug_url, cookie=cookie)

        assert django_app.calls == 2

    def test_another_cookie_does_not_change_the_page(
        self, front, django_app, content, drug_url, worker
    ):
        first = call(front, drug_url)
        with_cookie = call(front, drug_url, cookie="theme=dark")

        assert django_app.calls == 1
        assert with_cookie.body == first.body

    def test_a_post_goes_to_django(self, front, django_app, content, drug_url, worker):
        call(front, drug_url)
        call(front, drug_url, method="POST")

        assert django_app.calls == 2

    def test_a_page_this_worker_does_not_hold_goes_to_django(
        self, front, django_app, content, drug_url, worker
    ):
        call(front, drug_url)
        page_cache.local_pages.clear()
        call(front, drug_url)

        assert django_app.calls == 2

    def test_an_https_visitor_never_gets_the_plain_http_page(
        self, front, django_app, content, drug_url, worker, settings
    ):
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        call(front, drug_url)
        secure = call(front, drug_url, x_forwarded_proto="https")

        assert django_app.calls == 2
        assert secure.status_code == 200

    def test_another_host_goes_to_django(self, front, django_app, content, drug_url, worker):
        call(front, drug_url)
        answer = call(front, drug_url, host="evil.example")

        assert django_app.calls == 2
        assert answer.status_code == 400

    def test_nothing_is_answered_with_the_cache_turned_off(
        self, front, django_app, content, drug_url, worker, settings
    ):
        call(front, drug_url)
        settings.PAGE_CACHE_ENABLED = False
        call(front, drug_url)

        assert django_app.calls == 2

    def test_without_local_pages_every_request_goes_to_django(
        self, front, django_app, content, drug_url, worker, monkeypatch
    ):
        monkeypatch.setattr(page_cache, "local_pages", page_cache.LocalPages(0))
        call(front, drug_url)
        answer = call(front, drug_url)

        assert django_app.calls == 2
        assert answer.status_code == 200


@pytest.mark.django_db
def test_a_hit_at_the_door_is_logged_like_any_other(
    front, content, drug_url, worker, settings, every_log_line
):
    settings.LOG_REQUESTS = True
    call(front, drug_url)
    call(front, drug_url, query="utm_campaign=secret")  # the middleware's hit
    call(front, drug_url, query="utm_campaign=secret")  # the front door's

    requests = [json.loads(line) for line in every_log_line if line.startswith('{"method"')]
    assert [(r["path"], r["status"], r["cache"]) for r in requests] == [
        (drug_url, 200, "miss"),
        (drug_url, 200, "hit"),
        (drug_url, 200, "hit"),
    ]
    assert not any("secret" in line for line in every_log_line)


def test_gunicorn_serves_django_behind_the_front_door():
    assert isinstance(wsgi.application, page_cache.FrontDoor)
    assert isinstance(wsgi.application.application, WSGIHandler)


def test_the_master_compiles_every_site_template_before_the_fork():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    templates = Path(django_settings.BASE_DIR) / "templates"

    wsgi.warm_up()

    site_templates = {str(p.relative_to(templates)) for p in templates.rglob("*.html")}
    assert site_templates
    assert site_templates <= set(loader.get_template_cache)


def test_the_master_imports_the_views_and_the_cache_backend_before_the_fork(tmp_path):
    # In a fresh process, as gunicorn's master loads the app: a worker forked from it must not
    # import them on its first request (the redis package alone took 125 ms).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meds_site.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # never connected to
    }
    modules = ["drugs.handout.views", "drugs.api", "drugs.search.views", "redis"]
    script = f"import sys, meds_site.wsgi; print([m for m in {modules!r} if m not in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
