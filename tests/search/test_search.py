"""Search: the interface, both backends (whichever DATABASE_URL selects), the page and the API."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from drugs.models import LayTerm, SearchDocument, SearchKind, Status
from drugs.pages.anchors import precaution_anchor
from drugs.search import MAX_QUERY_LENGTH, exact_drug_match, search
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    GlossaryTermFactory,
    HelpRuleFactory,
    PrecautionFactory,
    SectionFactory,
    SideEffectFactory,
)

pytestmark = pytest.mark.django_db

# Each must give a calm page and a JSON answer, never a server error.
BAD_QUERIES = [
    "!!!",
    '"',
    '"unclosed phrase',
    "-",
    "--",
    "*",
    "^constipation",
    "body:constipation",
    "NEAR(constipation tired)",
    "constipation AND OR NOT",
    "constipation)",
    "'; DROP TABLE drugs_drug; --",
    "1' OR '1'='1",
    "SELECT * FROM drugs_searchdocument",
    "%_%",
    "血液検査",
    "Запор",
    "إمساك",
    "constipation\x00",
    "\x00\x00 tired",
    "🙂",
    "a",
]


@pytest.fixture
def drug():
    """A published drug with one of each kind of searchable part."""
    drug = DrugFactory(slug="exampleamide", name="Exampleamide", brand_names=["Examplix"])
    SectionFactory(
        drug=drug,
        kind="missed-doses",
        title="If you miss a dose",
        text="Take it as soon as you remember on the same day.",
    )
    PrecautionFactory(drug=drug, title="Giving blood", text="Do not give blood during treatment.")
    effect = SideEffectFactory(
        slug="numbness-tingling",
        name="Numb or tingling hands and feet",
        lay_names=["pins and needles"],
        synonyms=["peripheral neuropathy"],
    )
    DrugSideEffectFactory(drug=drug, effect=effect, text="Your hands may feel numb.")
    DrugSideEffectFactory(
        drug=drug,
        effect=SideEffectFactory(slug="tummy-pain", name="Tummy pain", lay_names=[]),
        text="You may get abdominal cramps.",
    )
    return drug


def titles(query, limit=10):
    return [(r.kind, r.title) for r in search(query, limit).results]


class TestSearch:
    def test_it_finds_each_kind_with_its_anchor(self, drug):
        GlossaryTermFactory(slug="laxative", term="Laxative", definition="It helps you poo.")
        detail = reverse("drugs:detail", kwargs={"slug": "exampleamide"})

        def part(name):
            return reverse("drugs:part", kwargs={"slug": "exampleamide", "part": name})

        # Each result links straight to the part of the guide that holds it.
        cases = {
            "exampleamide": (SearchKind.DRUG, detail),
            "missed dose": (SearchKind.SECTION, f"{part('how-to-take')}#missed-doses"),
            "giving blood": (
                SearchKind.PRECAUTION,
                f"{part('other-precautions')}#precaution-giving-blood",
            ),
            "tingling": (
                SearchKind.SIDE_EFFECT,
                f"{part('side-effects')}#side-effect-numbness-tingling",
            ),
            "laxative": (SearchKind.GLOSSARY, reverse("drugs:glossary") + "#laxative"),
        }
        for query, (kind, url) in cases.items():
            first = search(query).results[0]
            assert (first.kind, first.url) == (kind, url), query
            assert first.drug == (None if kind == SearchKind.GLOSSARY else "exampleamide")

    def test_the_precaution_anchor_comes_from_its_title(self, drug):
        precaution = drug.precautions.get()
        assert precaution_anchor(precaution) == "precaution-giving-blood"

    def test_it_ranks_names_above_body_text(self, drug):
        SectionFactory(
            drug=drug, kind="about", title="About it", text="It can cause tingling, rarely."
        )
        assert titles("tingling")[0] == ("side-effect", "Numb or tingling hands and feet")

    def test_it_ranks_documents_matching_every_word_first(self, drug):
        assert titles("blood treatment")[0] == ("precaution", "Giving blood")

    def test_it_uses_side_effect_lay_names_and_synonyms(self, drug):
        assert titles("peripheral neuropathy")[0][1] == "Numb or tingling hands and feet"

    def test_it_applies_the_lay_vocabulary(self, drug):
        assert titles("belly") == []
        LayTerm.objects.create(phrase="belly", means=["abdominal", "tummy"])
        assert titles("belly")[0] == ("side-effect", "Tummy pain")

    def test_it_applies_multi_word_lay_phrases(self, drug):
        LayTerm.objects.create(phrase="give blood", means=["donate blood"])
        LayTerm.objects.create(phrase="blood donor", means=["give blood"])
        assert titles("can I be a blood donor")[0] == ("precaution", "Giving blood")

    def test_it_tolerates_a_misspelt_word(self, drug):
        response = search("tinglnig")
        assert response.corrections == {"tinglnig": "tingling"}
        assert response.results[0].title == "Numb or tingling hands and feet"

    def test_it_highlights_matched_words_and_escapes_the_rest(self, drug):
        SectionFactory(
            drug=drug,
            kind="about",
            title="About it",
            text="Capsules <script>alert(1)</script> are & remain `a<b` for tingling.",
        )
        result = next(r for r in search("capsules remain").results if r.kind == "section")
        assert "<mark>Capsules</mark>" in result.snippet
        assert "<script>" not in result.snippet
        assert "&lt;b" in result.snippet

    def test_it_supports_phrases_and_exclusions(self, drug):
        assert titles('"give blood"')[0] == ("precaution", "Giving blood")
        assert titles('"during treatment"') == [("precaution", "Giving blood")]
        assert titles('"treatment give"') == []
        assert ("precaution", "Giving blood") not in titles("blood -treatment")

    def test_it_finds_only_published_drugs(self, drug):
        drug.status = Status.REVIEW
        drug.save()
        assert search("tingling").results == []
        assert exact_drug_match("exampleamide") is None
        drug.status = Status.PUBLISHED
        drug.save()
        assert search("tingling").results

    def test_unpublished_drugs_take_no_place_in_the_results(self, drug):
        draft = DrugFactory(slug="draftamide", name="Draftamide", status=Status.REVIEW)
        DrugSideEffectFactory(
            drug=draft, effect=drug.side_effects.first().effect, text="Tingling tingling."
        )
        results = search("tingling", limit=1).results
        assert [(r.drug, r.kind) for r in results] == [("exampleamide", "side-effect")]

    def test_a_drug_name_check_inside_a_search_matches_exact_drug_match(self, drug):
        assert search("examplix").results[0].drug == exact_drug_match("examplix").slug
        assert exact_drug_match("pins and needles") is None
        assert search("pins and needles").results[0].kind == "side-effect"

    def test_a_named_drug_narrows_the_results_to_it(self, drug):
        other = DrugFactory(slug="otheramide", name="Otheramide", brand_names=[])
        DrugSideEffectFactory(
            drug=other, effect=drug.side_effects.first().effect, text="Tingling toes."
        )
        results = search("otheramide tingling").results
        assert {r.drug for r in results} == {"otheramide"}
        assert results[0].kind == "side-effect"

    def test_a_drug_name_puts_the_drug_first(self, drug):
        results = search("examplx").results
        assert (results[0].kind, results[0].drug) == ("drug", "exampleamide")

    @pytest.mark.parametrize(
        "query", ["Exampleamide", "examplix", "EXAMPLEAMIDE ", "exampleamid", "exampelamide"]
    )
    def test_it_matches_a_drug_name_allowing_a_typo(self, drug, query):
        assert exact_drug_match(query) == drug

    @pytest.mark.parametrize("query", ["sample", "tingling", "exampleamide tingling", "", "xyz"])
    def test_it_matches_no_drug_for_other_queries(self, drug, query):
        assert exact_drug_match(query) is None

    @pytest.mark.parametrize("query", BAD_QUERIES)
    def test_bad_input_finds_nothing_or_something_calmly(self, drug, query):
        search(query)

    def test_it_refuses_an_empty_or_too_long_query(self, drug):
        from drugs.search import QueryError

        for query in ["", "   ", "\x00", "x" * (MAX_QUERY_LENGTH + 1)]:
            with pytest.raises(QueryError):
                search(query)


class TestIndexStaysCurrent:
    def test_an_edited_side_effect_is_searchable_at_once(self, drug):
        item = drug.side_effects.get(effect__slug="tummy-pain")
        item.text = "You may get colic."
        item.save()
        assert titles("colic") == [("side-effect", "Tummy pain")]
        assert titles("cramps") == []

    def test_an_edited_shared_side_effect_reindexes_its_drugs(self, drug):
        effect = drug.side_effects.get(effect__slug="tummy-pain").effect
        effect.lay_names = ["bellyache"]
        effect.save()
        assert titles("bellyache") == [("side-effect", "Tummy pain")]

    def test_a_help_rule_is_searchable(self, drug):
        HelpRuleFactory(
            side_effect=drug.side_effects.get(effect__slug="tummy-pain"),
            text="the pain is severe and sudden",
        )
        assert titles("severe sudden")[0] == ("side-effect", "Tummy pain")

    def test_a_deleted_section_leaves_the_index(self, drug, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            drug.sections.get().delete()
        assert titles("remember") == []

    def test_a_deleted_drug_leaves_the_index(self, drug, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            drug.delete()
        assert not SearchDocument.objects.exists()
        assert search("tingling").results == []

    def test_glossary_terms_are_indexed_and_removed(self, db):
        term = GlossaryTermFactory(slug="myeloma", term="Myeloma", definition="A blood cancer.")
        assert titles("myeloma") == [("glossary", "Myeloma")]
        term.delete()
        assert titles("myeloma") == []

    def test_the_importer_updates_the_index(self, fixture_content):
        call_command("import_monographs", str(fixture_content), verbosity=0)
        assert ("side-effect", "Constipation") in titles("constipation")
        path = fixture_content / "exampleamide.md"
        path.write_text(
            path.read_text().replace("Ask about a laxative.", "Ask about prunes."),
            encoding="utf-8",
        )
        call_command("import_monographs", str(fixture_content), verbosity=0)
        assert titles("prunes") == [("side-effect", "Constipation")]
        assert ("side-effect", "Constipation") not in titles("laxative")

    def test_the_importers_documents_are_what_a_rebuild_makes(self, real_content):
        def documents():
            return sorted(
                SearchDocument.objects.values_list(
                    "kind", "object_id", "title", "url", "names", "keywords", "body", "drug_id"
                )
            )

        imported = documents()
        assert len(imported) > 100
        call_command("rebuild_search_index", verbosity=0)
        assert documents() == imported

    def test_documents_added_in_bulk_are_all_indexed_and_later_edits_too(
        self, fixture_content, monkeypatch
    ):
        # Every insert of documents takes the bulk path (SQLite indexes them together).
        monkeypatch.setattr("drugs.search.sqlite.BULK_FROM", 1)
        call_command("import_monographs", str(fixture_content), verbosity=0)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # Fails ("malformed") unless the index holds exactly the documents' words.
                cursor.execute(
                    "INSERT INTO drugs_searchdocument_fts(drugs_searchdocument_fts, rank) "
                    "VALUES ('integrity-check', 1)"
                )
        assert ("side-effect", "Constipation") in titles("laxative")
        # The row trigger is back for edits one row at a time.
        SearchDocument.objects.create(
            kind=SearchKind.GLOSSARY, title="Zebra", url="/z/", names="zebra", body="Stripes."
        )
        assert titles("zebra") == [("glossary", "Zebra")]

    def test_a_changed_shared_side_effect_reindexes_drugs_not_in_the_import(self, fixture_content):
        call_command("import_monographs", str(fixture_content), verbosity=0)
        effects = fixture_content / "side-effects.yaml"
        effects.write_text(
            effects.read_text().replace("name: Constipation", "name: Bunged up"),
            encoding="utf-8",
        )
        call_command("import_monographs", str(effects), verbosity=0)
        assert titles("bunged") == [("side-effect", "Bunged up")]

    def test_an_imported_draft_has_no_documents(self, fixture_content):
        path = fixture_content / "exampleamide.md"
        call_command("import_monographs", str(fixture_content), verbosity=0)
        assert SearchDocument.objects.filter(drug__isnull=False).exists()
        path.write_text(
            path.read_text().replace("status: published", "status: draft"), encoding="utf-8"
        )
        call_command("import_monographs", str(fixture_content), verbosity=0)
        assert not SearchDocument.objects.filter(drug__isnull=False).exists()
        assert titles("exampleamide") == []

    def test_the_importer_loads_the_vocabulary(self, fixture_content):
        (fixture_content / "vocabulary.yaml").write_text(
            "lay_terms:\n  - phrase: Bunged Up\n    means: [constipation]\n", encoding="utf-8"
        )
        call_command("import_monographs", str(fixture_content), verbosity=0)
        assert LayTerm.objects.get().phrase == "bunged up"
        assert titles("bunged up")[0] == ("side-effect", "Constipation")

    def test_the_rebuild_command_restores_the_index(self, drug):
        SearchDocument.objects.all().delete()
        assert search("tingling").results == []
        call_command("rebuild_search_index", verbosity=0)
        assert search("tingling").results


def search_queries() -> int:
    """Queries of a page or API search for two words that name no warning sign and that fewer
    than 5 documents have both of: the content version (the page cache's key), the signs, the
    vocabulary, the words, the ranking of those with both, how many documents have each word,
    the ranking of those with the rarer, the published drugs (to name any with no match);
    SQLite fetches its snippets in one more."""
    return 8 if connection.vendor == "postgresql" else 9


class TestSearchPage:
    def test_it_lists_results_with_links_and_snippets(
        self, client, drug, django_assert_num_queries
    ):
        with django_assert_num_queries(search_queries()):
            response = client.get(reverse("drugs:search"), {"q": "numb hands"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'href="/drugs/exampleamide/side-effects/#side-effect-numbness-tingling"' in html
        assert "<mark>numb</mark>" in html

    def test_it_redirects_a_drug_name_to_its_page(self, client, drug):
        response = client.get(reverse("drugs:search"), {"q": "exampelamide"})
        assert response.status_code == 302
        assert response["Location"] == reverse("drugs:detail", kwargs={"slug": "exampleamide"})

    def test_it_shows_the_form_without_a_query(self, client, db):
        response = client.get(reverse("drugs:search"))
        assert response.status_code == 200
        assert b'name="q"' in response.content

    def test_it_says_so_when_nothing_matches(self, client, drug):
        response = client.get(reverse("drugs:search"), {"q": "zebra"})
        assert response.status_code == 200
        assert "do not mention zebra" in response.content.decode()

    def test_it_says_so_when_a_query_has_no_words_to_search_for(self, client, drug):
        response = client.get(reverse("drugs:search"), {"q": "can I"})
        assert "Nothing matched" in response.content.decode()

    def test_it_refuses_a_too_long_query_calmly(self, client, drug):
        response = client.get(reverse("drugs:search"), {"q": "tired " * 100})
        assert response.status_code == 200
        assert "too long" in response.content.decode()

    @pytest.mark.parametrize("query", BAD_QUERIES)
    def test_bad_input_gets_a_calm_page(self, client, drug, query):
        response = client.get(reverse("drugs:search"), {"q": query})
        assert response.status_code in (200, 302)


class TestSearchApi:
    def test_it_returns_the_documented_shape(self, client, drug, django_assert_num_queries):
        with django_assert_num_queries(search_queries()):
            response = client.get(reverse("drugs:api_search"), {"q": "numb hands", "limit": 2})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "query",
            "answers",
            "not_mentioned",
            "partial",
            "unmatched_drugs",
            "count",
            "page",
            "previous",
            "next",
            "results",
        }
        assert body["query"] == "numb hands"
        assert (body["count"], body["page"], body["previous"], body["next"]) == (1, 1, None, None)
        assert (body["not_mentioned"], body["partial"], body["unmatched_drugs"]) == ([], False, [])
        assert len(body["results"]) == 1
        assert body["results"][0] == {
            "title": "Numb or tingling hands and feet",
            "heading": "Numb or tingling hands and feet - Exampleamide",
            "url": (
                "https://meds.example.org/drugs/exampleamide/side-effects/"
                "#side-effect-numbness-tingling"
            ),
            "drug": "exampleamide",
            "kind": "side-effect",
            "snippet": body["results"][0]["snippet"],
        }
        # PostgreSQL's headline drops the full stop; SQLite's snippet keeps it.
        assert body["results"][0]["snippet"].startswith(
            "Your <mark>hands</mark> may feel <mark>numb"
        )

    def test_it_caps_results_at_the_limit(self, client, drug):
        response = client.get(reverse("drugs:api_search"), {"q": "exampleamide", "limit": 1})
        assert [r["kind"] for r in response.json()["results"]] == ["drug"]

    def test_a_drug_name_with_a_typo_comes_first(self, client, drug):
        response = client.get(reverse("drugs:api_search"), {"q": "examplixx"})
        first = response.json()["results"][0]
        assert (first["kind"], first["drug"], first["url"]) == (
            "drug",
            "exampleamide",
            "https://meds.example.org/drugs/exampleamide/",
        )

    def test_glossary_results_have_no_drug(self, client, db):
        GlossaryTermFactory(slug="myeloma", term="Myeloma", definition="A blood cancer.")
        result = client.get(reverse("drugs:api_search"), {"q": "myeloma"}).json()["results"][0]
        assert (result["kind"], result["drug"]) == ("glossary", None)

    @pytest.mark.parametrize(
        "params",
        [{}, {"q": ""}, {"q": "   "}, {"q": "\x00"}, {"q": "x" * (MAX_QUERY_LENGTH + 1)},
         {"q": "tired", "limit": "0"}, {"q": "tired", "limit": "many"}, {"q": "tired", "limit": "51"},
         {"q": "tired", "page": "0"}, {"q": "tired", "page": "two"}, {"q": "tired", "page": "51"}],
    )  # fmt: skip
    def test_it_refuses_bad_requests_with_a_json_error(self, client, db, params):
        response = client.get(reverse("drugs:api_search"), params)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]

    @pytest.mark.parametrize("query", BAD_QUERIES)
    def test_bad_input_gets_json(self, client, drug, query):
        response = client.get(reverse("drugs:api_search"), {"q": query})
        assert response.status_code == 200
        assert isinstance(response.json()["results"], list)

    def test_it_only_answers_get(self, client, db):
        assert client.post(reverse("drugs:api_search"), {"q": "tired"}).status_code == 405


@pytest.mark.postgres
class TestPostgres:
    def test_the_extensions_and_vector_are_in_place(self, drug):
        with connection.cursor() as cursor:
            cursor.execute("SELECT extname FROM pg_extension")
            assert {"pg_trgm", "unaccent"} <= {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT count(*) FROM drugs_searchdocument WHERE vector IS NULL")
            assert cursor.fetchone()[0] == 0

    def test_the_word_list_has_a_trigram_gist_index(self, drug):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'drugs_searchword' "
                "AND indexdef LIKE '%%trgm_ops%%'"
            )
            assert [row[0] for row in cursor.fetchall()] == [
                "CREATE INDEX drugs_searchword_trgm_gist_idx ON public.drugs_searchword "
                "USING gist (word gist_trgm_ops)"
            ]

    def test_it_ignores_accents(self, drug):
        assert titles("tíngling")[0][1] == "Numb or tingling hands and feet"
