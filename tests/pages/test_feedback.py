"""'Was this page helpful?': one click stores it, cross-site posts are refused, pages stay cached,
and the limit per client holds across workers and without Redis."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from drugs.models import Feedback
from drugs.pages.feedback import (
    RATE_LIMIT,
    RATE_WINDOW,
    FeedbackForm,
    answer_token,
    client_key,
    record,
)

pytestmark = pytest.mark.django_db

PAGE = "/drugs/testamide/"


def token_for(client: Client) -> str:
    """The CSRF token, as a visitor gets it: from the feedback form page."""
    response = client.get(reverse("drugs:feedback"), {"page": PAGE, "helpful": "no"})
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def send(client: Client, **fields):
    data = {"page": PAGE, "helpful": "yes", "comment": "", **fields}
    data.setdefault("csrfmiddlewaretoken", token_for(client))
    return client.post(reverse("drugs:feedback"), data)


@pytest.fixture
def visitor():
    return Client(enforce_csrf_checks=True)


class TestFeedbackForm:
    def test_the_page_link_opens_the_form_with_the_answer_chosen(self, visitor):
        response = visitor.get(reverse("drugs:feedback"), {"page": PAGE, "helpful": "no"})
        html = response.content.decode()
        assert response.status_code == 200
        assert re.search(r'<input type="radio" name="helpful" value="no"[^>]*checked', html)
        assert f'name="page" value="{PAGE}"' in html
        assert "csrfmiddlewaretoken" in html

    def test_an_answer_is_stored_and_thanked(self, visitor):
        response = send(visitor, helpful="no", comment="  The dose table was unclear.  ")
        assert response.status_code == 302
        thanks = visitor.get(response["Location"])
        assert "Thank you for your feedback" in thanks.content.decode()
        feedback = Feedback.objects.get()
        assert (feedback.page, feedback.helpful, feedback.comment) == (
            PAGE,
            False,
            "The dose table was unclear.",
        )
        assert feedback.created_at is not None

    def test_a_post_with_a_wrong_csrf_token_is_refused_kindly(self, visitor):
        token_for(visitor)
        data = {"page": PAGE, "helpful": "yes", "csrfmiddlewaretoken": "x" * 64}
        response = visitor.post(reverse("drugs:feedback"), data)
        assert response.status_code == 403
        assert "Your form was not sent" in response.content.decode()
        assert not Feedback.objects.exists()

    def test_a_missing_answer_or_long_comment_is_explained(self, visitor):
        response = send(visitor, helpful="", comment="x" * (Feedback.COMMENT_MAX_LENGTH + 1))
        html = response.content.decode()
        assert response.status_code == 400
        assert "There is a problem" in html
        assert "Choose yes or no." in html
        assert "Keep it to 1000 characters or fewer" in html
        assert not Feedback.objects.exists()

    @pytest.mark.parametrize("page", ["https://example.com/", "//example.com/x", "drugs/x"])
    def test_only_pages_of_this_site_are_accepted(self, visitor, page):
        response = send(visitor, page=page)
        assert response.status_code == 400
        assert not Feedback.objects.exists()

    def test_links_back_only_to_this_site(self, visitor):
        response = visitor.get(reverse("drugs:feedback"), {"page": "//example.com/", "sent": 1})
        assert 'href="//example.com/"' not in response.content.decode()

    def test_each_client_is_rate_limited(self, visitor):
        for _ in range(RATE_LIMIT):
            assert send(visitor).status_code == 302
        response = send(visitor)
        assert response.status_code == 429
        assert "Too many messages" in response.content.decode()
        assert Feedback.objects.count() == RATE_LIMIT
        # Another address still gets through.
        other = Client(enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.7")
        assert send(other).status_code == 302


class TestFeedbackAdmin:
    def test_editors_see_feedback_read_only(self, client):
        Feedback.objects.create(page=PAGE, helpful=False, comment="Too long")
        model_admin = admin.site._registry[Feedback]
        user = User.objects.create_superuser("boss", "boss@example.com", "pw")
        client.force_login(user)
        response = client.get(reverse("admin:drugs_feedback_changelist"))
        assert response.status_code == 200
        assert "Too long" in response.content.decode()
        request = response.wsgi_request
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)


SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin"}


def one_click(client: Client, helpful="yes", headers=SAME_ORIGIN):
    """A press of a page's Yes or No button: no CSRF token, as on the cached page."""
    data = {"page": PAGE, "helpful": helpful}
    return client.post(reverse("drugs:feedback"), data, **headers)


def cache_state(response) -> str | None:
    return getattr(response.wsgi_request, "page_cache", None)


class TestOneClick:
    def test_the_buttons_on_every_page_are_a_post_form_without_a_token_so_it_stays_cached(
        self, client
    ):
        client.get(reverse("drugs:glossary"))
        response = client.get(reverse("drugs:glossary"))
        html = response.content.decode()
        form = re.search(r'<form class="feedback" method="post"[^>]*>.*?</form>', html, re.S)
        assert form and f'action="{reverse("drugs:feedback")}"' in form.group(0)
        assert "csrfmiddlewaretoken" not in html
        assert not response.cookies
        assert cache_state(response) == "hit"

    def test_the_first_click_records_the_answer(self, visitor, django_assert_num_queries):
        # The limit's count, the insert, its recount, and forgetting keys past the window.
        with django_assert_num_queries(4):
            response = one_click(visitor, helpful="no")
        assert response.status_code == 302
        feedback = Feedback.objects.get()
        assert (feedback.page, feedback.helpful, feedback.comment) == (PAGE, False, "")

    def test_an_origin_header_from_this_site_is_enough(self, visitor):
        # Browsers send Sec-Fetch-Site only over HTTPS (and to localhost); Origin always.
        response = one_click(visitor, headers={"HTTP_ORIGIN": "http://testserver"})
        assert response.status_code == 302
        assert Feedback.objects.filter(helpful=True).count() == 1

    @pytest.mark.parametrize(
        "headers",
        [
            {"HTTP_SEC_FETCH_SITE": "cross-site"},
            {"HTTP_SEC_FETCH_SITE": "same-site"},
            # The browser's word wins over an Origin that looks right.
            {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "http://testserver"},
            {"HTTP_ORIGIN": "https://evil.example"},
            {"HTTP_ORIGIN": "https://testserver"},
            {"HTTP_ORIGIN": "null"},
        ],
    )
    def test_a_cross_site_post_is_refused(self, client, headers):
        # client, not visitor: Django's test client skips CSRF checks, and this one still holds.
        response = one_click(client, headers=headers)
        assert response.status_code == 403
        assert "Your form was not sent" in response.content.decode()
        assert not Feedback.objects.exists()

    def test_a_cross_site_comment_is_refused_too(self, client, visitor):
        answer = Feedback.objects.get(pk=self.answer_pk(visitor))
        data = {"answer": answer_token(answer), "page": PAGE, "comment": "spam"}
        response = client.post(reverse("drugs:feedback"), data, HTTP_ORIGIN="https://x.example")
        assert response.status_code == 403
        assert Feedback.objects.get().comment == ""

    def test_a_browser_that_says_nothing_of_its_origin_confirms_on_a_form_with_a_token(
        self, visitor
    ):
        response = one_click(visitor, helpful="no", headers={})
        html = response.content.decode()
        assert response.status_code == 200
        assert not Feedback.objects.exists()
        assert "Your answer is not saved yet" in html
        assert re.search(r'<input type="radio" name="helpful" value="no"[^>]*checked', html)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        data = {"page": PAGE, "helpful": "no", "comment": "", "csrfmiddlewaretoken": token}
        assert visitor.post(reverse("drugs:feedback"), data).status_code == 302
        assert Feedback.objects.filter(helpful=False).count() == 1

    def answer_pk(self, client) -> int:
        one_click(client)
        return Feedback.objects.get().pk

    def test_a_comment_can_follow_and_is_added_to_the_same_answer(
        self, visitor, django_assert_num_queries
    ):
        response = one_click(visitor, helpful="no")
        with django_assert_num_queries(0):
            thanks = visitor.get(response["Location"])
        html = thanks.content.decode()
        assert "Thank you for your feedback" in html
        assert "We have saved your answer" in html
        assert "What was missing or hard to understand? (optional)" in html
        assert "csrfmiddlewaretoken" in html
        answer = re.search(r'name="answer" value="([^"]+)"', html)[1]
        data = {"answer": answer, "page": PAGE, "comment": "  The table was unclear. "}

        with django_assert_num_queries(1):
            sent = visitor.post(reverse("drugs:feedback"), data, **SAME_ORIGIN)

        assert sent.status_code == 302
        assert "answer=" not in sent["Location"]
        feedback = Feedback.objects.get()
        assert (feedback.helpful, feedback.comment) == (False, "The table was unclear.")
        assert "We have saved your answer" not in visitor.get(sent["Location"]).content.decode()

    def test_a_comment_is_added_once_and_never_rewrites_one(self, visitor):
        pk = self.answer_pk(visitor)
        token = answer_token(Feedback.objects.get(pk=pk))
        for comment in ["First", "Second"]:
            data = {"answer": token, "page": PAGE, "comment": comment}
            visitor.post(reverse("drugs:feedback"), data, **SAME_ORIGIN)
        assert Feedback.objects.get().comment == "First"

    @pytest.mark.parametrize("token", ["", "1", "[1,true]:forged:signature", "x" * 300])
    def test_a_forged_answer_is_refused_and_changes_nothing(self, visitor, token):
        self.answer_pk(visitor)
        data = {"answer": token, "page": PAGE, "comment": "Overwrite"}
        response = visitor.post(reverse("drugs:feedback"), data, **SAME_ORIGIN)
        assert response.status_code == 400
        assert "There is a problem" in response.content.decode()
        assert Feedback.objects.get().comment == ""

    def test_a_thanks_link_with_a_bad_answer_offers_no_comment_box(self, visitor):
        url = reverse("drugs:feedback") + f"?sent=1&page={PAGE}&answer=forged"
        html = visitor.get(url).content.decode()
        assert "Thank you for your feedback" in html
        assert "<textarea" not in html

    def test_an_answer_with_a_comment_is_thanked_without_asking_for_more(self, visitor):
        response = send(visitor, comment="Clear, thanks")
        assert "answer=" not in response["Location"]


class TestRateLimitAcrossWorkers:
    def test_only_a_keyed_hash_of_the_address_is_stored(self):
        address = "198.51.100.23"
        one_click(Client(REMOTE_ADDR=address))
        one_click(Client(REMOTE_ADDR=address))
        one_click(Client(REMOTE_ADDR="198.51.100.24"))
        keys = list(Feedback.objects.order_by("pk").values_list("client_key", flat=True))
        assert keys[0] == keys[1] != keys[2]
        assert len(keys[0]) == 32
        stored = repr(list(Feedback.objects.values()))
        assert address not in stored and address.replace(".", "") not in stored

    def test_two_workers_with_their_own_caches_share_the_limit(self, settings):
        # Each LOCATION is a separate local-memory cache: what two workers without Redis have.
        statuses = []
        for sent in range(RATE_LIMIT + 4):
            worker = f"worker-{sent % 2}"
            settings.CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": worker,
                }
            }
            statuses.append(one_click(Client()).status_code)
        assert statuses == [302] * RATE_LIMIT + [429] * 4
        assert Feedback.objects.count() == RATE_LIMIT

    def test_with_redis_down_feedback_answers_and_the_limit_holds(self, settings):
        # Nothing listens on port 1: every cache call fails at once.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/13",
            }
        }
        client = Client(raise_request_exception=True)
        assert client.get(reverse("drugs:feedback"), {"page": PAGE}).status_code == 200
        statuses = [one_click(client).status_code for _ in range(RATE_LIMIT + 2)]
        assert statuses == [302] * RATE_LIMIT + [429] * 2
        assert Feedback.objects.count() == RATE_LIMIT
        answer = answer_token(Feedback.objects.first())
        thanks = client.get(reverse("drugs:feedback"), {"sent": 1, "page": PAGE, "answer": answer})
        assert thanks.status_code == 200

    def test_answers_sent_together_past_the_limit_give_way(self, rf):
        # Posts that pass the first count together, on different workers: the count after
        # writing sees all of them, so none is kept beyond the limit.
        request = rf.post(reverse("drugs:feedback"), REMOTE_ADDR="203.0.113.9")
        Feedback.objects.bulk_create(
            Feedback(page=PAGE, helpful=True, client_key=client_key(request))
            for _ in range(RATE_LIMIT)
        )
        form = FeedbackForm({"page": PAGE, "helpful": "yes", "comment": ""})
        assert form.is_valid()

        assert record(form, request) is None
        assert Feedback.objects.count() == RATE_LIMIT

    def test_answers_older_than_the_window_neither_count_nor_keep_their_key(self):
        client = Client(REMOTE_ADDR="203.0.113.10")
        for _ in range(RATE_LIMIT):
            one_click(client)
        Feedback.objects.update(created_at=timezone.now() - RATE_WINDOW - timedelta(minutes=1))

        assert one_click(client).status_code == 302
        assert Feedback.objects.exclude(client_key="").count() == 1


class TestFeedbackAdminPrivacy:
    def test_editors_never_see_the_client_key(self, client):
        feedback = Feedback.objects.create(page=PAGE, helpful=True, client_key="k" * 32)
        client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
        for url in [
            reverse("admin:drugs_feedback_changelist"),
            reverse("admin:drugs_feedback_change", args=[feedback.pk]),
        ]:
            response = client.get(url)
            assert response.status_code == 200
            assert "k" * 32 not in response.content.decode(), url
