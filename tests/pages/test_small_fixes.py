"""Small things readers hit: the glossary's A to Z, compare with too few medicines, names in the
side-effects A to Z, and the home page's links to each medicine's help."""

import re

import pytest
from django.urls import reverse

from drugs import models
from drugs.pages.az import letter_of, sort_key
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    GlossaryTermFactory,
    SideEffectFactory,
)
from tests.pages.test_pages import main_html, text_of
from tests.pages_data import full_drug

pytestmark = pytest.mark.django_db


class TestAToZOrder:
    @pytest.mark.parametrize(
        "text, key",
        [("BCG", "bcg"), ("Œdème", "oedeme"), ("Ébola", "ebola"), ("Straße", "strasse")],
    )
    def test_the_key_ignores_case_and_accents(self, text, key):
        assert sort_key(text) == key

    @pytest.mark.parametrize(
        "text, letter", [("Ébola", "E"), ("œdema", "O"), ("5-FU", "Other"), ("(T-cell)", "T")]
    )
    def test_a_name_files_under_its_first_letter_without_accents(self, text, letter):
        assert letter_of(text) == letter


class TestGlossary:
    TERMS = ["MHRA", "Mantle cell lymphoma", "BCG", "Basal cell", "Ébola", "Eczema", "anaemia"]

    def terms_on_the_page(self, client) -> list[str]:
        html = client.get(reverse("drugs:glossary")).content.decode()
        return re.findall(r"<dfn>(.*?)</dfn>", html)

    def test_terms_sort_without_regard_to_case_or_accents(self, client):
        for n, term in enumerate(self.TERMS):
            GlossaryTermFactory(slug=f"term-{n}", term=term, definition="A word.")

        assert self.terms_on_the_page(client) == [
            "anaemia",
            "Basal cell",
            "BCG",
            "Ébola",
            "Eczema",
            "Mantle cell lymphoma",
            "MHRA",
        ]

    def test_each_letter_has_a_heading_and_only_letters_with_words_are_linked(self, client):
        for n, term in enumerate(self.TERMS):
            GlossaryTermFactory(slug=f"term-{n}", term=term, definition="A word.")
        html = main_html(client.get(reverse("drugs:glossary")))

        nav = re.search(r'<nav aria-label="Glossary, A to Z">.*?</nav>', html, re.S).group(0)
        linked = re.findall(r'<a href="#letter-([a-z]+)">', nav)
        assert linked == ["a", "b", "e", "m"]
        # Every letter is shown, those without words as plain text.
        assert re.findall(r'<span class="az-none">([A-Z])', nav) == [
            c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "ABEM"
        ]
        headings = re.findall(r'<h2 id="letter-([a-z]+)">([A-Z])</h2>', html)
        assert headings == [("a", "A"), ("b", "B"), ("e", "E"), ("m", "M")]
        # Under its own letter: Ébola under E, not after Z.
        assert html.index('id="letter-e"') < html.index("Ébola") < html.index('id="letter-m"')

    def test_a_term_keeps_its_anchor_for_links_from_other_pages(self, client):
        GlossaryTermFactory(slug="laxative", term="Laxative", definition="Helps you poo.")
        html = client.get(reverse("drugs:glossary")).content.decode()
        assert '<dt id="laxative">' in html

    def test_the_glossary_takes_two_queries_however_many_terms(
        self, client, django_assert_num_queries
    ):
        for n in range(30):
            GlossaryTermFactory(slug=f"term-{n}", term=f"Term {n}", definition="A word.")
        # The page cache's content version, then the terms.
        with django_assert_num_queries(2):
            assert client.get(reverse("drugs:glossary")).status_code == 200


class TestCompareErrors:
    @pytest.fixture
    def drugs(self):
        full_drug(slug="alphamide", name="Alphamide")
        full_drug(slug="betamide", name="Betamide")

    @pytest.mark.parametrize("query", ["?drugs=alphamide&compare=1", "?compare=1", "?drugs=x"])
    def test_fewer_than_two_medicines_give_an_error_linked_to_the_choices(
        self, client, drugs, query
    ):
        response = client.get(reverse("drugs:compare") + query)
        html = main_html(response)

        summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
        assert "There is a problem" in summary
        assert '<a href="#c-alphamide">Tick 2 or more medicines to compare</a>' in summary
        assert html.index("error-summary") < html.index("<h1")
        assert 'aria-describedby="drugs-error"' in html
        assert 'id="c-alphamide"' in html
        assert "<table" not in html
        assert "<title>Error: Compare side effects" in response.content.decode()

    def test_a_first_visit_shows_no_error(self, client, drugs):
        html = main_html(client.get(reverse("drugs:compare")))
        assert "error-summary" not in html and "Tick 2 or more" not in html
        assert "Choose 2 or more medicines to compare" in html

    def test_the_one_ticked_medicine_stays_ticked(self, client, drugs):
        html = client.get(reverse("drugs:compare") + "?drugs=betamide&compare=1").content.decode()
        assert re.search(r'value="betamide" id="c-betamide" checked', html)
        assert not re.search(r'value="alphamide" id="c-alphamide" checked', html)

    def test_an_effect_one_drug_does_not_list_says_whose_sources_do_not_list_it(
        self, client, drugs
    ):
        models.DrugSideEffect.objects.filter(
            drug__slug="betamide", effect__slug="infection"
        ).delete()
        response = client.get(reverse("drugs:compare") + "?drugs=alphamide,betamide")
        row = re.search(r'<tr><th scope="row">.*?Infection.*?</tr>', response.content.decode())

        assert "Not listed by this drug&rsquo;s sources" in row.group(0)
        text = text_of(response)
        assert "It does not mean the medicine cannot cause it." in text
        assert not re.search(r"Not listed(?! by this drug’s sources)", text)

    def test_queries_are_pinned_with_and_without_an_error(
        self, client, drugs, django_assert_num_queries
    ):
        # A query string bypasses the page cache, so no content version is read.
        with django_assert_num_queries(1):
            client.get(reverse("drugs:compare") + "?drugs=alphamide&compare=1")
        # The published drugs, the two chosen, and their side effects.
        with django_assert_num_queries(3):
            client.get(reverse("drugs:compare") + "?drugs=alphamide,betamide")


class TestSideEffectNames:
    @pytest.fixture
    def effect(self):
        effect = SideEffectFactory(
            slug="skin-cancer",
            name="Skin cancer",
            also_called=["skin cancer", "Basal cell skin cancer", "basal cell skin cancer"],
            lay_names=["the trots", "skin cancer"],
            synonyms=["bcc", "basal cell carcinoma"],
        )
        DrugSideEffectFactory(drug=DrugFactory(slug="testamide", name="Testamide"), effect=effect)
        return effect

    def test_the_a_to_z_shows_names_never_search_words_or_the_name_again(self, client, effect):
        response = client.get(reverse("drugs:side_effects"))
        text = text_of(response)

        assert "Skin cancer. Also called Basal cell skin cancer. Listed for testamide." in text
        for hidden in ["the trots", "bcc", "carcinoma", "(skin cancer)", "skin cancer,"]:
            assert hidden not in main_html(response), hidden

    def test_the_effect_page_shows_each_other_name_once(self, client, effect):
        response = client.get(reverse("drugs:side_effect", args=["skin-cancer"]))
        html = main_html(response)

        assert "Also called: Basal cell skin cancer</p>" in html
        assert "the trots" not in html and "bcc" not in html

    def test_a_name_already_inside_the_effects_own_name_is_not_repeated(self, client):
        effect = SideEffectFactory(
            slug="tinnitus", name="Ringing in the ears (tinnitus)", also_called=["Tinnitus"]
        )
        DrugSideEffectFactory(effect=effect)
        list_text = text_of(client.get(reverse("drugs:side_effects")))
        page = main_html(client.get(reverse("drugs:side_effect", args=["tinnitus"])))

        assert "Also called" not in list_text and "Also called" not in page

    def test_the_a_to_z_sorts_without_regard_to_case(self, client):
        drug = DrugFactory()
        for slug, name in [("b", "BCG site soreness"), ("a", "Basal soreness"), ("z", "achy")]:
            DrugSideEffectFactory(drug=drug, effect=SideEffectFactory(slug=slug, name=name))
        html = main_html(client.get(reverse("drugs:side_effects")))

        assert re.findall(r'<li><a href="[^"]+">([^<]+)</a>', html) == [
            "achy",
            "Basal soreness",
            "BCG site soreness",
        ]

    def test_the_pages_take_a_fixed_number_of_queries(
        self, client, effect, django_assert_num_queries
    ):
        with django_assert_num_queries(3):
            client.get(reverse("drugs:side_effects"))
        with django_assert_num_queries(6):
            client.get(reverse("drugs:side_effect", args=["skin-cancer"]))


class TestHomeHelpLinks:
    def test_the_feel_very_unwell_box_links_to_each_published_drugs_help(self, client):
        full_drug()
        full_drug(slug="otheramide", name="Otheramide")
        DrugFactory(slug="draftamide", name="Draftamide", status=models.Status.DRAFT)
        html = main_html(client.get(reverse("drugs:home")))

        box = re.search(r'<div class="callout callout--urgent".*?</div>', html, re.S).group(0)
        links = re.findall(r'<a href="([^"]+)">When to get help on (\w+)</a>', box)
        help_part = "when-to-get-help"
        assert links == [
            (reverse("drugs:part", args=["otheramide", help_part]), "otheramide"),
            (reverse("drugs:part", args=["testamide", help_part]), "testamide"),
        ]

    def test_the_link_lands_on_the_drug_guides_help_part(self, client):
        full_drug()
        html = main_html(client.get(reverse("drugs:home")))
        url = re.search(r'href="([^"]+)">When to get help', html).group(1)

        response = client.get(url)
        assert response.status_code == 200
        assert "When to get help" in text_of(response)

    def test_the_home_page_takes_two_queries(self, client, django_assert_num_queries):
        full_drug()
        full_drug(slug="otheramide", name="Otheramide")
        with django_assert_num_queries(2):
            client.get(reverse("drugs:home"))


class TestDrugListOrder:
    def test_names_sort_and_group_without_regard_to_case_or_accents(self, client):
        DrugFactory(slug="a", name="Élotamide", brand_names=["EMPLICITI"])
        DrugFactory(slug="b", name="Ebamide", brand_names=["eXtra"])
        html = main_html(client.get(reverse("drugs:list")))
        names = re.findall(r"<a [^>]*>([^<]+)</a>", html)

        assert [n for n in names if n in {"Élotamide", "EMPLICITI", "Ebamide", "eXtra"}] == [
            "Ebamide",
            "Élotamide",
            "EMPLICITI",
            "eXtra",
        ]
