"""The patient pages: content, order, accessibility hooks, 404s and constant query counts."""

import json
import re
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from drugs import models
from drugs.pages.care import build_care_cards
from drugs.pages.drug import DrugPage
from drugs.pages.figures import Figure, IconArray, format_percent
from drugs.pages.glossary_links import GlossaryMarker
from drugs.pages.views import render_drug_page
from tests.factories import DrugFactory, GlossaryTermFactory
from tests.pages_data import SECTION_TITLES, full_drug, overdue

pytestmark = pytest.mark.django_db

# Tags that separate words; inline ones (a, span, strong) join their text to its neighbours.
BLOCK_TAGS = (
    "p|li|h1|h2|h3|h4|div|dt|dd|td|th|tr|section|br|ul|ol|dl|nav|summary|details|table|caption"
    "|thead|tbody|fieldset|legend|form|main|header|footer|svg|title|button|label"
)
# Each page of a drug's guide, HTML plus its CSS, uncompressed. The single long page was allowed
# 80,000 (raised from 60,000 when every help rule came to sit inside its own entry as well as in
# "When to get help"); in parts, the longest (lenalidomide's side effects, 60 effects) is about
# 69,000, so each part must now fit in 72,000.
PAGE_BUDGET_BYTES = 72_000
# The whole guide on one page is for printing and for readers who want it all: it now also
# explains each of its ~100 medical words on the page (about 20,000 bytes).
WHOLE_GUIDE_BUDGET_BYTES = 120_000


def text_of(response) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(rf"</?(?:{BLOCK_TAGS})\b[^>]*>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def main_html(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


class TestHome:
    def test_it_lists_published_drugs_with_a_search_and_common_questions(self, client):
        full_drug()
        DrugFactory(slug="draftamide", name="Draftamide", status=models.Status.DRAFT)
        response = client.get(reverse("drugs:home"))
        assert response.status_code == 200
        text = text_of(response)
        assert "Testamide (Testix)" in text
        assert "Draftamide" not in text
        assert "Common questions" in text
        how_to_take = reverse("drugs:part", args=["testamide", "how-to-take"])
        assert f'href="{how_to_take}#missed-doses"' in (response.content.decode())

    def test_it_sets_no_cookie(self, client):
        full_drug()
        for name in ["home", "list", "glossary", "side_effects", "compare", "accessibility"]:
            response = client.get(reverse(f"drugs:{name}"))
            assert not response.cookies, name
        assert not client.get(reverse("drugs:detail", args=["testamide"])).cookies


class TestDrugList:
    def test_it_lists_generic_and_brand_names_a_to_z(self, client):
        full_drug()
        DrugFactory(slug="draftamide", name="Draftamide", status=models.Status.DRAFT)
        response = client.get(reverse("drugs:list"))
        text = text_of(response)
        assert "Testamide (brand name: Testix)" in text
        assert "Testix is a brand name for testamide" in text
        assert "Draftamide" not in text
        assert 'href="#letter-T"' in response.content.decode()


class TestDrugPage:
    """The guide's content, read on the whole guide (one page with every part; the parts
    themselves: tests/pages/test_guide_parts.py)."""

    def url(self, slug="testamide"):
        return reverse("drugs:detail", args=[slug])

    def whole(self, slug="testamide"):
        return reverse("drugs:guide", args=[slug])

    def test_it_links_nurses_to_the_printable_handout(self, client):
        full_drug()

        html = main_html(client.get(self.url()))

        assert f'href="{reverse("drugs:handout", args=["testamide"])}"' in html

    def test_it_shows_title_pronunciation_key_facts_and_contents(self, client):
        full_drug()
        response = client.get(self.whole())
        assert response.status_code == 200
        text = text_of(response)
        assert "Testamide (Testix)" in text
        assert "How to say it: test-a-mide" in text
        assert "21 days of treatment, then 7 days without" in text
        html = main_html(response)
        contents = re.search(r'<nav class="contents".*?</nav>', html, re.S).group(0)
        anchors = re.findall(r'href="#([^"]+)"', contents)
        for anchor in anchors:
            assert f'id="{anchor}"' in html
        assert anchors == [
            "about",
            "how-it-works",
            "how-to-take",
            "missed-doses",
            "handling-and-storage",
            "side-effects",
            "pregnancy-prevention",
            "getting-help",
            "other-precautions",
            "professionals",
            "sources",
        ]

    def test_sections_come_in_the_fixed_order(self, client):
        full_drug()
        text = text_of(client.get(self.whole()))
        headings = [
            SECTION_TITLES[models.SectionKind.ABOUT],
            SECTION_TITLES[models.SectionKind.HOW_IT_WORKS],
            SECTION_TITLES[models.SectionKind.HOW_TO_TAKE],
            SECTION_TITLES[models.SectionKind.MISSED_DOSES],
            "Handling and storage",
            SECTION_TITLES[models.SectionKind.SIDE_EFFECTS],
            "Pregnancy prevention",
            SECTION_TITLES[models.SectionKind.GETTING_HELP],
            "Other precautions",
            "For health professionals",
            "Sources and review dates",
        ]
        # The contents list ends with the last heading; the page itself starts after it.
        body = text[text.index("Sources and review dates") + 1 :]
        positions = [body.index(heading) for heading in headings]
        assert positions == sorted(positions)

    def test_side_effects_are_grouped_by_band_most_common_first(self, client):
        full_drug()
        text = text_of(client.get(self.whole()))
        common = text.index("Common: more than 10 in every 100 people")
        charity = text.index("Less common: listed as less common by the source")
        occasional = text.index("Occasional: 1 to 10 in every 100 people")
        assert common < charity < occasional
        assert common < text.index("Constipation", common) < charity
        assert charity < text.index("Tiredness", charity) < occasional

    def test_figures_show_as_natural_frequency_percentage_and_icon_array(self, client):
        full_drug()
        response = client.get(self.whole())
        text = text_of(response)
        assert "1 in 4 people (25%)" in text
        assert "just under 1 in 3 people (the source says 30.5%)" in text
        html = response.content.decode()
        assert (
            '<svg class="ia" viewBox="0 0 100 100" role="img" aria-label="25 in every 100 people">'
            in html
        )
        assert 'aria-label="About 31 in every 100 people"' in html
        assert "style=" not in html

    def test_care_cards_gather_help_rules_by_urgency(self, client):
        full_drug()
        response = client.get(self.whole())
        text = text_of(response)
        section = text[text.index("Every sign to act on from this guide") :]
        levels = [
            section.index("Call 999 if:"),
            section.index("Call your team now if:"),
            section.index("Tell your team if:"),
        ]
        assert levels == sorted(levels)
        # Each rule on its own level's card, saying which entry it comes from.
        cards = section[levels[0] :].split(" if: ")
        assert "you have trouble breathing – Infection" in cards[1]
        assert "your temperature goes above 38°C – Infection" in cards[2]
        assert "you have not pooed for 3 days – Constipation" in cards[3]
        assert "you keep getting colds – Infection" in cards[3]
        # Urgency is written out, not only coloured.
        assert "Emergency: Call 999 if:" in section
        assert "Urgent: Call your team now if:" in section
        # No level claims a sign can wait: no source says so.
        assert "Not urgent" not in text and "working hours" not in text
        assert "next visit" not in text

    def test_without_a_helpline_the_cards_point_to_the_teams_number(self, client, settings):
        settings.HELPLINE_NUMBER = ""
        full_drug()
        response = client.get(self.whole())
        assert "Call the contact number your team gave you." in text_of(response)
        assert "24-hour" not in text_of(response)
        assert 'href="tel:' not in response.content.decode()

    def test_with_a_helpline_the_cards_link_to_it(self, client, settings):
        settings.HELPLINE_NUMBER = "0800 123 4567"
        full_drug()
        response = client.get(self.whole())
        assert '<a href="tel:08001234567">0800 123 4567</a>' in response.content.decode()
        assert "24-hour" not in text_of(response)

    def test_warnings_disagreements_and_professional_details(self, client):
        full_drug()
        response = client.get(self.whole())
        html = main_html(response)
        text = text_of(response)
        assert re.search(
            r'class="precaution callout callout--warning">\s*<h3><span class="callout-label">Warning',
            html,
        )
        assert "Warning: Preventing pregnancy" in text
        assert "For: people who can get pregnant" in text
        for topic, note in [
            ("What it treats", "The sources name different uses."),
            ("How long not to give blood", "One source says 1 week, the other 4 weeks."),
            ("How common tiredness is", "The sources give different figures."),
        ]:
            assert f"Sources differ: {topic} {note}" in text
        assert re.search(r"<details class=\"pro\">\s*<summary>Pharmacology</summary>", html)

    def test_review_dates_and_sources_close_the_page(self, client):
        full_drug()
        response = client.get(self.whole())
        text = text_of(response)
        assert "Page last reviewed 1 November 2026: checked against its sources" in text
        assert "Next review due 1 November 2099" in text
        assert "Example Charity:" in text and "Example Database:" in text
        assert "due for review" not in text

    def test_an_overdue_review_is_announced(self, client):
        overdue(full_drug())
        text = text_of(client.get(self.whole()))
        assert "This page is due for review." in text
        assert "(overdue)" in text

    def test_it_has_schema_org_json_ld(self, client):
        full_drug()
        html = client.get(self.url()).content.decode()
        raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
        data = json.loads(raw)
        assert data["@type"] == "MedicalWebPage"
        assert data["about"]["@type"] == "Drug"
        assert data["about"]["name"] == "Testamide"
        assert data["lastReviewed"] == "2026-11-01"

    def test_glossary_words_are_linked_once_at_first_use(self, client):
        full_drug()
        html = main_html(client.get(self.whole()))
        links = re.findall(
            r'<a class="term" id="term-laxative" href="#word-laxative">([^<]+)</a>', html
        )
        assert links == ["laxative"]
        first_use = html.index("laxative")
        assert html.index('<a class="term" id="term-laxative"') < first_use
        # The definition is on the page itself, and links back to the word.
        words = html[html.index('id="words-h"') :]
        assert '<dt id="word-laxative"><dfn>Laxative</dfn></dt>' in words
        assert "A medicine that helps you poo." in words
        assert 'href="#term-laxative"' in words

    def test_it_says_how_to_report_a_side_effect_and_has_the_feedback_form(self, client):
        full_drug()
        response = client.get(self.url())
        html = response.content.decode()
        # Only what a source says: tell your team; Cancer Research UK names the MHRA.
        assert "You can also report a side effect to the MHRA" in text_of(response)
        assert "yellowcard" not in html
        assert "does not replace your own care team" in text_of(response)
        assert f'action="{reverse("drugs:feedback")}"' in html
        assert 'name="page" value="/drugs/testamide/"' in html

    def test_it_has_the_anchors_search_results_link_to(self, client):
        full_drug()
        html = main_html(client.get(self.url()))
        for anchor in ["side-effect-constipation", "precaution-giving-blood", "missed-doses"]:
            assert f'id="{anchor}"' in html

    def test_unknown_drugs_are_not_found(self, client):
        response = client.get(self.url("no-such-drug"))
        assert response.status_code == 404
        assert "Page not found" in text_of(response)

    @pytest.mark.parametrize("status", [models.Status.DRAFT, models.Status.REVIEW])
    def test_unpublished_drugs_are_not_found(self, client, status):
        full_drug(status=status)
        assert client.get(self.url()).status_code == 404

    def test_query_count_does_not_grow_with_side_effects(self, client, django_assert_num_queries):
        full_drug(slug="small", name="Small", effects=3)
        full_drug(slug="large", name="Large", effects=30)
        expected = count_queries(client, self.url("small"))
        with django_assert_num_queries(expected):
            client.get(self.url("large"))

    def test_the_preview_shows_a_draft_to_editors_without_feedback(self, rf):
        full_drug(status=models.Status.DRAFT)
        drug = models.Drug.objects.with_monograph().get(slug="testamide")
        response = render_drug_page(rf.get("/admin/preview/"), drug, preview=True)
        html = response.content.decode()
        assert "not yet published" in html
        assert '<meta name="robots" content="noindex">' in html
        assert response["X-Robots-Tag"] == "noindex"
        assert "Was this page helpful?" not in html


class TestPresenters:
    @pytest.mark.parametrize(
        "value, text", [(Decimal("25.00"), "25"), (Decimal("30.50"), "30.5"), (None, "")]
    )
    def test_percentages_keep_the_sources_precision(self, value, text):
        assert format_percent(value) == text

    @pytest.mark.parametrize("filled", [0, 1, 9, 10, 25, 99, 100])
    def test_icon_arrays_shade_exactly_the_first_n_of_100_people(self, filled):
        rects = IconArray(filled=filled, exact=True).rects
        on = sum(w * h for _, _, w, h, cls in rects if cls == "on") // 100
        off = sum(w * h for _, _, w, h, cls in rects if cls == "off") // 100
        assert (on, off) == (filled, 100 - filled)

    def test_a_figure_keeps_the_sources_words(self):
        item = models.DrugSideEffect(figure_percent=Decimal("30"), figure_text="just under 1 in 3")
        figure = Figure.of(item)
        assert (figure.natural, figure.percent) == ("just under 1 in 3 people", "30")
        assert figure.icons.label == "30 in every 100 people"

    def test_a_figure_without_words_says_the_percentage_as_a_frequency(self):
        figure = Figure.of(models.DrugSideEffect(figure_percent=Decimal("25")))
        assert figure.natural == "25 in every 100 people"
        assert Figure.of(models.DrugSideEffect()) is None

    def test_care_cards_are_most_urgent_first_and_list_each_threshold_once(self):
        rules = [
            models.HelpRule(urgency=models.Urgency.TELL, text="a"),
            models.HelpRule(urgency=models.Urgency.IMMEDIATE, text="b"),
        ]
        again = [models.HelpRule(urgency=models.Urgency.TELL, text="a")]
        cards = build_care_cards([("One", "one", rules), ("Two", "two", again)], "your team")
        assert [c.heading for c in cards] == ["Call 999 if:", "Tell your team if:"]
        assert cards[1].items == ["a"]
        # Listed once, naming both entries that give it.
        assert cards[1].signs[0].items[0].entries == [("One", "one"), ("Two", "two")]

    def test_most_common_lists_the_top_band(self):
        full_drug()
        drug = models.Drug.objects.with_monograph().get(slug="testamide")
        page = DrugPage(drug, [])
        assert [e.item.effect.slug for e in page.most_common] == ["constipation", "tiredness"]


class TestGlossaryMarker:
    def marker(self, *terms):
        return GlossaryMarker([GlossaryTermFactory(slug=s, term=t, aliases=a) for s, t, a in terms])

    def test_it_marks_whole_words_once_case_insensitively(self):
        marker = self.marker(("anaemia", "Anaemia", ["anaemic"]))
        html = marker.mark("<p>Anaemic people. Anaemia again. Hyperanaemia.</p>")
        assert (
            html
            == '<p><a class="term" id="term-anaemia" href="#word-anaemia">Anaemic</a> people. Anaemia again. Hyperanaemia.</p>'
        )
        assert [term.slug for term in marker.used] == ["anaemia"]
        assert marker.mark("<p>anaemia</p>") == "<p>anaemia</p>"

    def test_it_leaves_tags_attributes_links_headings_and_entities_alone(self):
        marker = self.marker(("amp", "Amp", []), ("title", "Title", []))
        source = '<h3>Title</h3><p><abbr title="title &gt; amp">x</abbr> <a href="/amp">amp</a> &amp; title</p>'
        marked = marker.mark(source)
        assert marked == source.replace(
            "&amp; title", '&amp; <a class="term" id="term-title" href="#word-title">title</a>'
        )

    def test_longer_terms_win(self):
        marker = self.marker(("blood", "Blood", []), ("wbc", "White blood cells", []))
        assert 'href="#word-wbc">white blood cells</a>' in marker.mark("<p>white blood cells</p>")


class TestSideEffectPages:
    def test_the_list_shows_each_effect_and_the_drugs_listing_it(self, client):
        full_drug()
        full_drug(slug="otheramide", name="Otheramide")
        response = client.get(reverse("drugs:side_effects"))
        assert response.status_code == 200
        assert "Constipation. Listed for otheramide and testamide." in text_of(response)

    def test_an_effect_page_shows_each_drug_with_band_figure_and_help(self, client):
        full_drug()
        response = client.get(reverse("drugs:side_effect", args=["infection"]))
        text = text_of(response)
        assert response.status_code == 200
        assert "Testamide" in text
        assert "Occasional: 1 to 10 in every 100 people" in text
        assert "just under 1 in 3 people (the source says 30.5%)" in text
        assert "Call 999 if: you have trouble breathing" in text

    def test_unknown_and_unpublished_only_effects_are_not_found(self, client):
        full_drug(status=models.Status.DRAFT)
        assert client.get(reverse("drugs:side_effect", args=["infection"])).status_code == 404
        assert client.get(reverse("drugs:side_effect", args=["nothing"])).status_code == 404

    def test_a_pending_revision_never_lists_an_effect(self, client):
        live = full_drug()
        full_drug(
            slug="testamide--draft",
            name="Revised testamide",
            status=models.Status.PUBLISHED,
            revision_of=live,
        )

        detail = text_of(client.get(reverse("drugs:side_effect", args=["infection"])))
        listing = text_of(client.get(reverse("drugs:side_effects")))

        assert "Revised testamide" not in detail
        assert "revised testamide" not in listing.lower()

    def test_query_count_does_not_grow_with_drugs(self, client, django_assert_num_queries):
        full_drug()
        expected = count_queries(client, reverse("drugs:side_effect", args=["infection"]))
        full_drug(slug="b", name="B")
        full_drug(slug="c", name="C")
        from django.core.cache import cache

        cache.clear()
        with django_assert_num_queries(expected):
            client.get(reverse("drugs:side_effect", args=["infection"]))


class TestGlossaryPage:
    def test_it_lists_every_term_with_its_definition_and_an_anchor(self, client):
        GlossaryTermFactory(
            slug="laxative", term="Laxative", aliases=["laxatives"], definition="Helps you poo."
        )
        response = client.get(reverse("drugs:glossary"))
        assert 'id="laxative"' in response.content.decode()
        assert "Laxative Helps you poo. Also written as: laxatives." in text_of(response)


class TestCompare:
    def test_it_puts_two_drugs_side_by_side_by_band(self, client):
        full_drug()
        other = full_drug(slug="otheramide", name="Otheramide", effects=3)
        models.DrugSideEffect.objects.filter(drug=other, effect__slug="infection").delete()
        response = client.get(reverse("drugs:compare") + "?drugs=testamide,otheramide")
        assert response.status_code == 200
        text = text_of(response)
        assert "Side effect Testamide Otheramide" in text
        row = re.search(r'<tr><th scope="row">.*?Infection.*?</tr>', response.content.decode())
        cells = re.findall(r"<td>.*?</td>", row.group(0))
        assert (
            'Occasional</a>: <span class="band-phrase">1 to 10 in every 100 people</span>'
            "<br>just under 1 in 3 people (the source says 30.5%)"
        ) in cells[0]
        assert "Not listed" in cells[1]
        assert text.index("Common: more than 10") < text.index("Occasional: 1 to 10")

    def test_it_accepts_repeated_parameters_from_the_form(self, client):
        full_drug()
        full_drug(slug="otheramide", name="Otheramide")
        response = client.get(reverse("drugs:compare"), {"drugs": ["testamide", "otheramide"]})
        assert "<table" in response.content.decode()

    def test_unknown_or_too_few_drugs_show_the_chooser(self, client):
        full_drug()
        full_drug(slug="draftamide", name="Draftamide", status=models.Status.DRAFT)
        response = client.get(reverse("drugs:compare") + "?drugs=testamide,draftamide")
        text = text_of(response)
        assert response.status_code == 200
        assert "We could not find draftamide" in text
        assert "<table" not in response.content.decode()
        assert 'name="drugs" value="testamide"' in response.content.decode()

    def test_query_count_does_not_grow_with_side_effects(self, client, django_assert_num_queries):
        full_drug(slug="a", name="A")
        full_drug(slug="b", name="B")
        expected = count_queries(client, reverse("drugs:compare") + "?drugs=a,b")
        full_drug(slug="c", name="C", effects=20)
        full_drug(slug="d", name="D", effects=20)
        with django_assert_num_queries(expected):
            client.get(reverse("drugs:compare") + "?drugs=c,d")


class TestOtherPages:
    def test_accessibility_statement(self, client):
        response = client.get(reverse("drugs:accessibility"))
        assert response.status_code == 200
        assert "WCAG" in text_of(response)

    def test_the_500_page_renders_without_a_request(self, rf):
        from meds_site.errors import server_error

        response = server_error(rf.get("/drugs/x/"))
        assert response.status_code == 500
        assert "Sorry, something went wrong" in response.content.decode()

    @pytest.mark.parametrize(
        "name, args",
        [("home", []), ("list", []), ("side_effects", []), ("glossary", []), ("compare", [])],
    )
    def test_list_pages_use_a_constant_number_of_queries(
        self, client, django_assert_num_queries, name, args
    ):
        full_drug(slug="a", name="A")
        expected = count_queries(client, reverse(f"drugs:{name}", args=args))
        full_drug(slug="b", name="B", effects=10)
        full_drug(slug="c", name="C", effects=10)
        from django.core.cache import cache

        cache.clear()
        with django_assert_num_queries(expected):
            client.get(reverse(f"drugs:{name}", args=args))


def test_each_page_of_the_guide_fits_its_budget(client, real_content):
    """Every part of the real monographs, and of a synthetic one with 40 side effects if none
    exist yet; the whole guide has a budget of its own."""
    slugs = list(models.Drug.objects.published().values_list("slug", flat=True))
    if not slugs:
        full_drug(effects=40)
        slugs = ["testamide"]
    css = sum(
        p.stat().st_size for p in (Path(settings.BASE_DIR) / "static" / "css").glob("site.css")
    )
    for slug in slugs:
        drug = models.Drug.objects.with_monograph().get(slug=slug)
        for part in DrugPage(drug, []).parts:
            html = client.get(part.url).content
            assert len(html) + css <= PAGE_BUDGET_BYTES, (part.url, len(html), css)
        html = client.get(reverse("drugs:guide", args=[slug])).content
        assert len(html) + css <= WHOLE_GUIDE_BUDGET_BYTES, (slug, len(html), css)


def test_the_header_search_box_sends_to_the_search_page(client):
    full_drug()
    html = client.get(reverse("drugs:detail", args=["testamide"])).content.decode()
    assert (
        f'<form class="search" role="search" method="get" action="{reverse("drugs:search")}">'
        in html
    )
