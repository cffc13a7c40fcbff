"""'Was this page helpful?': stored, CSRF-protected, rate-limited, and no cookie to read pages."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from drugs.models import Feedback
from drugs.pages.feedback import RATE_LIMIT

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

    def test_a_post_without_the_csrf_token_is_refused_kindly(self, visitor):
        response = visitor.post(reverse("drugs:feedback"), {"page": PAGE, "helpful": "yes"})
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

    def test_the_feedback_form_is_on_content_pages_as_a_cookie_free_get_form(self, client):
        response = client.get(reverse("drugs:glossary"))
        html = response.content.decode()
        form = re.search(r'<form class="feedback" method="get"[^>]*>.*?</form>', html, re.S)
        assert form and "csrfmiddlewaretoken" not in form.group(0)
        assert not response.cookies


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
