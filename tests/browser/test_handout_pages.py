"""The handout form and a filled handout in Chromium: axe, the HTML checker, 320px, the Print
button with and without JavaScript, and a patient's name kept out of every request, log line
and cache entry while the handout loads and prints."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.browser.test_handout_pdf import content_dir, drug_slugs, fill_in
from tests.browser.test_pages_browser import (
    AXE_TAGS,
    NARROWEST,
    VNU,
    html_errors,
    require_file,
    run_axe,
)
from tests.conftest import cache_contents, require_tool

NAME = "Quentin Marlowe-Abara"
FIRST_DAY = "2027-01-03"
LAST_DAY = "2027-02-27"

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, transactional_db):
    call_command("import_monographs", str(content_dir()), verbosity=0)
    return live_server.url


def filled(page, site, slug, **extra):
    fill_in(
        page,
        site,
        slug,
        phone="0161 555 0123 option 2",
        patient_name=NAME,
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
        **extra,
    )


@pytest.mark.parametrize("slug", drug_slugs())
def test_the_name_is_in_no_request_log_line_or_cache_entry(
    slug, page, site, every_log_line, tmp_path
):
    requests = []
    page.on(
        "request",
        lambda r: requests.append((r.url, r.headers.get("referer", ""), r.post_data or "")),
    )
    # A cycle, so that pomalidomide's handout offers the .ics file too.
    filled(page, site, slug, days_on=21, days_off=7)
    page.emulate_media(media="print")
    page.pdf(path=tmp_path / "handout.pdf", format="A4")
    page.emulate_media(media="screen")
    # The .ics file, as the nurse would download it.
    with page.expect_download():
        page.click("form.ics-form button[type=submit]")

    surname = NAME.split()[-1]
    urls = [url for url, _, _ in requests]
    assert any(url.endswith("/static/css/handout.css") for url in urls)
    assert any(url.endswith("/static/js/print.js") for url in urls)
    # The QR code is drawn in the page: no image is fetched for it.
    assert not [url for url in urls if "qr" in url.lower()]
    for url, referer, body in requests:
        assert surname not in url and FIRST_DAY not in url, url
        assert surname not in referer and "?" not in referer, referer
        if "calendar.ics" in url:
            assert surname not in body
    posted = [body for url, _, body in requests if url.endswith("/handout/") and body]
    assert posted and "Marlowe" in posted[0]  # the name did go, in the POST body only
    assert every_log_line
    leaked = [line for line in every_log_line if surname in line or FIRST_DAY in line]
    assert not leaked, leaked
    assert surname.encode() not in cache_contents()


@pytest.mark.parametrize("slug", drug_slugs())
def test_the_form_and_the_handout_have_no_axe_violations(slug, page, site):
    failures = {}
    for width in (1280, NARROWEST):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(site + reverse("drugs:handout", kwargs={"slug": slug}))
        if violations := run_axe(page):
            failures[f"form at {width}px"] = violations
        page.click("form.handout-form button[type=submit]")  # no number: the errors
        if violations := run_axe(page):
            failures[f"form errors at {width}px"] = violations
        filled(page, site, slug)
        if violations := run_axe(page):
            failures[f"handout at {width}px"] = violations
        page.click("form.edit-form button")
        if violations := run_axe(page):
            failures[f"changing the details at {width}px"] = violations
    assert not failures, json.dumps(failures, indent=1)
    assert AXE_TAGS


@pytest.mark.parametrize("slug", drug_slugs())
def test_nothing_scrolls_sideways_at_320px(slug, page, site):
    page.set_viewport_size({"width": NARROWEST, "height": 800})
    wide = {}
    page.goto(site + reverse("drugs:handout", kwargs={"slug": slug}))
    wide["form"] = page.evaluate("document.documentElement.scrollWidth")
    page.fill("#id_phone", "0161 555 0123 extension 123456")
    wide["form, long number"] = page.evaluate("document.documentElement.scrollWidth")
    filled(page, site, slug)
    wide["handout"] = page.evaluate("document.documentElement.scrollWidth")
    with page.expect_navigation():
        page.click("form.edit-form button")
    assert page.input_value("#id_patient_name") == NAME  # back to the form, filled in
    wide["form, to change the details"] = page.evaluate("document.documentElement.scrollWidth")
    assert all(width <= NARROWEST for width in wide.values()), wide


def test_the_print_button_prints_and_without_javascript_the_page_says_how(site, browser):
    slug = drug_slugs()[0]
    errors = []
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    filled(page, site, slug)
    button = page.locator("button[data-print]")
    assert button.is_visible()
    page.evaluate("window.print = () => { window.printed = true; }")
    button.click()
    assert page.evaluate("window.printed") is True
    # No script was blocked by the Content-Security-Policy.
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.close()

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        filled(page, site, slug)
        assert not page.locator("button[data-print]").is_visible()
        assert "press Ctrl and P together" in page.locator(".tool-actions").inner_text()
    finally:
        context.close()


def test_the_form_and_the_handout_are_valid_html(transactional_db, tmp_path):
    java = require_tool("java", "apt-get install default-jre-headless")
    jar = require_file(VNU)
    call_command("import_monographs", str(content_dir()), verbosity=0)
    client = Client()
    files = []
    for slug in drug_slugs():
        url = reverse("drugs:handout", kwargs={"slug": slug})
        pages = {
            "form": client.get(url),
            "errors": client.post(url, {"phone": "call me", "first_day": "x"}),
            "number only": client.post(url, {"phone": "01234 567890"}),
            "filled": client.post(
                url,
                {
                    "phone": "0161 555 0123 option 2",
                    "patient_name": NAME,
                    "first_day": FIRST_DAY,
                    "last_day": LAST_DAY,
                    "days_on": "21",
                    "days_off": "7",
                    "pregnancy": "all",
                },
            ),
            "large print": client.post(url, {"phone": "01234 567890", "large_print": "on"}),
            "no calendar": client.post(url, {"phone": "01234 567890", "calendar": "none"}),
            "change the details": client.post(url, {"phone": "01234 567890", "edit": "1"}),
        }
        for name, response in pages.items():
            path = tmp_path / f"{slug}-{name.replace(' ', '-')}.html"
            path.write_bytes(response.content)
            files.append(path)
    errors = html_errors(java, jar, files)
    assert not errors, "\n".join(errors)
