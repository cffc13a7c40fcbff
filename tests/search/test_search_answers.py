"""Search that answers: the not-mentioned answer, rarer words first, glossary entries after the
drugs' parts, headings that name the drug, pages of results, and temperatures read against each
drug's own threshold. Runs on whichever database DATABASE_URL selects."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from drugs.models import Status, Urgency
from drugs.search import search
from drugs.search.answers import crossed, sign_answers, temperature, without_temperature
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    GlossaryTermFactory,
    HelpRuleFactory,
    SideEffectFactory,
    SignFactory,
)

pytestmark = pytest.mark.django_db


def effect(drug, slug, name, text, lay_names=()):
    return DrugSideEffectFactory(
        drug=drug,
        effect=SideEffectFactory(slug=slug, name=name, lay_names=list(lay_names)),
        text=text,
    )


def titles(query, **kwargs):
    return [r.title for r in search(query, **kwargs).results]


@pytest.fixture
def drug():
    return DrugFactory(slug="exampleamide", name="Exampleamide", brand_names=["Examplix"])


@pytest.fixture
def losses(drug):
    """Entries that share the common word "loss", and one with a rarer word."""
    effect(drug, "weight-loss", "Weight loss", "You may lose weight.")
    effect(drug, "hearing-loss", "Hearing loss", "You may not hear as well.")
    effect(drug, "vision-loss", "Loss of vision", "Your eyesight may change.")
    effect(drug, "tinnitus", "Ringing in the ears", "You may hear ringing (tinnitus).")
    effect(drug, "air", "Air in the lungs", "Air can collect around a lung.")
    return drug


class TestNotMentioned:
    def test_a_word_no_source_has_gets_the_not_mentioned_answer_not_loose_matches(self, losses):
        response = search("hair loss")
        assert response.results == []
        assert response.not_mentioned == ["hair"]
        assert response.total == 0

    def test_a_misspelling_is_not_corrected_by_changing_its_first_letter(self, losses):
        response = search("hair")
        assert response.corrections == {}
        assert response.not_mentioned == ["hair"]

    def test_a_misspelling_with_the_right_first_letter_is_still_corrected(self, losses):
        assert search("tinnitis").corrections == {"tinnitis": "tinnitus"}

    def test_each_word_no_source_has_is_named(self, losses):
        assert search("grapefruit juice loss").not_mentioned == ["grapefruit", "juice"]

    def test_a_number_no_source_has_is_left_out_not_reported(self, losses):
        response = search("weight 1234")
        assert response.not_mentioned == []
        assert titles("weight 1234") == ["Weight loss"]

    def test_the_page_says_so_plainly_and_shows_no_results(self, client, losses):
        html = client.get(reverse("drugs:search"), {"q": "hair loss"}).content.decode()
        assert "Our guides to these medicines do not mention hair." in html
        assert "Ask your team." in html
        assert "Weight loss" not in html
        assert 'class="search-result"' not in html

    def test_the_api_names_the_words_not_mentioned(self, client, losses):
        body = client.get(reverse("drugs:api_search"), {"q": "hair loss"}).json()
        assert (body["not_mentioned"], body["results"], body["count"]) == (["hair"], [], 0)


class TestRarerWordsFirst:
    def test_a_result_with_only_the_common_word_is_no_answer(self, losses):
        # No entry has both words: only the one with the rarer word is shown.
        response = search("tinnitus loss")
        assert [r.title for r in response.results] == ["Ringing in the ears"]
        assert response.partial

    def test_results_with_every_word_come_before_results_with_some(self, losses):
        assert titles("hearing loss")[0] == "Hearing loss"

    def test_every_result_of_a_partial_match_has_the_rarer_word(self, drug):
        effect(drug, "sore-mouth", "Sore mouth", "Do not drink alcohol.")
        for slug in ["constipation", "diarrhoea", "kidneys"]:
            effect(drug, slug, slug.capitalize(), "Drink plenty of fluids.")
        assert titles("can I drink alcohol") == ["Sore mouth"]


class TestUnmatchedDrugs:
    @pytest.fixture
    def hearing(self, losses):
        other = DrugFactory(slug="otheramide", name="Otheramide", brand_names=["Otherix"])
        effect(other, "weight-loss", "Weight loss", "You may lose weight.")
        DrugFactory(slug="draftamide", name="Draftamide", status=Status.DRAFT)
        return other

    def test_a_drug_whose_guide_has_no_match_is_named(self, client, hearing):
        assert search("hearing").unmatched_drugs == ["Otheramide"]
        html = client.get(reverse("drugs:search"), {"q": "hearing"}).content.decode()
        assert "Nothing in the guide for Otheramide matches “hearing”." in html
        body = client.get(reverse("drugs:api_search"), {"q": "hearing"}).json()
        assert body["unmatched_drugs"] == ["Otheramide"]

    def test_no_drug_is_named_when_each_has_a_match(self, hearing):
        assert search("weight").unmatched_drugs == []

    def test_no_drug_is_named_for_a_query_about_another_drug(self, hearing):
        assert search("examplix hearing").unmatched_drugs == []

    def test_no_drug_is_named_when_matches_run_past_the_page(self, hearing):
        # "hearing" and "hear": both exampleamide's, one a page; the next page is not known.
        response = search("hearing", limit=1)
        assert (response.total, response.unmatched_drugs) == (2, [])


class TestGlossaryRanking:
    @pytest.fixture
    def fever(self, drug):
        effect(drug, "infection", "Infection", "Signs of infection.", lay_names=["fever"])
        GlossaryTermFactory(slug="yellow-fever", term="Yellow fever", definition="A disease.")
        GlossaryTermFactory(slug="fever", term="Fever", definition="A high temperature.")

    def test_an_everyday_word_finds_the_side_effect_before_a_term_that_contains_it(self, fever):
        found = titles("fever")
        assert found.index("Infection") < found.index("Yellow fever")

    def test_the_term_that_is_the_query_ranks_as_any_other_document(self, fever):
        assert titles("what does fever mean")[0] == "Fever"


class TestHeadings:
    def test_every_result_names_its_drug_in_its_heading(self, client, drug):
        other = DrugFactory(slug="otheramide", name="Otheramide", brand_names=[])
        constipation = SideEffectFactory(slug="constipation", name="Constipation")
        for each in (drug, other):
            DrugSideEffectFactory(drug=each, effect=constipation, text="You may not poo.")
        html = client.get(reverse("drugs:search"), {"q": "constipation"}).content.decode()
        assert ">Constipation - Exampleamide</a></h2>" in html
        assert ">Constipation - Otheramide</a></h2>" in html
        body = client.get(reverse("drugs:api_search"), {"q": "constipation"}).json()
        assert {r["heading"] for r in body["results"]} == {
            "Constipation - Exampleamide",
            "Constipation - Otheramide",
        }

    def test_a_drug_or_glossary_heading_is_its_title(self, drug):
        GlossaryTermFactory(slug="examplosis", term="Examplosis", definition="Exampleamide.")
        results = search("exampleamide").results
        assert {r.kind: r.heading for r in results} == {
            "drug": "Exampleamide",
            "glossary": "Examplosis",
        }


ZEBRAS = 45


@pytest.fixture
def zebras(drug):
    for n in range(ZEBRAS):
        effect(drug, f"zebra-{n}", f"Zebra stripes {n}", "Stripes like a zebra.")
    return drug


class TestPages:
    def test_the_first_page_says_how_many_and_links_to_the_next(self, client, zebras):
        html = client.get(reverse("drugs:search"), {"q": "zebra"}).content.decode()
        assert "Showing 1 to 20 of 45 results" in html
        assert f'href="{reverse("drugs:search")}?q=zebra&amp;page=2" rel="next"' in html
        assert 'rel="prev"' not in html
        assert html.count('class="search-result"') == 20

    def test_a_middle_page_links_both_ways(self, client, zebras):
        html = client.get(reverse("drugs:search"), {"q": "zebra", "page": 2}).content.decode()
        assert "Showing 21 to 40 of 45 results" in html
        assert f'href="{reverse("drugs:search")}?q=zebra&amp;page=1" rel="prev"' in html
        assert f'href="{reverse("drugs:search")}?q=zebra&amp;page=3" rel="next"' in html
        assert '<ol class="search-results" start="21">' in html

    def test_the_last_page_has_the_rest(self, client, zebras):
        html = client.get(reverse("drugs:search"), {"q": "zebra", "page": 3}).content.decode()
        assert "Showing 41 to 45 of 45 results" in html
        assert 'rel="next"' not in html

    def test_a_page_past_the_last_says_so(self, client, zebras):
        html = client.get(reverse("drugs:search"), {"q": "zebra", "page": 4}).content.decode()
        assert "There are no more results" in html

    def test_a_bad_page_number_gets_a_calm_message(self, client, zebras):
        response = client.get(reverse("drugs:search"), {"q": "zebra", "page": "0"})
        assert response.status_code == 200
        assert "That page of results does not exist." in response.content.decode()

    def test_the_pages_hold_every_result_once(self, zebras):
        seen = [r.url for page in (1, 2, 3) for r in search("zebra", page=page).results]
        assert len(seen) == len(set(seen)) == ZEBRAS

    def test_the_api_pages_with_count_and_next(self, client, zebras):
        url = reverse("drugs:api_search")
        first = client.get(url, {"q": "zebra", "limit": 30}).json()
        assert (first["count"], first["page"], len(first["results"])) == (45, 1, 30)
        assert first["previous"] is None
        assert first["next"] == f"https://meds.example.org{url}?q=zebra&limit=30&page=2"
        second = client.get(first["next"]).json()
        assert (second["page"], len(second["results"]), second["next"]) == (2, 15, None)
        assert second["previous"] == f"https://meds.example.org{url}?q=zebra&limit=30&page=1"
        urls = {r["url"] for r in first["results"] + second["results"]}
        assert len(urls) == ZEBRAS


def page_queries() -> int:
    """Queries of a search whose every word some document has: the content version (the page
    cache's key), the signs, the vocabulary, the words, the ranking; SQLite's snippets in one
    more. The search page's first page of a one-word query also checks for a drug's name."""
    return 5 if connection.vendor == "postgresql" else 6


class TestQueryCounts:
    def test_a_later_page_costs_what_the_first_does(
        self, client, zebras, django_assert_num_queries
    ):
        with django_assert_num_queries(page_queries() + 1):
            client.get(reverse("drugs:search"), {"q": "zebra"})
        with django_assert_num_queries(page_queries()):
            client.get(reverse("drugs:search"), {"q": "zebra", "page": 3})

    def test_the_api_page_costs_the_same(self, client, zebras, django_assert_num_queries):
        for page in (1, 2):
            with django_assert_num_queries(page_queries()):
                client.get(reverse("drugs:api_search"), {"q": "zebra", "page": page})

    def test_not_mentioned_costs_what_a_search_does(
        self, client, losses, django_assert_num_queries
    ):
        # The version, the signs, the vocabulary, the words, words like "hair" (a correction),
        # the ranking, how many documents have each word: no partial ranking, no snippets.
        with django_assert_num_queries(7):
            client.get(reverse("drugs:search"), {"q": "hair loss"})

    def test_a_temperature_answer_has_a_fixed_cost(
        self, client, temperatures, django_assert_num_queries
    ):
        # The search's, plus the signs' rules, the published drugs for the box (any with no
        # rule) and for the results (any with no match); constant as drugs and rules grow.
        with django_assert_num_queries(page_queries() + 3):
            client.get(reverse("drugs:search"), {"q": "37.8"})
        third = DrugFactory(slug="thirdamide", name="Thirdamide")
        fever_rule(third, "above 39°C")
        with django_assert_num_queries(page_queries() + 3):
            client.get(reverse("drugs:search"), {"q": "37.8"})


# --- temperatures ---------------------------------------------------------------------------


def fever_rule(drug, threshold, slug="infection"):
    high = SignFactory(
        slug="high-temperature", name="A high temperature", synonyms=["temperature", "fever"]
    )
    entry = DrugSideEffectFactory(
        drug=drug,
        effect=SideEffectFactory(slug=slug, name="Infection"),
        text="You may get an infection, with a high temperature.",
    )
    HelpRuleFactory(
        side_effect=entry,
        sign=high,
        text=f"your temperature goes {threshold}",
        threshold=threshold,
    )
    return entry


@pytest.fixture
def temperatures():
    """Two drugs with their own fever thresholds, as pomalidomide's and lenalidomide's differ."""
    low = DrugFactory(slug="lowamide", name="Lowamide", contact="the hospital, on the 24-hour line")
    high = DrugFactory(slug="highamide", name="Highamide")
    entry = fever_rule(low, "above 37.5°C")
    HelpRuleFactory(
        side_effect=entry,
        sign=SignFactory(slug="feeling-unwell", name="Feeling unwell"),
        text="you feel unwell, even if your temperature is normal",
    )
    fever_rule(high, "above 38°C")
    return low, high


def rules(answer):
    return {d.slug: [(r.crossed, r.label, r.text) for r in d.rules] for d in answer.drugs}


class TestTemperatures:
    @pytest.mark.parametrize(
        ("query", "degrees"),
        [
            ("37.8", "37.8"),
            ("38c", "38"),
            ("37,5 °C", "37.5"),
            ("38 degrees", "38"),
            ("temp 38", "38"),
            ("my temperature is 37.9", "37.9"),
            ("is 37.6 a fever", "37.6"),
            ("35.5", "35.5"),
        ],
    )
    def test_it_reads_a_temperature_inside_a_query(self, query, degrees):
        assert temperature(query) == Decimal(degrees)

    @pytest.mark.parametrize(
        "query", ["take 40 capsules", "21 days", "37.8 38.2", "100", "temp 12", "378"]
    )
    def test_other_numbers_are_no_temperature(self, query):
        assert temperature(query) is None

    @pytest.mark.parametrize(
        ("query", "searched"),
        [("38 degrees", "temperature"), ("temp 38", "temp"), ("37.8", "temperature")],
    )
    def test_the_text_search_looks_for_temperature_not_the_number(self, query, searched):
        assert without_temperature(query) == searched

    @pytest.mark.parametrize(
        ("degrees", "threshold", "said"),
        [
            ("37.8", "above 37.5°C", "37.8°C is above 37.5°C"),
            ("37.8", "above 38°C", ""),
            ("38", "above 38°C", ""),
            ("35.5", "below 36°C", "35.5°C is below 36°C"),
            ("36.5", "below 36°C", ""),
            ("39", "3 or more times a day", ""),
        ],
    )
    def test_only_a_threshold_crossed_is_stated(self, degrees, threshold, said):
        assert crossed(Decimal(degrees), threshold) == said

    def test_each_drug_gets_its_own_threshold(self, temperatures):
        (answer,) = sign_answers("37.8")
        assert answer.heading == "What to do: a temperature of 37.8°C"
        found = rules(answer)
        assert found["lowamide"][0] == (
            "37.8°C is above 37.5°C",
            "Call your team now",
            "your temperature goes above 37.5°C",
        )
        # Under its threshold: the rule as the source gives it, with nothing worked out.
        assert found["highamide"] == [
            ("", "Call your team now", "your temperature goes above 38°C")
        ]

    def test_a_temperature_under_every_threshold_still_shows_the_rules_beside_it(
        self, temperatures
    ):
        (answer,) = sign_answers("37.2")
        assert [text for _, _, text in rules(answer)["lowamide"]] == [
            "your temperature goes above 37.5°C",
            "you feel unwell, even if your temperature is normal",
        ]
        assert all(not r.crossed for d in answer.drugs for r in d.rules)

    def test_the_page_shows_each_drugs_threshold_and_contact(self, client, temperatures):
        html = client.get(reverse("drugs:search"), {"q": "temp 38"}).content.decode()
        box = html[html.index("What to do: a temperature of 38°C") : html.index("</section>")]
        low, high = box.index("Lowamide"), box.index("Highamide")
        assert high < low
        assert "38°C is above 37.5°C." in box[low:]
        assert "Call the hospital, on the 24-hour line." in box[low:]
        assert "Call the contact number your team gave you." in box[high:low]
        assert "is above" not in box[high:low]

    def test_a_drug_without_the_sign_is_named_not_left_out(self, temperatures):
        DrugFactory(slug="quietamide", name="Quietamide")
        DrugFactory(slug="draftamide", name="Draftamide", status=Status.DRAFT)
        (answer,) = sign_answers("fever")
        assert answer.unlisted == ["Quietamide"]

    def test_the_answer_box_comes_before_the_results(self, client, temperatures):
        html = client.get(reverse("drugs:search"), {"q": "37.8"}).content.decode()
        assert html.index("What to do:") < html.index('id="search-count"')

    def test_a_call_999_sign_says_so_for_its_drug(self, drug):
        chest = SignFactory(slug="chest-pain", name="Chest pain", synonyms=["chest pain"])
        entry = effect(drug, "blood-clots", "Blood clots", "Clots can form.")
        HelpRuleFactory(
            side_effect=entry, sign=chest, urgency=Urgency.IMMEDIATE, text="you have chest pain"
        )
        (answer,) = sign_answers("sudden chest pain")
        assert answer.urgency == Urgency.IMMEDIATE
        assert rules(answer) == {"exampleamide": [("", "Call 999", "you have chest pain")]}


class TestSignPhrases:
    def test_a_phrase_made_a_sign_by_its_stopwords_keeps_them(self, drug):
        unwell = SignFactory(slug="feeling-unwell", name="Feeling unwell", synonyms=["feeling ill"])
        HelpRuleFactory(side_effect=effect(drug, "infection", "Infection", "Ill."), sign=unwell)
        assert sign_answers("feeling tired all the time") == []
        assert [a.slug for a in sign_answers("feeling ill")] == ["feeling-unwell"]


@pytest.mark.django_db
class TestNoDrugIsToldLessThanItsSources:
    """A sign one drug words differently must still bring up that drug's own rule."""

    @pytest.mark.parametrize(
        ("query", "sign", "level"),
        [
            ("breathless", "trouble-breathing", "immediate"),
            ("short of breath", "trouble-breathing", "immediate"),
            ("rash", "allergic-reaction", "urgent"),
            ("confused", "sudden-dizziness-or-confusion", "urgent"),
        ],
    )
    def test_lenalidomide_gets_its_own_rule(self, real_content, query, sign, level):
        answers = {a.slug: a for a in sign_answers(query)}
        assert sign in answers, list(answers)
        lenalidomide = [d for d in answers[sign].drugs if d.slug == "lenalidomide"]
        assert lenalidomide and lenalidomide[0].rules[0].urgency == level
        assert list(answers)[0] == sign or answers[sign].urgency != "immediate"

    def test_a_drug_without_the_exact_sign_is_sent_to_its_own_help_list(self, client, real_content):
        html = client.get(reverse("drugs:search"), {"q": "breathless"}).content.decode()
        assert "has no advice under this exact sign" in html
        assert reverse("drugs:part", args=["lenalidomide", "when-to-get-help"]) in html
        assert "do not list" not in html
