"""The public page cache: what it stores, what it never stores, how soon a publish shows, and
how its pages are compressed and validated."""

import gzip
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from drugs import page_cache
from drugs.models import ContentVersion, Drug, DrugSideEffect, Feedback, Status
from meds_site import settings as production
from tests.factories import DrugFactory
from tests.pages.test_metadata import public_pages


def cache_state(response) -> str | None:
    return getattr(response.wsgi_request, "page_cache", None)


class Clock:
    """A stand-in for time.monotonic that moves only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def forget_module_state(monkeypatch):
    # A version read or a count left by an earlier test belongs to another database.
    page_cache.forget_version()
    monkeypatch.setattr(page_cache, "variants", page_cache.Variants(page_cache.variants.limit))
    yield
    page_cache.forget_version()


@pytest.fixture
def clock(monkeypatch, settings) -> Clock:
    """The production bound on reusing the content version, timed by a clock the test moves."""
    settings.PAGE_CACHE_VERSION_REUSE_MS = production.PAGE_CACHE_VERSION_REUSE_MS
    clock = Clock()
    monkeypatch.setattr(page_cache, "monotonic", clock)
    return clock


def bound() -> float:
    """The production bound, in seconds."""
    return production.PAGE_CACHE_VERSION_REUSE_MS / 1000


def publish_elsewhere(slug: str, summary: str) -> None:
    """Change a drug as another worker's publish looks from here: rows and version, no signal."""
    Drug.objects.filter(slug=slug).update(summary=summary)
    ContentVersion.objects.update(version=F("version") + 1, changed_at=timezone.now())


def get(client, url, **headers):
    return client.get(url, headers=headers)


@pytest.mark.django_db
class TestPageCache:
    def test_a_second_visit_is_served_from_the_cache(
        self, client, content, drug_url, django_assert_num_queries
    ):
        first = client.get(drug_url)
        # One query: the content version the cache key is built from.
        with django_assert_num_queries(1):
            second = client.get(drug_url)

        assert (cache_state(first), cache_state(second)) == ("miss", "hit")
        assert second.content == first.content
        assert second["Content-Type"] == first["Content-Type"]
        assert "Exampleamide" in second.content.decode()

    def test_a_worker_without_redis_keeps_each_page_once(
        self, client, content, drug_url, monkeypatch
    ):
        from django.core.cache import caches

        monkeypatch.setattr(page_cache, "local_pages", page_cache.LocalPages(10))
        client.get(drug_url)
        hit = client.get(drug_url)

        assert cache_state(hit) == "hit"
        assert len(page_cache.local_pages.entries) == 1
        # Django's cache is this process's memory too: a second copy there would buy nothing.
        assert not [key for key in caches["default"]._cache if ":page:" in key]

    def test_a_hit_is_answered_before_the_middleware_below_the_cache(
        self, client, content, drug_url
    ):
        first = client.get(drug_url)
        second = client.get(drug_url)

        assert cache_state(second) == "hit"
        # AuthenticationMiddleware, below the cache, gives every request it sees a user.
        assert hasattr(first.wsgi_request, "user")
        assert not hasattr(second.wsgi_request, "user")

    def test_cached_pages_still_carry_the_security_headers(self, client, content, drug_url):
        client.get(drug_url)
        response = client.get(drug_url)

        assert cache_state(response) == "hit"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert "camera=()" in response["Permissions-Policy"]

    def test_a_change_saved_through_the_orm_shows_at_once(self, client, content, drug_url):
        client.get(drug_url)
        drug = Drug.objects.get(slug="exampleamide")
        drug.summary = "A freshly reviewed summary."
        drug.save()

        response = client.get(drug_url)

        assert cache_state(response) == "miss"
        assert "A freshly reviewed summary." in response.content.decode()

    def test_a_change_to_a_child_row_shows_at_once(self, client, content):
        # Side effects are on their own part of the guide, not on the overview.
        part_url = reverse("drugs:part", kwargs={"slug": "exampleamide", "part": "side-effects"})
        client.get(part_url)
        effect = DrugSideEffect.objects.get(drug__slug="exampleamide", effect__slug="tiredness")
        effect.text = "You may feel very tired for a few days."
        effect.save()

        assert "You may feel very tired for a few days." in client.get(part_url).content.decode()

    def test_a_reimport_of_an_edited_file_shows_at_once(self, client, content, drug_url):
        client.get(drug_url)
        monograph = content / "exampleamide.md"
        text = monograph.read_text(encoding="utf-8")
        monograph.write_text(
            text.replace("Exampleamide is a capsule used in tests.", "Now a tablet."),
            encoding="utf-8",
        )
        call_command("import_monographs", str(content), verbosity=0)

        response = client.get(drug_url)

        assert "Now a tablet." in response.content.decode()
        assert "a capsule used in tests" not in response.content.decode()

    def test_a_reimport_that_changes_nothing_keeps_the_cache(self, client, content, drug_url):
        client.get(drug_url)
        call_command("import_monographs", str(content), verbosity=0)

        assert cache_state(client.get(drug_url)) == "hit"

    def test_unpublishing_takes_the_page_down_at_once(self, client, content, drug_url):
        assert client.get(drug_url).status_code == 200
        drug = Drug.objects.get(slug="exampleamide")
        drug.status = Status.DRAFT
        drug.save()

        assert client.get(drug_url).status_code == 404

    def test_a_new_drug_appears_on_the_list_at_once(self, client, content):
        client.get(reverse("drugs:list"))
        DrugFactory(slug="newamide", name="Newamide")

        assert "Newamide" in client.get(reverse("drugs:list")).content.decode()

    def test_feedback_does_not_empty_the_cache(self, client, content, drug_url):
        client.get(drug_url)
        Feedback.objects.create(page=drug_url, helpful=True)

        assert cache_state(client.get(drug_url)) == "hit"

    def test_the_import_bumps_the_version_even_without_signals(self, content):
        before = ContentVersion.objects.get().version
        monograph = content / "exampleamide.md"
        monograph.write_text(
            monograph.read_text(encoding="utf-8").replace("You may feel tired.", "Tiredness."),
            encoding="utf-8",
        )
        call_command("import_monographs", str(content), verbosity=0)

        assert ContentVersion.objects.get().version > before


@pytest.mark.django_db
class TestRevalidation:
    def test_public_pages_ask_browsers_and_cdns_to_revalidate(self, client, content, drug_url):
        response = client.get(drug_url)

        assert response["Cache-Control"] == (
            f"public, max-age={settings.PAGE_CACHE_MAX_AGE}, must-revalidate"
        )
        assert response["ETag"].startswith('"')
        assert response["Last-Modified"]

    def test_a_current_copy_gets_304_without_a_body(self, client, content, drug_url):
        etag = client.get(drug_url)["ETag"]

        response = client.get(drug_url, HTTP_IF_NONE_MATCH=etag)

        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag

    def test_a_copy_from_before_a_publish_gets_the_new_page(self, client, content, drug_url):
        etag = client.get(drug_url)["ETag"]
        drug = Drug.objects.get(slug="exampleamide")
        drug.summary = "Changed after the browser kept its copy."
        drug.save()

        response = client.get(drug_url, HTTP_IF_NONE_MATCH=etag)

        assert response.status_code == 200
        assert response["ETag"] != etag
        assert "Changed after the browser kept its copy." in response.content.decode()

    def test_the_etag_is_the_same_on_every_worker(self, client, content, drug_url):
        first = client.get(drug_url)["ETag"]
        page_cache.cache.clear()  # as if another worker, with its own memory, rendered it

        assert client.get(drug_url)["ETag"] == first


@pytest.mark.django_db
class TestWhatIsNeverShared:
    def test_query_strings_other_than_declared_ones_bypass_the_cache(
        self, client, content, drug_url
    ):
        client.get(drug_url)

        response = client.get(drug_url, {"name": "Alice Example"})

        assert cache_state(response) is None

    def test_a_handout_with_a_patient_name_is_never_cached(self, client, content):
        url = reverse("drugs:handout", kwargs={"slug": "exampleamide"})

        client.get(url, {"name": "Alice Example"})
        response = client.get(url, {"name": "Alice Example"})

        assert cache_state(response) is None
        assert "public" not in response.get("Cache-Control", "")

    def test_signed_in_editors_get_a_fresh_page(self, client, content, drug_url, admin_user):
        client.get(drug_url)
        client.force_login(admin_user)

        response = client.get(drug_url)

        assert cache_state(response) is None

    def test_the_feedback_form_with_its_csrf_token_is_never_stored(self, client, content):
        url = reverse("drugs:feedback")

        client.get(url)
        response = client.get(url)

        assert cache_state(response) == "skip"
        assert "csrfmiddlewaretoken" in response.content.decode()

    def test_a_response_that_sets_a_cookie_is_not_stored(self, rf, content):
        from django.http import HttpResponse

        request = rf.get("/")
        request.page_cache_key = "page:test"
        request.page_cache = "miss"
        response = HttpResponse("<p>form</p>")
        response.set_cookie("csrftoken", "one-visitor")

        page_cache.PublicPageCacheMiddleware(lambda r: response)(request)

        assert request.page_cache == "skip"
        assert page_cache.cache.get("page:test") is None

    def test_the_admin_is_never_cached(self, client, content, admin_user):
        client.force_login(admin_user)

        response = client.get(reverse("admin:index"))

        assert cache_state(response) is None
        assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
class TestPublishBound:
    """A hit reads no database; a publish reaches every worker within the bound."""

    def test_the_production_bound_keeps_a_publish_within_one_second(self):
        assert 0 < production.PAGE_CACHE_VERSION_REUSE_MS <= 1000

    def test_a_hit_makes_no_query(self, client, content, drug_url, clock):
        client.get(drug_url)
        clock.advance(bound() * 0.9)

        with CaptureQueriesContext(page_cache.connection) as queries:
            response = client.get(drug_url)

        assert cache_state(response) == "hit"
        assert [q["sql"] for q in queries.captured_queries] == []

    def test_the_version_is_read_again_once_the_bound_is_up(
        self, client, content, drug_url, clock, django_assert_num_queries
    ):
        client.get(drug_url)
        clock.advance(bound())

        # Still a hit: only the version is read, once, then reused again.
        with django_assert_num_queries(1):
            first = client.get(drug_url)
            second = client.get(drug_url)

        assert (cache_state(first), cache_state(second)) == ("hit", "hit")

    def test_another_workers_publish_shows_once_the_bound_is_up(
        self, client, content, drug_url, clock
    ):
        client.get(drug_url)
        publish_elsewhere("exampleamide", "Published by another worker.")

        clock.advance(bound() * 0.99)
        before = client.get(drug_url)
        clock.advance(bound() * 0.02)
        after = client.get(drug_url)

        # Before the bound at most the old page; after it, the new one.
        assert cache_state(before) == "hit"
        assert "Published by another worker." not in before.content.decode()
        assert cache_state(after) == "miss"
        assert "Published by another worker." in after.content.decode()

    def test_every_worker_serves_the_publish_after_the_bound(
        self, client, content, drug_url, clock, monkeypatch
    ):
        # Two workers: each has its own memory of pages and of the version it last read.
        workers = [page_cache.LocalPages(10), page_cache.LocalPages(10)]
        last_reads = []
        for worker in workers:
            monkeypatch.setattr(page_cache, "local_pages", worker)
            page_cache.forget_version()
            client.get(drug_url)
            last_reads.append(page_cache._last_read)
        publish_elsewhere("exampleamide", "Published by a third worker.")
        clock.advance(bound())

        for worker, last_read in zip(workers, last_reads, strict=True):
            monkeypatch.setattr(page_cache, "local_pages", worker)
            monkeypatch.setattr(page_cache, "_last_read", last_read)
            assert "Published by a third worker." in client.get(drug_url).content.decode()

    def test_the_publishing_worker_sees_its_publish_at_once(self, client, content, drug_url, clock):
        client.get(drug_url)
        drug = Drug.objects.get(slug="exampleamide")
        drug.summary = "A freshly reviewed summary."
        drug.save()

        assert "A freshly reviewed summary." in client.get(drug_url).content.decode()

    def test_a_cache_outage_cannot_stretch_the_bound(
        self, client, content, drug_url, clock, monkeypatch
    ):
        class DeadCache:
            def get(self, *args, **kwargs):
                raise ConnectionError("Redis is down")

            set = get

        monkeypatch.setattr(page_cache, "cache", DeadCache())
        monkeypatch.setattr(page_cache, "local_pages", page_cache.LocalPages(10))
        client.get(drug_url)
        assert cache_state(client.get(drug_url)) == "hit"  # from the worker's own memory
        publish_elsewhere("exampleamide", "Published while Redis was down.")
        clock.advance(bound())

        assert "Published while Redis was down." in client.get(drug_url).content.decode()

    def test_while_the_database_is_down_cached_pages_are_still_served(
        self, client, content, drug_url, clock, monkeypatch
    ):
        client.get(drug_url)

        def database_down():
            raise OperationalError("connection refused")

        monkeypatch.setattr(page_cache, "database_version", database_down)
        clock.advance(bound() * 3)
        response = client.get(drug_url)

        assert response.status_code == 200
        assert cache_state(response) == "hit"

    def test_without_a_version_in_hand_a_database_error_is_not_hidden(self, clock, monkeypatch):
        def database_down():
            raise OperationalError("connection refused")

        monkeypatch.setattr(page_cache, "database_version", database_down)

        with pytest.raises(OperationalError):
            page_cache.current_version()

    def test_a_bound_over_one_second_is_refused(self):
        import os
        import subprocess
        import sys

        result = subprocess.run(
            [sys.executable, "-c", "import meds_site.settings"],
            env={**os.environ, "SECRET_KEY": "x" * 60, "PAGE_CACHE_VERSION_REUSE_MS": "1500"},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )

        assert result.returncode != 0
        assert "PAGE_CACHE_VERSION_REUSE_MS=1500 is outside 0-1000" in result.stderr


@pytest.mark.django_db
class TestCompression:
    def test_a_page_goes_out_gzip_when_the_browser_accepts_it(self, client, content, drug_url):
        plain = client.get(drug_url)
        for state in ("hit", "hit"):
            response = get(client, drug_url, accept_encoding="gzip")
            assert cache_state(response) == state
            assert response["Content-Encoding"] == "gzip"
            assert gzip.decompress(response.content) == plain.content
            assert int(response["Content-Length"]) == len(response.content)

    def test_the_first_visit_is_compressed_too(self, client, content, drug_url):
        response = get(client, drug_url, accept_encoding="gzip, deflate")

        assert cache_state(response) == "miss"
        assert response["Content-Encoding"] == "gzip"
        assert b"Exampleamide" in gzip.decompress(response.content)

    def test_brotli_is_preferred_when_both_are_accepted(self, client, content, drug_url):
        brotli = pytest.importorskip("brotli", reason="the brotli package is not installed")
        plain = client.get(drug_url)

        response = get(client, drug_url, accept_encoding="gzip, deflate, br")

        assert response["Content-Encoding"] == "br"
        assert brotli.decompress(response.content) == plain.content

    def test_a_browser_that_accepts_nothing_gets_the_plain_page(self, client, content, drug_url):
        response = client.get(drug_url)

        assert not response.has_header("Content-Encoding")
        assert b"Exampleamide" in response.content

    @pytest.mark.parametrize(
        "accept_encoding", ["gzip;q=0", "gzip;q=0, br;q=0", "*;q=0", "identity", "deflate"]
    )
    def test_a_coding_refused_with_q_0_is_never_sent(
        self, client, content, drug_url, accept_encoding
    ):
        client.get(drug_url)

        response = get(client, drug_url, accept_encoding=accept_encoding)

        assert cache_state(response) == "hit"
        assert not response.has_header("Content-Encoding")

    @pytest.mark.parametrize(
        ("accept_encoding", "expected"),
        [
            ("gzip", ("gzip",)),
            ("x-gzip", ("gzip",)),
            ("GZIP;Q=0.5", ("gzip",)),
            ("gzip;q=0", ()),
            ("gzip;q=0.000", ()),
            ("gzip;q=nonsense", ()),
            ("", ()),
            ("br;q=0.5, gzip;q=0.9", ("gzip", "br")),
            ("gzip, br", ("br", "gzip")),
            ("*", ("br", "gzip")),
            ("*, br;q=0", ("gzip",)),
            ("*;q=0, gzip", ("gzip",)),
        ],
    )
    def test_accept_encoding_is_read_with_its_qualities(self, accept_encoding, expected):
        offered = [c for c in expected if c in page_cache.CODINGS]

        assert page_cache.accepted_codings(accept_encoding) == tuple(offered)

    def test_a_page_is_compressed_once_when_it_enters_the_cache(
        self, client, content, drug_url, monkeypatch
    ):
        calls = []
        compress = page_cache.compressed_bodies
        monkeypatch.setattr(
            page_cache, "compressed_bodies", lambda *a: calls.append(a) or compress(*a)
        )

        for _ in range(3):
            assert get(client, drug_url, accept_encoding="gzip")["Content-Encoding"] == "gzip"

        assert len(calls) == 1

    def test_pages_vary_on_accept_encoding(self, client, content, drug_url):
        for response in (client.get(drug_url), get(client, drug_url, accept_encoding="gzip")):
            assert "Accept-Encoding" in response["Vary"]

    def test_each_coding_has_its_own_etag_and_revalidates(self, client, content, drug_url):
        plain = client.get(drug_url)["ETag"]
        zipped = get(client, drug_url, accept_encoding="gzip")["ETag"]

        again = get(client, drug_url, accept_encoding="gzip", if_none_match=zipped)

        assert plain != zipped
        assert again.status_code == 304

    @pytest.mark.parametrize(
        "url",
        [
            reverse("drugs:feedback"),
            reverse("drugs:handout", kwargs={"slug": "exampleamide"}),
            reverse("admin:login"),
        ],
    )
    def test_a_page_with_a_csrf_token_is_never_compressed(self, client, content, url):
        for _ in range(2):
            response = get(client, url, accept_encoding="gzip, br")

            assert response.status_code == 200
            assert "csrfmiddlewaretoken" in response.content.decode()
            assert not response.has_header("Content-Encoding")
            assert cache_state(response) in ("skip", None)

    def test_a_posted_form_is_never_compressed(self, client, content):
        url = reverse("drugs:handout", kwargs={"slug": "exampleamide"})
        response = client.post(url, {"phone": "01234 567890"}, headers={"accept-encoding": "gzip"})

        assert not response.has_header("Content-Encoding")

    def test_no_middleware_compresses_what_the_cache_did_not_store(self):
        assert not [m for m in settings.MIDDLEWARE if "gzip" in m.lower()]


@pytest.mark.django_db
class TestHead:
    def test_head_has_the_headers_of_get_and_no_body(self, client, content, drug_url):
        get_response = client.get(drug_url)

        head = client.head(drug_url)

        assert cache_state(head) == "hit"
        assert head.status_code == 200
        assert head.content == b""
        for name in ("ETag", "Cache-Control", "Last-Modified", "Content-Type", "Vary"):
            assert head[name] == get_response[name], name
        assert head["Content-Length"] == str(len(get_response.content))

    def test_a_compressed_head_names_the_compressed_length(self, client, content, drug_url):
        zipped = get(client, drug_url, accept_encoding="gzip")

        head = client.head(drug_url, headers={"accept-encoding": "gzip"})

        assert head["Content-Encoding"] == "gzip"
        assert head["ETag"] == zipped["ETag"]
        assert head["Content-Length"] == str(len(zipped.content))

    def test_a_first_head_fills_the_cache_like_a_get(self, client, content, drug_url):
        head = client.head(drug_url)
        after = client.get(drug_url)

        assert cache_state(head) == "miss"
        assert head.content == b""
        assert cache_state(after) == "hit"
        assert head["ETag"] == after["ETag"]

    def test_head_of_a_get_only_view_is_answered(self, client, content):
        url = reverse("drugs:search") + "?q=tired"

        head = client.head(url)

        assert head.status_code == 200
        assert head["ETag"] == client.get(url)["ETag"]

    def test_a_cached_head_makes_no_query(self, client, content, drug_url, clock):
        client.get(drug_url)

        with CaptureQueriesContext(page_cache.connection) as queries:
            head = client.head(drug_url)

        assert cache_state(head) == "hit"
        assert len(queries) == 0

    @pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH"])
    def test_other_methods_are_refused_without_rendering(
        self, client, real_content, method, django_assert_num_queries
    ):
        # Rendering a page for a method nobody caches would let anyone make the site render
        # pages as fast as they can send requests.
        for url in [*public_pages(), reverse("drugs:search") + "?q=tired"]:
            with django_assert_num_queries(0):
                response = client.generic(method, url)
            assert response.status_code == 405, url
            assert response["Allow"] == "GET, HEAD", url
            assert response.content == b"", url

    def test_head_of_a_page_with_a_patient_name_is_not_cached(self, client, content):
        url = reverse("drugs:handout", kwargs={"slug": "exampleamide"})

        assert cache_state(client.head(url, {"name": "Alice Example"})) is None


@pytest.mark.django_db
class TestQueryStrings:
    def test_tracking_tags_are_served_from_the_cache(self, client, content, drug_url):
        plain = client.get(drug_url)

        tagged = client.get(drug_url, {"utm_source": "leaflet", "fbclid": "abc"})

        assert cache_state(tagged) == "hit"
        assert tagged.content == plain.content

    def test_tracking_tags_never_reach_the_stored_page(self, client, content, drug_url):
        first = client.get(drug_url, {"utm_campaign": "planted-words"})
        plain = client.get(drug_url)

        assert cache_state(first) == "miss"
        assert cache_state(plain) == "hit"
        assert "planted-words" not in plain.content.decode()

    def test_a_search_keeps_its_words_and_drops_the_tags(self, client, content):
        url = reverse("drugs:search")
        client.get(url, {"q": "tired"})

        tagged = client.get(url, {"q": "tired", "utm_medium": "email"})
        other = client.get(url, {"q": "sick", "utm_medium": "email"})

        assert cache_state(tagged) == "hit"
        assert cache_state(other) == "miss"

    def test_random_queries_cannot_fill_the_cache(self, client, content, monkeypatch):
        monkeypatch.setattr(page_cache, "variants", page_cache.Variants(3))
        url = reverse("drugs:search")

        states = [cache_state(client.get(url, {"q": f"word{n}"})) for n in range(5)]
        again = client.get(url, {"q": "word0"})

        assert states == ["miss", "miss", "miss", "skip", "skip"]
        assert cache_state(again) == "hit"
        assert client.get(url, {"q": "word4"}).status_code == 200

    def test_a_variant_past_the_limit_is_not_compressed_each_time(
        self, client, content, monkeypatch
    ):
        monkeypatch.setattr(page_cache, "variants", page_cache.Variants(1))
        calls = []
        compress = page_cache.compressed_bodies
        monkeypatch.setattr(
            page_cache, "compressed_bodies", lambda *a: calls.append(a) or compress(*a)
        )
        url = reverse("drugs:search")

        for n in range(4):
            get(client, f"{url}?q=word{n}", accept_encoding="gzip")

        assert len(calls) == 1

    def test_the_limit_starts_again_with_each_content_version(self):
        variants = page_cache.Variants(1)

        assert variants.admit("1", "/search/")
        assert not variants.admit("1", "/search/")
        assert variants.admit("1", "/api/v1/search")
        assert variants.admit("2", "/search/")

    def test_an_https_visitor_never_gets_a_page_cached_from_plain_http(
        self, client, content, drug_url
    ):
        client.get(drug_url)

        secure = client.get(drug_url, secure=True)
        plain = client.get(drug_url)

        assert cache_state(secure) == "miss"
        assert "http://testserver" not in secure.content.decode()
        assert cache_state(plain) == "hit"


@pytest.mark.django_db
class TestLastModified:
    def test_last_modified_is_the_time_of_the_content_version(self, client, content, drug_url):
        changed_at = ContentVersion.objects.get().changed_at.timestamp()

        response = client.get(drug_url)

        newest = max(changed_at, page_cache.release_changed_at())
        assert response["Last-Modified"] == http_date(int(newest))

    def test_last_modified_is_the_same_on_every_worker(
        self, client, content, drug_url, monkeypatch
    ):
        first = client.get(drug_url)["Last-Modified"]
        page_cache.cache.clear()  # as if another worker, an hour later, rendered it
        later = time.time() + 3600
        monkeypatch.setattr(time, "time", lambda: later)

        assert client.get(drug_url)["Last-Modified"] == first

    def test_a_publish_moves_last_modified_on(self, client, content, drug_url):
        ContentVersion.objects.update(changed_at=timezone.now() - timezone.timedelta(days=2))
        page_cache.forget_version()
        old = client.get(drug_url)["Last-Modified"]
        drug = Drug.objects.get(slug="exampleamide")
        drug.summary = "Changed."
        drug.save()

        assert client.get(drug_url)["Last-Modified"] != old


@pytest.mark.django_db
def test_a_hit_carries_every_header_the_rendered_page_had(client, content, drug_url, settings):
    # The page cache sits above the security and CSP middleware: a hit replays their headers.
    first = client.get(drug_url)
    hit = client.get(drug_url)
    assert hit.wsgi_request.page_cache == "hit"
    for header in (
        "Content-Security-Policy",
        "Permissions-Policy",
        "Cross-Origin-Resource-Policy",
        "Cross-Origin-Opener-Policy",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
    ):
        assert hit.get(header) == first.get(header), header
        assert hit.get(header), header


@pytest.mark.django_db
def test_plain_http_is_still_redirected_when_https_is_required(client, content, drug_url, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(drug_url, secure=True).status_code == 200
    assert client.get(drug_url, secure=True).wsgi_request.page_cache == "hit"
    response = client.get(drug_url)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
