"""Clinical review 2026-12 (1.6, 1.7, 1.11, 1.13, 2.9, 2.10, 3.4, 6.7): how pages present sources,
bands, figures and reporting."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from drugs import models
from drugs.monographs.shared_files import BANDS_FILE, parse_bands
from drugs.pages.drug import DrugPage
from drugs.pages.figures import Figure
from tests.factories import DrugFactory, DrugSideEffectFactory, SideEffectFactory
from tests.pages.test_pages import count_queries, main_html, text_of
from tests.pages_data import charity_band, full_drug, standard_bands

pytestmark = pytest.mark.django_db

BANDS = Path(settings.BASE_DIR) / "content" / BANDS_FILE


def years_ago(years: int, days: int = 0) -> datetime.date:
    """Today, `years` years ago (and `days` days before that)."""
    today = timezone.localdate()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        then = today.replace(year=today.year - years, day=28)
    return then - datetime.timedelta(days=days)


def long_date(value: datetime.date) -> str:
    return f"{value.day} {value:%B %Y}"


def detail_url(slug: str = "testamide") -> str:
    """The whole guide on one page: everything these checks read, from key facts to sources."""
    return reverse("drugs:guide", args=[slug])


def sources_part(response) -> str:
    text = text_of(response)
    return text[text.rindex("Sources and review dates") :]


def set_sources(drug, **by_key):
    """Give each of the drug's sources (by key) the fields named."""
    for key, fields in by_key.items():
        models.Source.objects.filter(drug=drug, key=key).update(**fields)


def render_counting(client, url, django_assert_num_queries, expected: int):
    with django_assert_num_queries(expected):
        return client.get(url)


class TestSourcesAndTheirAge:
    def test_each_source_shows_its_own_date_and_what_that_date_is(self, client):
        drug = full_drug()
        reviewed, updated = years_ago(1), years_ago(2)
        set_sources(
            drug,
            leaflet={"date": reviewed, "date_kind": models.SourceDateKind.REVIEWED},
            database={"date": updated, "date_kind": models.SourceDateKind.UPDATED},
        )

        sources = sources_part(client.get(detail_url()))

        assert f"Example Charity: Testamide leaflet, reviewed {long_date(reviewed)}." in sources
        assert f"Example Database: Testamide leaflet, updated {long_date(updated)}." in sources

    def test_a_source_without_a_date_says_so_and_what_it_is(self, client):
        drug = full_drug()
        set_sources(
            drug,
            database={
                "date": None,
                "publisher": "An unnamed drug-information website",
                "publisher_named": False,
                "about": "Written for readers in the US.",
            },
        )

        sources = sources_part(client.get(detail_url()))

        assert (
            "An unnamed drug-information website: Testamide leaflet, no date given. "
            "Written for readers in the US." in sources
        )

    def test_a_source_more_than_5_years_old_gets_its_notice(
        self, client, django_assert_num_queries
    ):
        full_drug(slug="otheramide", name="Otheramide")
        expected = count_queries(client, detail_url("otheramide"))
        drug = full_drug()
        set_sources(drug, database={"date": years_ago(5, days=1)})

        # The age check reads the sources the page already has: no query of its own.
        response = render_counting(client, detail_url(), django_assert_num_queries, expected)

        sources = sources_part(response)
        assert "This source is more than 5 years old." in sources
        # Said once near the top too, calmly: not a warning callout.
        top = main_html(response)[: main_html(response).index('class="facts"')]
        assert "1 of the 2 sources for this page is old or past its own review date." in top
        assert 'href="#sources"' in top
        assert "callout" not in top

    def test_an_old_source_gets_its_notice_on_29_february_too(self, client, monkeypatch):
        drug = full_drug()
        set_sources(drug, database={"date": datetime.date(2020, 2, 28)})
        monkeypatch.setattr(timezone, "localdate", lambda: datetime.date(2028, 2, 29))

        response = client.get(detail_url())

        assert response.status_code == 200
        assert "This source is more than 5 years old." in sources_part(response)

    def test_a_source_past_its_own_review_date_gets_its_notice(self, client):
        drug = full_drug()
        due = timezone.localdate() - datetime.timedelta(days=1)
        set_sources(
            drug,
            leaflet={"date": years_ago(3), "date_kind": "reviewed", "next_review": due},
        )

        response = client.get(detail_url())

        assert f"This source was due to be reviewed by {long_date(due)}." in sources_part(response)
        assert "This page is due for review." not in text_of(response)

    def test_a_source_within_its_dates_gets_no_notice(self, client):
        drug = full_drug()
        next_review = timezone.localdate() + datetime.timedelta(days=30)
        set_sources(
            drug,
            leaflet={"date": years_ago(1), "date_kind": "reviewed", "next_review": next_review},
            database={"date": years_ago(5, days=-1)},
        )

        response = client.get(detail_url())

        text = text_of(response)
        assert f"reviewed {long_date(years_ago(1))}." in sources_part(response)
        assert "more than 5 years old" not in text
        assert "due to be reviewed" not in text
        assert "past its own review date" not in text
        assert "past their own review dates" not in text

    def test_the_page_says_what_its_own_review_checked(self, client):
        full_drug()

        text = text_of(client.get(detail_url()))

        # In the key facts, in the sources part, and on the printed page.
        assert text.count("1 November 2026: checked against its sources") == 2
        assert "Page last reviewed (checked against its sources) 1 November 2026" in text
        assert "Next review due 1 November 2099" in text


class TestComparePage:
    def url(self, *slugs):
        return reverse("drugs:compare") + "?drugs=" + ",".join(slugs)

    def test_the_compare_page_gives_no_number_a_source_did_not_give(
        self, client, django_assert_num_queries
    ):
        common, _, _ = standard_bands()
        # Mapped to the standard "Common: more than 10 in every 100 people", but no numbers.
        less_common = charity_band(common)
        one, other = DrugFactory(slug="one"), DrugFactory(slug="other")
        for drug in (one, other):
            DrugSideEffectFactory(
                drug=drug, effect=SideEffectFactory(slug="tiredness"), band=less_common
            )
        expected = count_queries(client, self.url("one", "other"))
        for number in range(5):
            for drug in (one, other):
                DrugSideEffectFactory(drug=drug, band=less_common, order=10 + number)

        response = render_counting(
            client, self.url("one", "other"), django_assert_num_queries, expected
        )

        html = main_html(response)
        assert "<table" in html
        assert "in every 100" not in html
        assert "Less common</a></span>" in html

    def test_each_cell_gives_its_sources_band_words_and_numbers_only_if_given(self, client):
        common, occasional, _ = standard_bands()
        less_common = charity_band(common)
        counted, uncounted = DrugFactory(slug="counted"), DrugFactory(slug="uncounted")
        effect = SideEffectFactory(slug="tiredness", name="Tiredness")
        DrugSideEffectFactory(drug=counted, effect=effect, band=occasional)
        DrugSideEffectFactory(drug=uncounted, effect=effect, band=less_common)

        html = main_html(client.get(self.url("counted", "uncounted")))

        row = re.search(r'<tr><th scope="row">.*?Tiredness.*?</tr>', html).group(0)
        counted_cell, uncounted_cell = re.findall(r"<td>.*?</td>", row)
        assert "Occasional</a>: " in counted_cell
        assert "1 to 10 in every 100 people" in counted_cell
        assert "Less common</a></span>" in uncounted_cell
        # The group heading only orders the rows: it states no number for either.
        heading = re.search(r"<h2[^>]*>(.*?)</h2>", html).group(1)
        assert heading == "Common"

    def test_the_drug_databases_rare_maps_to_a_band_with_no_number(self):
        bands, problems = parse_bands(str(BANDS))
        assert not problems
        by_ref = {band.reference: band for band in bands}
        rare = by_ref["drugdb:rare"]
        standard = by_ref[f"standard:{rare.standard}"]
        assert (standard.min_per_100, standard.max_per_100) == (None, None)
        # It still lists before the effects the database says nothing about.
        assert rare.rank < by_ref["drugdb:not-stated"].rank

    def test_cancer_research_uks_bands_say_they_are_about_the_whole_list(self):
        bands, _ = parse_bands(str(BANDS))
        phrases = {band.key: band.phrase for band in bands if band.scale == "cruk"}
        assert phrases == {
            "common": "more than 10 in every 100 people have 1 or more of the side effects in this group",
            "occasional": "1 to 10 in every 100 people have 1 or more of the side effects in this group",
            "rare": "fewer than 1 in every 100 people have the side effects in this group",
        }


class TestMostCommon:
    def drug_with_effects(self):
        common, occasional, _ = standard_bands()
        drug = DrugFactory(slug="testamide", name="Testamide")
        # (slug, band, percent, words, text), in file order.
        for order, (slug, band, percent, words, text) in enumerate(
            [
                ("infection", common, None, "", "You may get infections."),
                ("bruising", common, None, "", "You may bruise."),
                ("tiredness", common, None, "", "Feeling tired is a common side effect."),
                ("blood-clots", common, 20, "just under 1 out of 5", "You may get a clot."),
                ("constipation", common, 25, "1 in 4", "You may find it hard to poo."),
                ("muscle-pain", common, 20, "1 out of 5", "Your muscles may ache."),
                ("diarrhoea", common, 10, "just over 1 in 10", "You may have loose poo."),
                ("skin", common, None, "", "Your skin may change."),
                # The source calls it common, but lists it in a less common band.
                ("sore-mouth", occasional, None, "", "A sore mouth is a common side effect."),
                ("hair", occasional, 90, "9 in 10", "Your hair may thin."),
            ]
        ):
            DrugSideEffectFactory(
                drug=drug,
                effect=SideEffectFactory(slug=slug, name=slug.replace("-", " ").capitalize()),
                band=band,
                figure_percent=percent,
                figure_text=words,
                text=text,
                order=order,
            )
        return drug

    def test_most_common_picks_by_band_and_figure_at_most_6(self):
        self.drug_with_effects()
        drug = models.Drug.objects.with_monograph().get(slug="testamide")

        page = DrugPage(drug, [])

        assert [e.item.effect.slug for e in page.most_common] == [
            "constipation",
            "blood-clots",
            "muscle-pain",
            "diarrhoea",
            "tiredness",
            "infection",
        ]

    def test_the_key_facts_name_the_effects_with_the_highest_figures_first(self, client):
        self.drug_with_effects()

        text = text_of(client.get(detail_url()))

        assert (
            "Most common side effects constipation, blood clots, muscle pain, diarrhoea, "
            "tiredness, infection. All side effects" in text
        )


class TestFigures:
    @pytest.mark.parametrize(
        "percent, words, shown",
        [
            ("25", "1 in 4", "1 in 4 people (25%)"),
            ("20", "1 out of 5", "1 out of 5 people (20%)"),
            ("20", "just under 1 out of 5", "just under 1 out of 5 people (the source says 20%)"),
            ("10", "just over 1 in 10", "just over 1 in 10 people (the source says 10%)"),
            ("33", "1 in 3", "1 in 3 people (the source says 33%)"),
            ("25", "", "25 in every 100 people (25%)"),
            ("30.5", "", "30.5% of people"),
            (None, "1 in 4", "1 in 4 people"),
        ],
    )
    def test_a_percentage_is_given_as_exact_only_where_the_words_say_the_same(
        self, percent, words, shown
    ):
        item = models.DrugSideEffect(
            figure_percent=Decimal(percent) if percent else None, figure_text=words
        )

        assert Figure.of(item).text == shown

    def test_the_page_shows_the_sources_words_then_its_percentage(self, client):
        full_drug()

        text = text_of(client.get(detail_url()))

        assert "1 in 4 people (25%)" in text
        assert "just under 1 in 3 people (the source says 30.5%)" in text
        assert "just under 1 in 3 people (30.5%)" not in text


class TestFooter:
    def test_the_footer_points_to_the_team_and_the_mhra_without_the_yellow_card(self, client):
        full_drug()

        for url in (detail_url(), reverse("drugs:home"), reverse("drugs:compare")):
            response = client.get(url)
            html = response.content.decode()
            assert "yellow card" not in html.lower() and "yellowcard" not in html.lower()
            assert (
                "Had a side effect? Tell your care team: your doctor, nurse or pharmacist. "
                "You can also report a side effect to the MHRA, the UK medicines regulator."
            ) in text_of(response)
