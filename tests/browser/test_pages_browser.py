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

from drugs.models import Drug, Feedback, GlossaryTerm, SideEffect
from drugs.pages.feedback import answer_token
from tests.conftest import FIXTURE_CONTENT, require_tool, running_in_ci

NODE_MODULES = Path(settings.BASE_DIR) / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROWEST = 320

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
    for slug in drugs:
        urls[f"drug {slug}"] = reverse("drugs:detail", args=[slug])
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


def test_the_drug_page_shows_everything_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        for drug in Drug.objects.published().with_monograph():
            page.goto(site + drug.get_absolute_url())
            assert page.evaluate("typeof document.scripts") == "object"
            main = page.locator("main")
            visible = main.inner_text()
            assert drug.name in visible
            for item in drug.side_effects.all():
                assert page.locator(f"#side-effect-{item.effect.slug}").is_visible(), (
                    item.effect.name
                )
                for rule in item.help_rules.all():
                    assert rule.text in visible, rule.text
            for precaution in drug.precautions.all():
                assert precaution.title in visible, precaution.title
            for section in drug.sections.all():
                assert section.title in visible, section.title
            # The pharmacology opens with a click on its summary, no script needed.
            details = page.locator("details.pro")
            if details.count():
                details.locator("summary").click()
                assert details.locator(".pro-body").is_visible()
            # Glossary words lead to their definition.
            term = page.locator("a.term").first
            if term.count():
                term.click()
                slug = page.url.rsplit("#", 1)[1]
                definition = GlossaryTerm.objects.get(slug=slug).definition
                assert definition in page.locator(f"[id='{slug}'] + dd").inner_text()
    finally:
        context.close()


def test_printing_hides_navigation_and_shows_the_address_and_review_date(site, page):
    drug = Drug.objects.published().first()
    page.goto(site + drug.get_absolute_url())
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    assert not page.locator("form.feedback").is_visible()
    footer = page.locator(".print-only").inner_text()
    assert site + drug.get_absolute_url() in footer
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
    assert len(files) >= 14
    assert not errors, "\n".join(errors)
