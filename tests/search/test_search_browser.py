"""The search page's answers in Chromium: axe-core WCAG 2.2 AA at 1280px and 320px, no sideways
scroll, and paging by plain links with JavaScript off."""

import json
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.test_pages_browser import NARROWEST, run_axe

pytestmark = pytest.mark.browser

STATES = {
    "temperature answer": {"q": "37.8"},
    "sign with a drug that lists none": {"q": "breathless"},
    "not mentioned": {"q": "hair loss"},
    "partial": {"q": "tinnitus loss"},
    "second page": {"q": "blood", "page": 2},
    "past the last page": {"q": "blood", "page": 9},
}


@pytest.fixture
def site(live_server, transactional_db):
    call_command("import_monographs", verbosity=0)
    return live_server.url


def url(params) -> str:
    return reverse("drugs:search") + "?" + urlencode(params)


def test_each_answer_state_has_no_axe_violations_or_sideways_scroll(site, page):
    failures, wide = {}, {}
    for width in (1280, NARROWEST):
        page.set_viewport_size({"width": width, "height": 900})
        for name, params in STATES.items():
            assert page.goto(site + url(params)).status == 200, name
            violations = run_axe(page)
            if violations:
                failures[f"{name} at {width}px"] = violations
            if width == NARROWEST and page.evaluate("document.documentElement.scrollWidth") > width:
                wide[name] = page.evaluate("document.documentElement.scrollWidth")
    assert not failures, json.dumps(failures, indent=1)
    assert not wide, wide


def test_the_pages_of_results_work_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site + url({"q": "blood"}))
        assert "Showing 1 to 20 of" in page.inner_text("#search-count")
        page.click("a[rel=next]")
        assert "Showing 21 to 40 of" in page.inner_text("#search-count")
        page.click("a[rel=prev]")
        assert "Showing 1 to 20 of" in page.inner_text("#search-count")
    finally:
        context.close()
