"""Security headers, the Content-Security-Policy, the login rate limit and `check --deploy`."""

import json
import logging
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
# Script types browsers treat as data, which CSP does not run.
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}


def production_env(**extra) -> dict:
    """The environment of a production start: DEBUG off, a strong key, a real host name."""
    clean = {
        k: v
        for k, v in os.environ.items()
        # The browser tests allow async-unsafe ORM calls in this process; production never does.
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
        and not k.startswith("SECURE_")
    }
    return {
        **clean,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.org",
        "DJANGO_SETTINGS_MODULE": "meds_site.settings",
        **extra,
    }


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style attributes, handlers."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in attrs and attrs.get("type") not in DATA_SCRIPT_TYPES:
            self._in_script = True

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "editor", password="correct horse battery", is_staff=True, is_superuser=True
    )


@pytest.mark.django_db
class TestHeaders:
    @pytest.mark.parametrize(
        "url",
        [
            lambda: reverse("drugs:home"),
            lambda: reverse("drugs:detail", kwargs={"slug": "exampleamide"}),
            lambda: reverse("drugs:detail", kwargs={"slug": "no-such-drug"}),
            lambda: reverse("admin:login"),
            lambda: reverse("healthz"),
        ],
        ids=["home", "drug", "not-found", "admin-login", "healthz"],
    )
    def test_every_response_carries_the_security_headers(self, client, content, url):
        response = client.get(url())

        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]
        assert csp_directives(response)["frame-ancestors"] == ["'none'"]

    def test_the_policy_allows_no_inline_script_or_style(self, client, content):
        directives = csp_directives(client.get(reverse("drugs:home")))

        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]
        assert directives["form-action"] == ["'self'"]
        assert not any("unsafe" in v for values in directives.values() for v in values)

    def test_a_nonce_enters_the_policy_only_when_a_page_uses_one(self, rf):
        from csp.middleware import CSPMiddleware
        from django.http import HttpResponse

        request = rf.get("/")
        middleware = CSPMiddleware(lambda r: HttpResponse(f"<script nonce='{r.csp_nonce}'>"))
        middleware.process_request(request)
        nonce = str(request.csp_nonce)
        response = middleware.process_response(request, HttpResponse())

        assert f"'nonce-{nonce}'" in csp_directives(response)["script-src"]

    @pytest.mark.parametrize(
        "url",
        [
            lambda: reverse("drugs:home"),
            lambda: reverse("drugs:list"),
            lambda: reverse("drugs:detail", kwargs={"slug": "exampleamide"}),
            lambda: reverse("drugs:glossary"),
            lambda: reverse("admin:login"),
        ],
        ids=["home", "list", "drug", "glossary", "admin-login"],
    )
    def test_pages_contain_nothing_the_policy_would_block(self, client, content, url):
        response = client.get(url())

        assert response.status_code == 200
        assert inline_code(response.content.decode()) == []

    def test_the_admin_works_under_the_policy(self, client, content, staff):
        client.force_login(staff)

        for url in (
            reverse("admin:index"),
            reverse("admin:drugs_drug_changelist"),
            reverse("admin:drugs_drug_add"),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert inline_code(response.content.decode()) == [], url


@pytest.mark.django_db
class TestLoginRateLimit:
    @pytest.fixture(autouse=True)
    def axes_on(self, settings):
        # Off in the test settings, because Client.login() passes no request.
        settings.AXES_ENABLED = True
        settings.AXES_FAILURE_LIMIT = 5

    def attempt(self, client, password):
        return client.post(
            reverse("admin:login"),
            {"username": "editor", "password": password, "next": reverse("admin:index")},
            REMOTE_ADDR="203.0.113.9",
        )

    def test_after_five_failures_the_sixth_attempt_is_refused(self, client, staff):
        statuses = [self.attempt(client, "wrong").status_code for _ in range(5)]

        # The form again, with an error, until the fifth failure starts the lockout.
        assert statuses == [200, 200, 200, 200, 429]
        assert self.attempt(client, "wrong").status_code == 429

    def test_a_locked_out_client_cannot_log_in_even_with_the_right_password(self, client, staff):
        for _ in range(5):
            self.attempt(client, "wrong")

        response = self.attempt(client, "correct horse battery")

        assert response.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_fewer_failures_do_not_lock_anyone_out(self, client, staff):
        for _ in range(4):
            self.attempt(client, "wrong")

        response = self.attempt(client, "correct horse battery")

        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(staff.pk)

    def test_behind_a_proxy_it_counts_the_address_the_proxy_saw(self, client, staff, settings):
        settings.TRUSTED_PROXY_COUNT = 1

        def attempt(forwarded_for):
            return client.post(
                reverse("admin:login"),
                {"username": "editor", "password": "wrong"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=forwarded_for,
            )

        for _ in range(5):
            attempt("198.51.100.7")

        # A forged left-most entry does not escape the lockout; another client is not locked.
        assert attempt("192.0.2.1, 198.51.100.7").status_code == 429
        assert attempt("198.51.100.8").status_code == 200


class TestProductionSettings:
    def test_check_deploy_passes_without_warnings(self):
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            env=production_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    @pytest.mark.parametrize(
        ("env", "expected"),
        [({}, "True"), ({"SECURE_SSL_REDIRECT": "0"}, "False"), ({"DEBUG": "1"}, "False")],
        ids=["default", "switched-off", "debug"],
    )
    def test_https_redirect_is_on_unless_switched_off(self, env, expected):
        result = run_python("import meds_site.settings as s; print(s.SECURE_SSL_REDIRECT)", **env)

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected

    def test_the_admin_path_is_configurable(self):
        result = run_python(
            "import django; django.setup(); from django.urls import reverse; "
            "print(reverse('admin:index'))",
            ADMIN_PATH="/backstage/",
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "/backstage/"


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def request_log():
    """The lines the request logger writes during a test."""
    handler = Lines()
    logger = logging.getLogger("meds_site.requests")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


@pytest.mark.django_db
class TestRequestLog:
    def test_it_logs_one_line_per_request_without_the_query_string(
        self, client, content, request_log
    ):
        url = reverse("drugs:detail", kwargs={"slug": "exampleamide"})

        client.get(url, {"name": "Alice Example"})

        assert len(request_log) == 1
        entry = json.loads(request_log[0])
        assert entry["method"] == "GET"
        assert entry["path"] == url
        assert entry["status"] == 200
        assert entry["ms"] >= 0
        assert "Alice" not in request_log[0]

    def test_it_says_whether_the_page_came_from_the_cache(self, client, content, request_log):
        url = reverse("drugs:detail", kwargs={"slug": "exampleamide"})

        client.get(url)
        client.get(url)

        assert [json.loads(line)["cache"] for line in request_log] == ["miss", "hit"]
