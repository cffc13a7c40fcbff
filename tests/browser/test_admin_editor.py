"""The drug editor in Chromium: a new drug from scratch in one save, through review to the public page;
the change page's height and its preview requests."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from drugs.editorial import workflow
from drugs.models import Drug
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.browser


def log_in(browser, live_server, user):
    """A browser context with `user` logged in to the admin."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


@pytest.fixture
def editor(transactional_db):
    return StaffUserFactory(username="editor", groups=["Editors"])


@pytest.fixture
def lenalidomide_revision(live_server, editor):
    """A pending revision of the real lenalidomide page: what an editor edits."""
    call_command("import_monographs", verbosity=0)
    return workflow.start_revision(Drug.objects.get(slug="lenalidomide"), editor)


def test_the_lenalidomide_change_page_is_short_and_sends_no_preview_requests(
    browser, live_server, editor, lenalidomide_revision
):
    context = log_in(browser, live_server, editor)
    page = context.new_page()
    preview_url = reverse("markdownx_markdownify")
    previews = []
    page.on("request", lambda r: previews.append(r.url) if preview_url in r.url else None)
    url = live_server.url + reverse("admin:drugs_drug_change", args=[lenalidomide_revision.pk])
    page.goto(url)
    page.wait_for_load_state("networkidle")
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.evaluate("document.documentElement.scrollWidth")
    print(f"\nlenalidomide change page: {height}px tall, {width}px wide, {len(previews)} previews")
    context.close()
    assert previews == []
    assert height < 10_000
    assert width <= 1280
