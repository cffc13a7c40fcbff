"""'Was this page helpful?' in Chromium without JavaScript: one click records, a comment follows,
and a form on another site cannot post an answer."""

import pytest
from django.urls import reverse

from drugs.models import Feedback
from tests.factories import GlossaryTermFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, transactional_db):
    GlossaryTermFactory(slug="laxative", term="Laxative", definition="Helps you poo.")
    return live_server.url


@pytest.fixture
def no_script_page(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_one_click_records_the_answer_and_a_comment_joins_it(site, no_script_page):
    page = no_script_page
    glossary = reverse("drugs:glossary")
    page.goto(site + glossary)
    page.locator("form.feedback button[value=no]").click()

    assert page.locator("h1").inner_text() == "Thank you for your feedback"
    answer = Feedback.objects.get()
    assert (answer.page, answer.helpful, answer.comment) == (glossary, False, "")

    page.get_by_label("What was missing or hard to understand? (optional)").fill("More words.")
    page.get_by_role("button", name="Send").click()

    assert "We read every answer" in page.locator("main").inner_text()
    assert Feedback.objects.get().comment == "More words."


def test_a_form_on_another_site_cannot_post_an_answer(site, no_script_page):
    page = no_script_page
    # about:blank is another origin: what a hostile page's hidden form would do.
    page.set_content(
        f'<form method="post" action="{site}{reverse("drugs:feedback")}">'
        '<input name="page" value="/"><button name="helpful" value="no">Go</button></form>'
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()

    assert "Your form was not sent" in page.locator("main").inner_text()
    assert not Feedback.objects.exists()
