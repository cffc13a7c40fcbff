"""No raw HTML or script typed into Markdown reaches a patient page or the editor's preview."""

import html
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from drugs.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES, render_markdown
from drugs.models import Drug
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    PrecautionFactory,
    SectionFactory,
    StaffUserFactory,
)

PAYLOADS = [
    # Script tags, in any letter case.
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<scr<script>ipt>alert(1)</script>",
    "<!-- --><script>alert(1)</script> -->",
    "<textarea><script>alert(1)</script></textarea>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    # Event-handler attributes.
    "<img src=x onerror=alert(1)>",
    '<div onclick="alert(1)">x</div>',
    "<details open ontoggle=alert(1)>",
    '<abbr title="x" onmouseover="alert(1)">x</abbr>',
    "<th scope=col onclick=alert(1)>x</th>",
    # javascript:, vbscript: and data: links, in any case or entity-encoded.
    '<a href="javascript:alert(1)">link</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,alert(1))",
    "[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    # Markdown link and image syntax abuse.
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    '[x](https://ok.example "t\\" onmouseover=\\"alert(1))',
    "[x](<javascript:alert(1)>)",
    '<https://ok.example/"onmouseover="alert(1)>',
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    # SVG and MathML tricks.
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # Frames, objects, styles and page-level tags.
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html,alert(1)"></object>',
    "<embed src=javascript:alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "xlink:href"}


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def dangerous(markup: str) -> list[str]:
    """Handlers, style attributes and script-capable URLs anywhere in the markup."""
    found = []
    for tag, attrs in Elements(markup).tags:
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}>")
            if name in URL_ATTRIBUTES:
                # Browsers ignore whitespace and control characters inside a scheme.
                url = "".join(
                    c for c in html.unescape(value) if c.isprintable() and not c.isspace()
                )
                scheme = url.split(":", 1)[0].lower() if ":" in url.split("/", 1)[0] else ""
                if scheme and scheme not in ALLOWED_URL_SCHEMES:
                    found.append(f"<{tag} {name}={value!r}>")
    return found


def test_the_corpus_covers_at_least_30_payloads():
    assert len(set(PAYLOADS)) >= 30


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_renderer_keeps_only_allowed_tags_and_attributes(payload):
    output = render_markdown(f"Before.\n\n{payload}\n\nAfter.")
    for tag, attrs in Elements(output).tags:
        assert tag in ALLOWED_TAGS, output
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, output
    assert dangerous(output) == [], output
    assert "After." in output


def test_raw_html_shows_as_text_not_as_html():
    output = render_markdown('<strong>bold</strong> and <a href="https://x.example">x</a>')
    assert [tag for tag, _ in Elements(output).tags] == ["p"]
    assert "&lt;strong&gt;bold&lt;/strong&gt;" in output


def test_markdown_links_to_allowed_schemes_still_work():
    output = render_markdown("[NHS](https://www.nhs.uk) or [call](tel:111)")
    hrefs = [attrs["href"] for tag, attrs in Elements(output).tags if tag == "a"]
    assert hrefs == ["https://www.nhs.uk", "tel:111"]


def test_the_checker_notices_a_handler_and_a_javascript_link():
    found = dangerous('<p onclick="x">a</p><a href="  JaVa&#x09;script:x">b</a>')
    assert [f.split()[0] for f in found] == ["<p", "<a"]


def tags_outside_allowed(markup: str) -> Counter:
    return Counter(tag for tag, _ in Elements(markup).tags if tag not in ALLOWED_TAGS)


@pytest.mark.django_db
class TestOnPages:
    def drug_with(self, texts: list[str], slug: str) -> Drug:
        drug = DrugFactory(slug=slug)
        SectionFactory(drug=drug, text="\n\n".join(texts))
        DrugSideEffectFactory(drug=drug, text="\n\n".join(texts))
        for i, text in enumerate(texts):
            PrecautionFactory(drug=drug, title=f"Precaution {i}", text=text)
        return drug

    def test_no_payload_reaches_the_patient_page(self, client):
        baseline = self.drug_with(["Plain words."] * len(PAYLOADS), "plainamide")
        attacked = self.drug_with(PAYLOADS, "attackamide")
        attacked.summary = "</script><script>alert(1)</script>"
        attacked.save()
        plain = client.get(baseline.get_absolute_url()).content.decode()
        page = client.get(attacked.get_absolute_url()).content.decode()
        assert "Precaution 44" in page
        assert dangerous(page) == []
        # The page's own tags (its layout, scripts and forms) and nothing more.
        assert tags_outside_allowed(page) == tags_outside_allowed(plain)

    def test_no_payload_reaches_the_staff_preview_of_a_draft(self, client, admin_user):
        drug = self.drug_with(PAYLOADS, "draftamide")
        drug.status = "draft"
        drug.save()
        baseline = self.drug_with(["Plain words."] * len(PAYLOADS), "plainamide")
        baseline.status = "draft"
        baseline.save()
        client.force_login(admin_user)
        url = reverse("admin:drugs_drug_preview", args=[drug.pk])
        page = client.get(url).content.decode()
        plain = client.get(reverse("admin:drugs_drug_preview", args=[baseline.pk])).content.decode()
        assert "Precaution 44" in page
        assert dangerous(page) == []
        assert tags_outside_allowed(page) == tags_outside_allowed(plain)

    def test_no_payload_reaches_the_markdown_preview(self, client):
        client.force_login(StaffUserFactory(username="previewer"))
        for payload in PAYLOADS:
            response = client.post(reverse("markdownx_markdownify"), {"content": payload})
            assert response.status_code == 200
            output = response.content.decode()
            assert tags_outside_allowed(output) == Counter(), payload
            assert dangerous(output) == [], payload
