"""The public page cache: what it stores, what it never stores, and that a publish shows at once."""

import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from drugs import page_cache
from drugs.models import ContentVersion, Drug, DrugSideEffect, Feedback, Status
from tests.factories import DrugFactory


@pytest.fixture
def content(db, fixture_content):
    call_command("import_monographs", str(fixture_content), verbosity=0)
    return fixture_content


@pytest.fixture
def drug_url():
    return reverse("drugs:detail", kwargs={"slug": "exampleamide"})


def cache_state(response) -> str | None:
    return getattr(response.wsgi_request, "page_cache", None)


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

        response = client.get(drug_url, {"utm_source": "leaflet"})

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
class TestVersionReuse:
    """PAGE_CACHE_VERSION_REUSE_MS: a worker may reuse its last read of the content version."""

    @pytest.fixture(autouse=True)
    def forget_the_last_read(self, monkeypatch):
        # Module state: a read left by an earlier test belongs to another database.
        monkeypatch.setattr(page_cache, "_last_read", (None, 0.0))

    def test_off_by_default_every_hit_reads_the_version(self):
        assert settings.PAGE_CACHE_VERSION_REUSE_MS == 0

    def test_reused_hits_make_no_query(
        self, client, content, drug_url, settings, django_assert_num_queries
    ):
        settings.PAGE_CACHE_VERSION_REUSE_MS = 60_000
        client.get(drug_url)
        with django_assert_num_queries(0):
            response = client.get(drug_url)
        assert cache_state(response) == "hit"

    def test_a_change_made_in_this_process_shows_at_once(self, client, content, drug_url, settings):
        settings.PAGE_CACHE_VERSION_REUSE_MS = 60_000
        client.get(drug_url)
        drug = Drug.objects.get(slug="exampleamide")
        drug.summary = "A freshly reviewed summary."
        drug.save()

        assert "A freshly reviewed summary." in client.get(drug_url).content.decode()

    def test_another_workers_change_shows_once_the_reuse_time_is_up(
        self, client, content, drug_url, settings
    ):
        settings.PAGE_CACHE_VERSION_REUSE_MS = 200
        client.get(drug_url)
        # As another worker's publish looks from here: the rows and the version change,
        # and this process's own bump (which forgets its last read) never runs.
        Drug.objects.filter(slug="exampleamide").update(summary="Published elsewhere.")
        ContentVersion.objects.update(version=F("version") + 1)

        assert cache_state(client.get(drug_url)) == "hit"
        time.sleep(0.25)
        response = client.get(drug_url)
        assert cache_state(response) == "miss"
        assert "Published elsewhere." in response.content.decode()
