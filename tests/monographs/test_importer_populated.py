"""Removing and changing drugs in a database that already holds others (both databases in CI)."""

import pytest

from drugs.models import Drug, DrugSideEffect, HelpRule, Precaution, Section
from tests.monographs.test_importer import dump, replace, run_import

pytestmark = pytest.mark.django_db


def copy_as(content, slug: str, name: str) -> None:
    text = (content / "exampleamide.md").read_text()
    text = text.replace("slug: exampleamide", f"slug: {slug}").replace(
        "name: Exampleamide", f"name: {name}"
    )
    (content / f"{slug}.md").write_text(text)


def rows_of(slug: str) -> dict[str, list[int]]:
    """The primary keys of one drug's rows, to show an import left them alone."""
    return {
        "drug": [Drug.objects.get(slug=slug).pk],
        "side effects": sorted(
            DrugSideEffect.objects.filter(drug__slug=slug).values_list("pk", flat=True)
        ),
        "help rules": sorted(
            HelpRule.objects.filter(side_effect__drug__slug=slug).values_list("pk", flat=True)
        ),
        "precautions": sorted(
            Precaution.objects.filter(drug__slug=slug).values_list("pk", flat=True)
        ),
        "sections": sorted(Section.objects.filter(drug__slug=slug).values_list("pk", flat=True)),
    }


class TestRemovingBesideOtherDrugs:
    def test_a_removed_file_leaves_every_drug_as_it_was(self, fixture_content):
        copy_as(fixture_content, "aamide", "Aamide")
        run_import(fixture_content)
        before = dump()
        (fixture_content / "aamide.md").unlink()

        out, _ = run_import(fixture_content)

        # Drugs are never removed by an import (a page is taken down in the admin).
        assert "drugs: 0 created, 0 updated, 1 unchanged, 0 removed" in out
        assert dump() == before

    def test_a_side_effect_removed_from_one_drug_stays_on_the_other(self, fixture_content):
        copy_as(fixture_content, "aamide", "Aamide")
        run_import(fixture_content)
        kept = rows_of("exampleamide")
        text = (fixture_content / "aamide.md").read_text()
        start = text.index("  - effect: tiredness")
        end = text.index("precautions:")
        (fixture_content / "aamide.md").write_text(text[:start] + text[end:])

        out, _ = run_import(fixture_content)

        assert "drug side effects: 0 created, 0 updated, 3 unchanged, 1 removed" in out
        assert list(
            DrugSideEffect.objects.filter(drug__slug="aamide").values_list(
                "effect__slug", flat=True
            )
        ) == ["constipation"]
        assert rows_of("exampleamide") == kept

    def test_a_help_rule_removed_from_the_first_drug_leaves_the_later_ones(self, fixture_content):
        copy_as(fixture_content, "aamide", "Aamide")
        copy_as(fixture_content, "zzamide", "Zzamide")
        run_import(fixture_content)
        kept = {slug: rows_of(slug) for slug in ("exampleamide", "zzamide")}
        text = (fixture_content / "aamide.md").read_text()
        start = text.index("    get_help:")
        end = text.index("  - effect: tiredness")
        (fixture_content / "aamide.md").write_text(text[:start] + text[end:])

        run_import(fixture_content)

        assert not HelpRule.objects.filter(side_effect__drug__slug="aamide").exists()
        assert {slug: rows_of(slug) for slug in kept} == kept


class TestRenamingBesideOtherDrugs:
    def test_a_renamed_drug_keeps_its_rows_and_its_neighbours(self, fixture_content):
        copy_as(fixture_content, "aamide", "Aamide")
        copy_as(fixture_content, "zzamide", "Zzamide")
        run_import(fixture_content)
        kept = {slug: rows_of(slug) for slug in ("aamide", "exampleamide", "zzamide")}
        # The file gets a new name and the drug a new display name; the slug (its identity) stays.
        (fixture_content / "zzamide.md").rename(fixture_content / "0-first.md")
        replace(fixture_content / "0-first.md", "name: Zzamide", "name: Zedamide")

        out, _ = run_import(fixture_content)

        assert "drugs: 0 created, 1 updated, 2 unchanged, 0 removed" in out
        assert Drug.objects.get(slug="zzamide").name == "Zedamide"
        assert {slug: rows_of(slug) for slug in kept} == kept
