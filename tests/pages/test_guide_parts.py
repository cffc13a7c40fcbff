"""The drug guide in parts: the overview, one page per part, the whole guide, and old links."""

import json
import re
from html import escape

import pytest
from django.urls import reverse

from drugs import models
from drugs.pages.anchors import precaution_anchor, side_effect_anchor
from drugs.pages.drug import FOLD_OVER
from drugs.pages.views import render_drug_page
from tests.pages.test_pages import count_queries, main_html, text_of
from tests.pages_data import full_drug, overdue

pytestmark = pytest.mark.django_db

DRUGS = ["pomalidomide", "lenalidomide"]
# Every part a drug can have, in the order every guide shows them (the overview comes first).
PARTS = [
    ("how-to-take", "How to take it"),
    ("side-effects", "Side effects"),
    ("pregnancy", "Pregnancy prevention and breastfeeding"),
    ("when-to-get-help", "When to get help"),
    ("other-precautions", "Other precautions"),
    ("professionals", "For health professionals"),
    ("sources", "Sources and review dates"),
]
# The real pomalidomide monograph has no section for health professionals.
REAL_PARTS = {
    "lenalidomide": [slug for slug, _ in PARTS],
    "pomalidomide": [slug for slug, _ in PARTS if slug != "professionals"],
}
# Every page of the guide runs the same queries: the drug with its whole monograph (the
# overview's key facts and help summary need the side effects and every help rule), the
# glossary, and the page cache's content version. Pinned, so a new query is a decision.
QUERIES_PER_PAGE = 18


def overview_url(slug="testamide"):
    return reverse("drugs:detail", args=[slug])


def part_url(part, slug="testamide"):
    return reverse("drugs:part", kwargs={"slug": slug, "part": part})


def whole_url(slug="testamide"):
    return reverse("drugs:guide", args=[slug])


def every_page(slug, parts):
    return [overview_url(slug), *(part_url(part, slug) for part in parts), whole_url(slug)]


def nav_html(html, css_class):
    return re.search(rf'<nav class="[^"]*\b{css_class}\b[^"]*".*?</nav>', html, re.S).group(0)


def entry_html(html: str, anchor: str) -> str:
    """One side effect's or precaution's entry on a part: from its id to the next entry."""
    start = re.search(rf'<(?:div|details) id="{re.escape(anchor)}"', html).start()
    following = re.compile(r'<(?:div|details) id="(?:side-effect|precaution)-|</section>')
    return html[start : following.search(html, start + 1).start()]


def json_ld(html):
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(raw.group(1)) if raw else None


class TestEveryPart:
    @pytest.mark.parametrize("slug", DRUGS)
    def test_every_part_shows_the_drug_breadcrumbs_contents_and_help_link(
        self, client, real_content, slug
    ):
        drug = models.Drug.objects.get(slug=slug)
        help_url = part_url("when-to-get-help", slug)
        for part in REAL_PARTS[slug]:
            url = part_url(part, slug)
            response = client.get(url)
            assert response.status_code == 200, url
            html = main_html(response)
            assert f'<span class="guide-drug">{drug.name}' in html
            crumbs = nav_html(html, "breadcrumbs")
            assert re.findall(r">([^<>]+)</a>", crumbs)[:3] == [
                "Home",
                "Medicines A to Z",
                drug.name,
            ]
            assert f'href="{url}" aria-current="page"' in crumbs
            contents = nav_html(html, "guide-nav")
            assert contents.count('aria-current="page"') == 1
            assert f'<a href="{url}" aria-current="page">' in contents
            if part == "when-to-get-help":
                assert "Call 999 if:" in text_of(response)
            else:
                assert f'<a href="{help_url}">when to get help</a>' in html
            assert f'<link rel="canonical" href="https://meds.example.org{url}">' in (
                response.content.decode()
            )

    @pytest.mark.parametrize("slug", DRUGS)
    def test_the_overview_lists_every_part_in_order(self, client, real_content, slug):
        contents = nav_html(main_html(client.get(overview_url(slug))), "guide-nav")
        links = re.findall(r'<li><a href="([^"]+)"', contents)
        assert links == [overview_url(slug)] + [part_url(p, slug) for p in REAL_PARTS[slug]]
        assert f'href="{whole_url(slug)}"' in contents

    def test_the_parts_follow_one_another_with_previous_and_next(self, client):
        full_drug()
        pages = [overview_url()] + [part_url(part) for part, _ in PARTS]
        titles = ["Overview"] + [title.replace(" and breastfeeding", "") for _, title in PARTS]
        for index, url in enumerate(pages):
            pager = nav_html(client.get(url).content.decode(), "pager")
            if index:
                assert f'href="{pages[index - 1]}" rel="prev"' in pager
                assert titles[index - 1] in pager
            else:
                assert 'rel="prev"' not in pager
            if index + 1 < len(pages):
                assert f'href="{pages[index + 1]}" rel="next"' in pager
            else:
                assert 'rel="next"' not in pager

    def test_each_part_holds_its_own_sections(self, client):
        full_drug()
        expected = {
            "how-to-take": ["How you take testamide", "If you miss a dose", "Storing the capsules"],
            "side-effects": ["About side effects", "Constipation", "Infection"],
            "pregnancy": ["Preventing pregnancy"],
            "when-to-get-help": ["Contacting your team", "Call 999 if:"],
            "other-precautions": ["Giving blood"],
            "professionals": ["Pharmacology"],
            "sources": ["Example Charity:", "Next review due 1 November 2099"],
        }
        for part, words in expected.items():
            text = text_of(client.get(part_url(part)))
            for word in words:
                assert word in text, (part, word)
        # And nothing of another part's.
        side_effects = text_of(client.get(part_url("side-effects")))
        assert "Do not give blood." not in side_effects
        assert "Use contraception." not in side_effects

    def test_an_unknown_part_is_not_found(self, client):
        full_drug()
        assert client.get(part_url("no-such-part")).status_code == 404

    def test_a_part_the_drug_has_nothing_for_is_not_found_nor_listed(self, client):
        drug = full_drug()
        drug.sections.filter(kind=models.SectionKind.PROFESSIONALS).delete()
        assert client.get(part_url("professionals")).status_code == 404
        assert part_url("professionals") not in client.get(overview_url()).content.decode()

    @pytest.mark.parametrize("status", [models.Status.DRAFT, models.Status.REVIEW])
    def test_no_page_of_an_unpublished_guide_is_found(self, client, status):
        full_drug(status=status)
        for url in every_page("testamide", [part for part, _ in PARTS]):
            assert client.get(url).status_code == 404, url

    def test_each_part_reads_the_same_few_queries_however_many_side_effects(
        self, client, django_assert_num_queries
    ):
        full_drug(slug="small", name="Small", effects=3)
        full_drug(slug="large", name="Large", effects=30)
        for part, _ in PARTS:
            assert count_queries(client, part_url(part, "small")) == QUERIES_PER_PAGE, part
            with django_assert_num_queries(QUERIES_PER_PAGE):
                client.get(part_url(part, "large"))
        for url in (overview_url("large"), whole_url("large")):
            with django_assert_num_queries(QUERIES_PER_PAGE):
                client.get(url)

    def test_a_part_is_served_from_the_page_cache_the_second_time(
        self, client, django_assert_num_queries
    ):
        full_drug()
        first = client.get(part_url("side-effects"))
        # One query: the content version the cache key is built from.
        with django_assert_num_queries(1):
            second = client.get(part_url("side-effects"))
        assert second.content == first.content
        assert second.wsgi_request.page_cache == "hit"


class TestOverview:
    def test_the_help_summary_comes_first_with_the_999_signs_and_a_link(self, client):
        full_drug()
        response = client.get(overview_url())
        html = main_html(response)
        summary = html[html.index('<section class="help-summary" id="getting-help"') :]
        summary = summary[: summary.index("</section>")]
        assert "<strong>Call 999</strong> if:" in summary
        assert "<li>you have trouble breathing</li>" in summary
        assert f'<a href="{part_url("when-to-get-help")}">When to get help</a>' in summary
        # Before the key facts and the summary of what the drug is.
        assert html.index("help-summary") < html.index('class="lead"') < html.index("facts")

    @pytest.mark.parametrize("slug", DRUGS)
    def test_the_help_summary_names_every_level_and_the_contact(self, client, real_content, slug):
        drug = models.Drug.objects.get(slug=slug)
        text = text_of(client.get(overview_url(slug)))
        summary = text[text.index("If you feel unwell") : text.index("Used to treat")]
        assert "Call 999 if:" in summary
        assert "Call your team now" in summary and "Tell your team" in summary
        assert f"Call {drug.contact}." in summary

    def test_key_facts_link_to_the_parts_holding_each_entry(self, client):
        full_drug()
        html = main_html(client.get(overview_url()))
        facts = html[html.index('class="facts"') : html.index("</dl>", html.index("facts"))]
        assert f'href="{part_url("side-effects")}#side-effect-constipation"' in facts
        assert f'href="{part_url("pregnancy")}#precaution-preventing-pregnancy"' in facts
        assert f'href="{part_url("side-effects")}">All side effects' in facts
        assert f'href="{part_url("how-to-take")}#how-to-take"' not in facts  # no disagreement

    def test_an_overdue_review_and_old_sources_point_to_the_sources_part(self, client):
        drug = overdue(full_drug())
        models.Source.objects.filter(drug=drug, key="database").update(date="2001-01-01")
        html = main_html(client.get(overview_url()))
        assert "This page is due for review." in html
        assert f'href="{part_url("sources")}">See the sources' in html

    def test_the_overview_keeps_what_the_drug_is_and_leaves_the_rest_to_the_parts(self, client):
        full_drug()
        text = text_of(client.get(overview_url()))
        assert "What testamide is" in text and "How testamide works" in text
        # Side effects' own text is on their part only.
        assert "You may get infections more easily." not in text


class TestWhenToGetHelpPart:
    def test_the_signs_come_first_before_the_prose_and_the_contents(self, client):
        full_drug()
        html = main_html(client.get(part_url("when-to-get-help")))
        signs = html.index("Call 999 if:")
        assert signs < html.index("Text of getting-help")
        assert signs < html.index('class="contents guide-nav"')

    def test_a_part_with_one_block_of_its_own_name_has_one_heading(self, client, real_content):
        html = main_html(client.get(part_url("when-to-get-help", "lenalidomide")))
        assert "When to get help</h2>" not in html
        assert '<section id="getting-help" aria-labelledby="page-h">' in html


class TestOldLinks:
    """Links made before the guide had parts, /drugs/<slug>/#<id>, still lead to their entry."""

    @pytest.mark.parametrize("slug", DRUGS)
    def test_every_side_effect_and_precaution_keeps_its_old_id(self, client, real_content, slug):
        drug = models.Drug.objects.with_monograph().get(slug=slug)
        overview = main_html(client.get(overview_url(slug)))
        anchors = [
            (side_effect_anchor(i.effect.slug), "side-effects") for i in drug.side_effects.all()
        ]
        for precaution in drug.precautions.all():
            part = {
                models.PrecautionKind.HANDLING: "how-to-take",
                models.PrecautionKind.STORAGE: "how-to-take",
                models.PrecautionKind.PREGNANCY_PREVENTION: "pregnancy",
                models.PrecautionKind.BREASTFEEDING: "pregnancy",
            }.get(precaution.kind, "other-precautions")
            anchors.append((precaution_anchor(precaution), part))
        assert len(anchors) > 30
        parts = {}
        for anchor, part in anchors:
            target = f"{part_url(part, slug)}#{anchor}"
            assert f'<li id="{anchor}"><a href="{target}">' in overview, anchor
            if part not in parts:
                parts[part] = main_html(client.get(part_url(part, slug)))
            assert f'id="{anchor}"' in parts[part], anchor
        # Each old id once on the overview, so the browser lands on the one entry.
        for anchor, _ in anchors:
            assert overview.count(f'id="{anchor}"') == 1, anchor

    @pytest.mark.parametrize(
        "anchor, part",
        [
            ("how-to-take", "how-to-take"),
            ("missed-doses", "how-to-take"),
            ("handling-and-storage", "how-to-take"),
            ("side-effects", "side-effects"),
            ("band-standard-common", "side-effects"),
            ("pregnancy-prevention", "pregnancy"),
            ("other-precautions", "other-precautions"),
            ("professionals", "professionals"),
            ("sources", "sources"),
        ],
    )
    def test_every_section_keeps_its_old_id(self, client, anchor, part):
        full_drug()
        overview = main_html(client.get(overview_url()))
        assert f'<li id="{anchor}"><a href="{part_url(part)}#{anchor}">' in overview
        assert f'id="{anchor}"' in main_html(client.get(part_url(part)))

    def test_the_help_and_about_ids_stay_on_the_overview_itself(self, client):
        full_drug()
        overview = main_html(client.get(overview_url()))
        assert '<section class="help-summary" id="getting-help"' in overview
        assert '<section id="about"' in overview and '<section id="how-it-works"' in overview


class TestSideEffectsPart:
    def test_long_bands_fold_each_entry_and_short_bands_stay_open(self, client):
        full_drug(effects=3 + FOLD_OVER + 1)
        html = main_html(client.get(part_url("side-effects")))
        # The rare band holds the extra effects: more than FOLD_OVER, so each folds.
        for number in range(FOLD_OVER + 1):
            assert f'<details id="side-effect-extra-{number}" class="effect effect--fold">' in html
        entry = entry_html(html, "side-effect-extra-0")
        assert (
            '<summary><h4>Extra effect 0</h4> <span class="fold-note">Some signs mean: call your team now</span></summary>'
            in entry
        )
        assert "<strong>Call your team now</strong> if:" in entry
        # The common band has 1 effect: open, as before.
        assert '<div id="side-effect-constipation" class="effect">' in html
        # The whole guide is for printing and reading in one go: nothing folds.
        assert "effect--fold" not in main_html(client.get(whole_url()))

    @pytest.mark.parametrize("slug", DRUGS)
    def test_every_rule_is_inside_its_own_entry_on_its_part(self, client, real_content, slug):
        rules = models.HelpRule.objects.filter(
            side_effect__drug__slug=slug
        ) | models.HelpRule.objects.filter(precaution__drug__slug=slug)
        pages = {}
        for rule in rules.select_related("side_effect__effect", "precaution"):
            if rule.side_effect:
                anchor, part = side_effect_anchor(rule.side_effect.effect.slug), "side-effects"
            else:
                anchor = precaution_anchor(rule.precaution)
                part = re.search(
                    rf'<li id="{anchor}"><a href="/drugs/{slug}/([^/]+)/',
                    pages.setdefault("", main_html(client.get(overview_url(slug)))),
                ).group(1)
            if part not in pages:
                pages[part] = main_html(client.get(part_url(part, slug)))
            entry = entry_html(pages[part], anchor)
            assert escape(rule.text) in entry, (anchor, rule.text)
            assert f"<strong>{rule.level_label}</strong> if:" in entry, (anchor, rule.text)

    def test_the_help_part_links_each_sign_to_its_entry_on_its_part(self, client):
        full_drug()
        html = main_html(client.get(part_url("when-to-get-help")))
        assert f'<a href="{part_url("side-effects")}#side-effect-infection">Infection</a>' in html


class TestWordsExplainedOnThePage:
    @pytest.mark.parametrize("slug", DRUGS)
    def test_every_word_link_leads_to_its_definition_on_the_same_page(
        self, client, real_content, slug
    ):
        glossary = reverse("drugs:glossary")
        linked = 0
        for url in every_page(slug, REAL_PARTS[slug]):
            html = main_html(client.get(url))
            uses = re.findall(r'<a class="term" id="term-([^"]+)" href="#word-([^"]+)">', html)
            linked += len(uses)
            # Each word is linked once per page, where it is first used.
            assert len({use for use, _ in uses}) == len(uses), url
            for use, word in uses:
                assert use == word
                assert f'<dt id="word-{word}">' in html, (url, word)
                assert f'<a class="back" href="#term-{word}">' in html, (url, word)
            assert f'class="term" href="{glossary}' not in html
        assert linked > 50

    def test_a_folded_side_effect_explains_its_own_words(self, client):
        drug = full_drug(effects=3 + FOLD_OVER + 1)
        # Only the folded entry uses the word on this part.
        models.Section.objects.filter(drug=drug, kind=models.SectionKind.SIDE_EFFECTS).update(
            text_html="<p>About them.</p>"
        )
        models.DrugSideEffect.objects.filter(drug=drug, effect__slug="constipation").update(
            text_html="<p>You may find it hard to poo.</p>"
        )
        models.DrugSideEffect.objects.filter(drug=drug, effect__slug="extra-2").update(
            text_html="<p>Ask about a laxative.</p>"
        )
        html = main_html(client.get(part_url("side-effects")))
        entry = entry_html(html, "side-effect-extra-2")
        assert '<a class="term" id="term-laxative" href="#word-laxative">laxative</a>' in entry
        assert '<dt id="word-laxative">' in entry
        assert html.count('id="word-laxative"') == 1
        assert 'id="words-h"' not in html

    def test_the_accessibility_statement_says_where_words_are_explained(self, client):
        text = text_of(client.get(reverse("drugs:accessibility")))
        assert "Words used on this page" in text
        assert "The whole guide on one page" in text


class TestDescribedForSearchEnginesAndApps:
    def test_the_overview_and_whole_guide_describe_the_drug_and_its_parts(self, client):
        full_drug()
        data = json_ld(client.get(overview_url()).content.decode())
        assert data["url"] == f"https://meds.example.org{overview_url()}"
        assert data["about"]["name"] == "Testamide"
        assert [p["url"] for p in data["hasPart"]] == [
            f"https://meds.example.org{part_url(part)}" for part, _ in PARTS
        ]
        whole = json_ld(client.get(whole_url()).content.decode())
        assert whole["url"] == f"https://meds.example.org{whole_url()}"
        assert whole["hasPart"] == data["hasPart"]
        # A part is one of the overview's pages: its own canonical link, no description.
        html = client.get(part_url("side-effects")).content.decode()
        assert json_ld(html) is None
        assert (
            f'<link rel="canonical" href="https://meds.example.org{part_url("side-effects")}">'
            in html
        )

    def test_the_api_lists_the_guides_pages(self, client):
        full_drug()
        data = client.get(reverse("drugs:api_drug", args=["testamide"])).json()
        assert data["parts"] == [
            {"title": "Overview", "url": f"https://meds.example.org{overview_url()}"}
        ] + [
            {
                "title": title.replace(" and breastfeeding", ""),
                "url": f"https://meds.example.org{part_url(part)}",
            }
            for part, title in PARTS
        ]
        assert data["whole_guide_url"] == f"https://meds.example.org{whole_url()}"


class TestWholeGuideAndPreview:
    def test_the_whole_guide_holds_every_part_with_links_on_the_page(self, client):
        full_drug()
        response = client.get(whole_url())
        html = main_html(response)
        for anchor in ("about", "how-to-take", "side-effects", "getting-help", "sources"):
            assert f'<section id="{anchor}"' in html
        assert 'href="#side-effect-infection"' in html
        assert part_url("side-effects") + "#" not in html
        crumbs = nav_html(html, "breadcrumbs")
        assert f'href="{whole_url()}" aria-current="page">The whole guide' in crumbs

    def test_the_editors_preview_is_the_whole_guide_without_links_to_unpublished_pages(self, rf):
        full_drug(status=models.Status.DRAFT)
        drug = models.Drug.objects.with_monograph().get(slug="testamide")
        response = render_drug_page(rf.get("/admin/preview/"), drug, preview=True)
        html = response.content.decode()
        assert "not yet published" in html
        assert "You may get infections more easily." in html
        assert "Example Charity:" in html
        assert 'class="breadcrumbs"' not in html
        assert part_url("side-effects") not in html
        assert response["X-Robots-Tag"] == "noindex"
