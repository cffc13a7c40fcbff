"""Every patient page type in Chromium: axe-core WCAG 2.2 AA, no JavaScript, 320px, print; and
the Nu HTML Checker on the same pages.

axe-core and vnu-jar come from npm (package.json); `npm ci` installs them. Without them, or
without Chromium or Java, these tests skip on a laptop and fail in CI.
"""

import json
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from drugs.models import Drug, Feedback, SideEffect
from drugs.pages.anchors import precaution_anchor, side_effect_anchor
from drugs.pages.drug import guide_parts
from drugs.pages.feedback import answer_token
from tests.browser.test_handout_pdf import page_count
from tests.conftest import FIXTURE_CONTENT, require_tool, running_in_ci

NODE_MODULES = Path(settings.BASE_DIR) / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROWEST = 320
# A phone: each part of a guide is at most 10 screens of 800px, and the overview's help
# summary is on the first screen.
PHONE = 390
PART_MAX_HEIGHT = 8_000
FIRST_SCREEN = 900

pytestmark = pytest.mark.browser


def require_file(path: Path) -> Path:
    if path.is_file():
        return path
    message = f"{path} is missing: run `npm ci`"
    if running_in_ci():
        pytest.fail(message)
    pytest.skip(message)


def content_dir() -> Path:
    """The real monographs once they exist; the small test set until then."""
    real = Path(settings.CONTENT_DIR)
    return real if any(real.glob("*.md")) else FIXTURE_CONTENT


def page_urls() -> dict[str, str]:
    """One URL of each page type, named, from the imported content."""
    drugs = list(Drug.objects.published().values_list("slug", flat=True))
    effect = SideEffect.objects.published().order_by("slug").first()
    urls = {"home": reverse("drugs:home"), "drug list": reverse("drugs:list")}
    for drug in Drug.objects.published().with_monograph():
        for part in guide_parts(drug):
            urls[f"drug {drug.slug} {part.slug or 'overview'}"] = part.url
        urls[f"drug {drug.slug} whole guide"] = reverse("drugs:guide", args=[drug.slug])
    urls |= {
        "side effects": reverse("drugs:side_effects"),
        "side effect": reverse("drugs:side_effect", args=[effect.slug]),
        "glossary": reverse("drugs:glossary"),
        "compare": reverse("drugs:compare") + "?" + urlencode({"drugs": ",".join(drugs * 2)}),
        "compare chooser": reverse("drugs:compare"),
        "accessibility": reverse("drugs:accessibility"),
        "feedback": reverse("drugs:feedback") + "?" + urlencode({"page": "/", "helpful": "no"}),
        "feedback sent": reverse("drugs:feedback") + "?sent=1&page=/",
        # After one click: the thanks, with a box to add a comment to the same answer.
        "feedback follow-up": reverse("drugs:feedback") + "?" + urlencode(follow_up_query()),
        "compare error": reverse("drugs:compare") + "?compare=1",
        # A warning sign: the answer box with each drug's own level comes first.
        "search answer": reverse("drugs:search") + "?" + urlencode({"q": "37.8"}),
        "search": reverse("drugs:search") + "?" + urlencode({"q": "feeling sick"}),
        "side effect with a warning": reverse("drugs:side_effect", args=["infection"]),
        "not found": "/no-such-page/",
    }
    return urls


def follow_up_query() -> dict:
    answer = Feedback.objects.create(page="/", helpful=False)
    return {"sent": 1, "page": "/", "answer": answer_token(answer)}


@pytest.fixture
def site(live_server, transactional_db):
    call_command("import_monographs", str(content_dir()), verbosity=0)
    return live_server.url


def run_axe(page) -> list[dict]:
    # Evaluated rather than injected as a <script>, so a Content-Security-Policy cannot block it.
    page.evaluate(require_file(AXE).read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def test_every_page_type_has_no_axe_violations(site, page):
    failures = {}
    for width in (1280, NARROWEST):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in page_urls().items():
            response = page.goto(site + url)
            assert response.status in (200, 404), (name, response.status)
            violations = run_axe(page)
            if violations:
                failures[f"{name} at {width}px"] = violations
    assert not failures, json.dumps(failures, indent=1)


def test_no_page_scrolls_sideways_at_320px(site, page):
    page.set_viewport_size({"width": NARROWEST, "height": 800})
    wide = {}
    for name, url in page_urls().items():
        page.goto(site + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROWEST:
            wide[name] = width
    assert not wide, f"pages wider than {NARROWEST}px: {wide}"


def guide_pages(drug) -> list[str]:
    return [part.url for part in guide_parts(drug)] + [reverse("drugs:guide", args=[drug.slug])]


def test_each_part_fits_in_10_phone_screens_with_help_on_the_first(site, page):
    page.set_viewport_size({"width": PHONE, "height": FIRST_SCREEN})
    tall, late = {}, {}
    for drug in Drug.objects.published().with_monograph():
        for part in guide_parts(drug):
            page.goto(site + part.url)
            height = page.evaluate("document.documentElement.scrollHeight")
            if height > PART_MAX_HEIGHT:
                tall[part.url] = height
        page.goto(site + drug.get_absolute_url())
        # The whole summary, to its link to "When to get help", is on the first screen.
        bottom = page.evaluate(
            "document.querySelector('.help-summary .help-more').getBoundingClientRect().bottom"
        )
        if bottom > FIRST_SCREEN:
            late[drug.slug] = bottom
    assert not tall, f"parts taller than {PART_MAX_HEIGHT}px at {PHONE}px: {tall}"
    assert not late, f"help summary below the first {FIRST_SCREEN}px: {late}"


def test_every_part_shows_everything_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        for drug in Drug.objects.published().with_monograph():
            parts = {part.slug: part.url for part in guide_parts(drug)}
            for url in guide_pages(drug):
                page.goto(site + url)
                assert drug.name in page.locator("main h1").inner_text(), url
                assert page.locator(".breadcrumbs").is_visible(), url
            page.goto(site + parts["side-effects"])
            for item in drug.side_effects.all():
                entry = page.locator(f"#{side_effect_anchor(item.effect.slug)}")
                assert entry.locator("h4").is_visible(), item.effect.name
                if entry.evaluate("e => e.tagName") == "DETAILS":
                    entry.locator("summary").click()
                text = entry.inner_text()
                for rule in item.help_rules.all():
                    assert rule.text in text, rule.text
            whole = page.context.new_page()
            whole.goto(site + reverse("drugs:guide", args=[drug.slug]))
            visible = whole.locator("main").inner_text()
            for precaution in drug.precautions.all():
                assert precaution.title in visible, precaution.title
            for section in drug.sections.all():
                assert section.title in visible, section.title
            whole.close()
            # The pharmacology opens with a click on its summary, no script needed.
            if "professionals" in parts:
                page.goto(site + parts["professionals"])
                details = page.locator("details.pro")
                details.locator("summary").click()
                assert details.locator(".pro-body").is_visible()
            # A medical word leads to its definition on the same page, and back.
            url = next(
                url
                for url in guide_pages(drug)
                if page.goto(site + url) and page.locator("main a.term >> visible=true").count()
            )
            page.locator("main a.term >> visible=true").first.click()
            slug = page.url.rsplit("#", 1)[1].removeprefix("word-")
            assert page.url.startswith(site + url)
            definition = page.locator(f"#word-{slug} + dd")
            assert definition.is_visible()
            definition.locator("a.back").click()
            assert page.url.endswith(f"#term-{slug}")
    finally:
        context.close()


def old_anchors(drug) -> list[str]:
    return [side_effect_anchor(i.effect.slug) for i in drug.side_effects.all()] + [
        precaution_anchor(p) for p in drug.precautions.all()
    ]


def test_old_links_to_entries_lead_to_them_without_javascript(site, browser):
    """/drugs/<slug>/#<id> from before the guide had parts: the overview's "Where to find"
    list opens at the entry (Chromium opens a <details> that holds a link's target) and links
    on to it; following that link shows the entry itself, even inside a folded band."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        for drug in Drug.objects.published().with_monograph():
            for anchor in old_anchors(drug):
                page.goto(site + drug.get_absolute_url() + "#" + anchor)
                found = page.locator(f"[id='{anchor}']")
                assert found.is_visible(), anchor
                found.locator("a").click()
                assert (
                    page.url.endswith(f"/#{anchor}")
                    and page.url != site + drug.get_absolute_url() + "#" + anchor
                )
                target = page.locator(f"[id='{anchor}']")
                assert target.is_visible(), anchor
                assert target.locator("h3, h4").first.is_visible(), anchor
    finally:
        context.close()


def test_old_links_to_entries_go_straight_to_their_part_with_javascript(site, page):
    for drug in Drug.objects.published().with_monograph():
        for anchor in old_anchors(drug):
            page.goto(site + drug.get_absolute_url() + "#" + anchor)
            page.wait_for_url(f"**/{drug.slug}/*/#{anchor}")
            target = page.locator(f"[id='{anchor}']")
            assert target.locator("h3, h4").first.is_visible(), anchor
            assert target.evaluate("e => e.getBoundingClientRect().top") < 900, anchor


def test_printing_hides_navigation_and_shows_the_address_and_review_date(site, page):
    drug = Drug.objects.published().first()
    url = reverse("drugs:guide", args=[drug.slug])
    page.goto(site + url)
    page.emulate_media(media="print")
    for hidden in (".site-nav", "form.feedback", ".breadcrumbs"):
        assert not page.locator(hidden).is_visible(), hidden
    footer = page.locator(".print-only").inner_text()
    assert site + url in footer
    assert f"{drug.last_reviewed:%B %Y}" in footer
    # Links print their address after them (glossary words excepted: they would crowd the text).
    href, after = page.evaluate(
        """() => {
        const a = document.querySelector(
            'main a[href^="http"], main a[href^="/"]:not(.term), .site-footer a[href^="http"]');
        return [a.getAttribute('href'), getComputedStyle(a, '::after').content];
        }"""
    )
    assert href in after


def test_the_whole_guide_prints_and_passes_the_checks_in_print(site, page, tmp_path):
    for drug in Drug.objects.published():
        page.goto(site + reverse("drugs:guide", args=[drug.slug]))
        page.emulate_media(media="print")
        assert not run_axe(page), drug.slug
        pdf = tmp_path / f"{drug.slug}.pdf"
        page.pdf(path=pdf, format="A4")
        assert page_count(pdf) > 1


def rendered_pages(tmp_path) -> list[Path]:
    """Every page type, and every state of the forms, saved as HTML files for the checker."""
    from django.test import RequestFactory

    from drugs.pages.views import render_drug_page
    from meds_site.errors import server_error

    client = Client(raise_request_exception=False)
    files = []

    def save(name: str, html: bytes) -> None:
        path = tmp_path / f"{name.replace(' ', '-')}.html"
        path.write_bytes(html)
        files.append(path)

    for name, url in page_urls().items():
        save(name, client.get(url).content)
    feedback = reverse("drugs:feedback")
    save("feedback errors", client.post(feedback, {"page": "/", "comment": "x" * 1001}).content)
    save("csrf failure", Client(enforce_csrf_checks=True).post(feedback, {"page": "/"}).content)
    bad_token = {"page": "/", "helpful": "yes", "csrfmiddlewaretoken": "x" * 64}
    save("csrf refused", Client(enforce_csrf_checks=True).post(feedback, bad_token).content)
    cross_site = {"HTTP_SEC_FETCH_SITE": "cross-site"}
    save("cross-site refused", client.post(feedback, {"page": "/"}, **cross_site).content)
    request = RequestFactory().get("/")
    save("server error", server_error(request).content)
    drug = Drug.objects.with_monograph().first()
    save("preview", render_drug_page(request, drug, preview=True).content)
    return files


def html_errors(java: str, jar: Path, files: list[Path]) -> list[str]:
    """The Nu HTML Checker's errors on the files, as `file:line: message`."""
    result = subprocess.run(
        [java, "-jar", jar, "--format", "json", "--stdout", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def test_every_page_type_is_valid_html(transactional_db, tmp_path):
    java = require_tool("java", "apt-get install default-jre-headless")
    jar = require_file(VNU)
    call_command("import_monographs", str(content_dir()), verbosity=0)
    files = rendered_pages(tmp_path)
    errors = html_errors(java, jar, files)
    assert len(files) >= 30
    assert not errors, "\n".join(errors)
