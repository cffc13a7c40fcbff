"""export_monographs writes the database back in the monograph format, losslessly."""

import filecmp
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from drugs.models import Drug, GlossaryTerm
from drugs.monographs.parse import parse_monograph
from drugs.monographs.write import dump_yaml, monograph_text
from tests.conftest import FIXTURE_CONTENT
from tests.factories import DrugFactory, PrecautionFactory, SectionFactory

REAL_MONOGRAPHS = ["pomalidomide", "lenalidomide"]


def wipe_content():
    """An empty content database, as a fresh install would have."""
    Drug.objects.all().delete()
    from drugs.models import FrequencyBand, LayTerm, SideEffect

    LayTerm.objects.all().delete()
    SideEffect.objects.all().delete()
    FrequencyBand.objects.filter(standard__isnull=False).delete()
    FrequencyBand.objects.all().delete()
    GlossaryTerm.objects.all().delete()


def drug_pages(client) -> dict[str, str]:
    return {
        drug.slug: client.get(drug.get_absolute_url()).content.decode()
        for drug in Drug.objects.published()
    }


def round_trip(source: Path, tmp_path: Path, client):
    """Import source, export to A, import A into an empty database, export to B."""
    call_command("import_monographs", str(source), verbosity=0)
    pages_before = drug_pages(client)
    first, second = tmp_path / "a", tmp_path / "b"
    call_command("export_monographs", out=first, verbosity=0)
    wipe_content()
    call_command("import_monographs", str(first), verbosity=0)
    pages_after = drug_pages(client)
    call_command("export_monographs", out=second, verbosity=0)
    return first, second, pages_before, pages_after


def assert_identical(first: Path, second: Path):
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert len(match) == len(names) >= 4


@pytest.mark.django_db
class TestRoundTrip:
    def test_it_exports_the_fixture_set_byte_identically_after_a_reimport(self, tmp_path, client):
        first, second, before, after = round_trip(FIXTURE_CONTENT, tmp_path, client)
        assert_identical(first, second)
        assert {p.name for p in first.iterdir()} == {
            "exampleamide.md",
            "frequency-bands.yaml",
            "side-effects.yaml",
            "glossary.yaml",
            "signs.yaml",
            "urgency-floors.yaml",
        }
        assert before == after and before

    def test_it_exports_the_real_monographs_byte_identically_and_pages_render_the_same(
        self, tmp_path, client
    ):
        content = Path(settings.CONTENT_DIR)
        missing = [s for s in REAL_MONOGRAPHS if not (content / f"{s}.md").is_file()]
        if missing:
            pytest.fail(f"real monographs missing: {missing}")
        first, second, before, after = round_trip(content, tmp_path, client)
        assert_identical(first, second)
        assert {f"{s}.md" for s in REAL_MONOGRAPHS} <= {p.name for p in first.iterdir()}
        assert before == after
        assert set(before) == set(REAL_MONOGRAPHS)

    def test_the_export_reads_back_to_the_same_data(self, tmp_path):
        call_command("import_monographs", str(FIXTURE_CONTENT), verbosity=0)
        call_command("export_monographs", out=tmp_path, verbosity=0)
        exported, problems = parse_monograph(tmp_path / "exampleamide.md")
        original, _ = parse_monograph(FIXTURE_CONTENT / "exampleamide.md")
        assert problems == []
        for item in (exported, original):
            item.path = ""
            for part in (
                item.sources
                + item.side_effects
                + item.precautions
                + item.sections
                + item.disagreements
            ):
                part.line = 0
                for nested in getattr(part, "disagreements", []) + getattr(part, "help_rules", []):
                    nested.line = 0
            item.line = 0
        assert exported == original


@pytest.mark.django_db
class TestMonographText:
    def test_it_writes_multi_line_text_as_a_literal_block(self):
        drug = DrugFactory(slug="blockamide")
        SectionFactory(drug=drug, text="First paragraph.\n\nSecond: with a colon.")
        PrecautionFactory(drug=drug, text="Line one.\n\n- a list item\n- another")
        text = monograph_text_for(drug)
        assert "    text: |\n      Line one.\n\n      - a list item\n" in text
        assert "## About this drug {#about sources=" in text
        data, problems = parse_monograph("blockamide.md", text)
        assert problems == []
        assert data.precautions[0].text == "Line one.\n\n- a list item\n- another"

    def test_a_line_of_three_dashes_cannot_end_the_front_matter_early(self):
        drug = DrugFactory(slug="dashamide")
        SectionFactory(drug=drug)
        PrecautionFactory(drug=drug, text="Above the rule.\n\n---\n\nBelow the rule.")
        data, problems = parse_monograph("dashamide.md", monograph_text_for(drug))
        assert problems == []
        assert data.precautions[0].text == "Above the rule.\n\n---\n\nBelow the rule."

    def test_it_quotes_text_yaml_would_read_as_another_type(self):
        assert dump_yaml({"a": "yes", "b": "2026-01-01", "c": "1.5", "d": "x: y"}) == (
            "a: 'yes'\nb: '2026-01-01'\nc: '1.5'\nd: 'x: y'\n"
        )

    def test_it_exports_a_drug_in_a_fixed_number_of_queries(self):
        drug = DrugFactory(slug="countamide")
        SectionFactory(drug=drug)
        for _ in range(3):
            PrecautionFactory(drug=drug)
        with CaptureQueriesContext(connection) as few:
            monograph_text_for(drug)
        PrecautionFactory(drug=drug)
        with CaptureQueriesContext(connection) as more:
            monograph_text_for(drug)
        assert len(few) == len(more)


def monograph_text_for(drug):
    from drugs.monographs.export import monograph_data

    return monograph_text(monograph_data(Drug.objects.with_monograph().get(pk=drug.pk)))


def test_the_command_defaults_to_the_content_folder(db, settings, tmp_path):
    settings.CONTENT_DIR = tmp_path
    call_command("import_monographs", str(FIXTURE_CONTENT), verbosity=0)
    call_command("export_monographs", verbosity=0)
    assert (tmp_path / "exampleamide.md").is_file()
    assert reverse("drugs:detail", kwargs={"slug": "exampleamide"}) == "/drugs/exampleamide/"
