import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from drugs.models import (
    Disagreement,
    Drug,
    DrugSideEffect,
    FrequencyBand,
    HelpRule,
    Precaution,
    Section,
    SideEffect,
)

pytestmark = pytest.mark.django_db


def run_import(*paths, check=False):
    out, err = io.StringIO(), io.StringIO()
    args = [str(p) for p in paths] + (["--check"] if check else [])
    call_command("import_monographs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def dump() -> str:
    """The whole database, as `manage.py dumpdata` prints it."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out, indent=1)
    return out.getvalue()


def failing_import(*paths) -> str:
    """Run an import that must fail; return what it printed for the editor."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_monographs", *[str(p) for p in paths], stderr=err)
    return err.getvalue()


def line_of(path, text: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def replace(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


class TestImport:
    def test_it_loads_everything_in_a_folder(self, fixture_content):
        out, _ = run_import(fixture_content)

        drug = Drug.objects.get(slug="exampleamide")
        assert drug.brand_names == ["Examplix"]
        assert (drug.cycle_days_on, drug.cycle_days_off) == (21, 7)
        assert "drugs: 1 created" in out
        effect = DrugSideEffect.objects.get(drug=drug, effect__slug="constipation")
        assert effect.band.reference == "leaflet:common"
        assert effect.band.standard_band.key == "common"
        assert effect.figure_percent == 25
        assert effect.figure_text == "1 in 4"
        assert "<p>You may find it hard to poo." in effect.text_html
        assert [r.text for r in effect.help_rules.all()] == [
            "you have not pooed for more than 2 days and you are being sick"
        ]
        assert list(drug.sections.values_list("kind", flat=True)) == [
            "about",
            "how-to-take",
            "missed-doses",
            "getting-help",
        ]
        assert Section.objects.get(kind="missed-doses").sources.count() == 2
        assert Disagreement.objects.filter(drug=drug).count() == 3

    def test_a_second_import_changes_nothing(self, fixture_content):
        run_import(fixture_content)
        before = dump()

        out, _ = run_import(fixture_content)

        assert dump() == before
        assert "Nothing changed" in out
        for action in ("created", "updated", "removed"):
            assert not re.search(rf"[1-9]\d* {action}", out), out

    def test_it_updates_what_changed_and_reports_it(self, fixture_content):
        run_import(fixture_content)
        replace(
            fixture_content / "exampleamide.md", "You may feel tired.", "You may feel very tired."
        )

        out, _ = run_import(fixture_content)

        assert "drug side effects: 0 created, 1 updated, 1 unchanged" in out
        effect = DrugSideEffect.objects.get(effect__slug="tiredness")
        assert "very tired" in effect.text_html

    def test_it_removes_an_item_removed_from_the_file(self, fixture_content):
        run_import(fixture_content)
        path = fixture_content / "exampleamide.md"
        text = path.read_text()
        start = text.index("  - effect: tiredness")
        end = text.index("precautions:")
        path.write_text(text[:start] + text[end:])

        out, _ = run_import(fixture_content)

        assert "drug side effects: 0 created, 0 updated, 1 unchanged, 1 removed" in out
        assert not DrugSideEffect.objects.filter(effect__slug="tiredness").exists()
        # Its note about sources differing went with it.
        assert not Disagreement.objects.filter(topic="How common tiredness is").exists()

    def test_it_replaces_changed_help_rules(self, fixture_content):
        run_import(fixture_content)
        path = fixture_content / "exampleamide.md"
        replace(path, "urgency: urgent", "urgency: immediate")
        replace(path, "says: straight away", "says: call 999")

        run_import(fixture_content)

        assert list(HelpRule.objects.values_list("urgency", flat=True)) == ["immediate"]

    def test_a_reimported_edit_matches_a_fresh_import_of_the_same_file(self, fixture_content):
        from drugs.monographs.export import monograph_data
        from drugs.monographs.write import monograph_text

        def exported() -> str:
            return monograph_text(
                monograph_data(Drug.objects.with_monograph().get(slug="exampleamide"))
            )

        run_import(fixture_content)
        effects = fixture_content / "side-effects.yaml"
        effects.write_text(effects.read_text() + "  - slug: rash\n    name: Rash\n")
        path = fixture_content / "exampleamide.md"
        # A new source, cited by rows already in the database and by a new side effect with
        # a help rule and a note: the rows an import writes in its batched round.
        replace(
            path,
            "side_effects:\n",
            "  - id: nhs\n    publisher: NHS\n    title: Exampleamide\nside_effects:\n",
        )
        replace(path, "{#about sources=leaflet}", "{#about sources=leaflet,nhs}")
        replace(
            path,
            "sources: [leaflet, database]\n    text: You may feel",
            "sources: [nhs]\n    text: You may feel",
        )
        replace(
            path,
            "precautions:\n",
            "  - effect: rash\n"
            "    band: leaflet:common\n"
            "    sources: [nhs, leaflet]\n"
            "    text: You may get a rash.\n"
            "    get_help:\n"
            "      - sign: high-temperature\n"
            "        when: the rash blisters\n"
            "        urgency: immediate\n"
            "        says: call 999\n"
            "        source: nhs\n"
            "    disagreements:\n"
            "      - topic: How common a rash is\n"
            "        sources: [nhs, leaflet]\n"
            "        text: Sources differ. Ask your team.\n"
            "precautions:\n",
        )

        run_import(fixture_content)
        edited = exported()
        Drug.objects.all().delete()
        run_import(fixture_content)

        assert "id: nhs" in edited and "the rash blisters" in edited
        assert exported() == edited
        assert set(Section.objects.get(kind="about").sources.values_list("key", flat=True)) == {
            "leaflet",
            "nhs",
        }

    def test_check_validates_without_writing(self, fixture_content):
        out, _ = run_import(fixture_content, check=True)

        assert "valid" in out
        assert not Drug.objects.exists()

    def test_it_imports_a_single_monograph_against_loaded_shared_data(self, fixture_content):
        run_import(fixture_content)
        replace(fixture_content / "exampleamide.md", "name: Exampleamide", "name: Exampleamide B")

        run_import(fixture_content / "exampleamide.md")

        assert Drug.objects.get().name == "Exampleamide B"

    def test_a_removed_band_still_in_use_is_refused(self, fixture_content):
        run_import(fixture_content)
        before = dump()
        replace(
            fixture_content / "frequency-bands.yaml",
            "      - key: less-common",
            "      - key: gone",
        )

        message = failing_import(fixture_content)

        assert "unknown frequency band 'leaflet:less-common'" in message
        assert dump() == before

    def test_the_imported_drug_page_is_served(self, fixture_content, client):
        run_import(fixture_content)

        response = client.get(reverse("drugs:guide", kwargs={"slug": "exampleamide"}))

        assert response.status_code == 200
        assert "1 in 4" in response.content.decode()


# Each case: (file to break, old text, new text, text on the line the error names, field named).
MALFORMED = {
    "empty file": ("exampleamide.md", None, "", None, "file"),
    "no front matter": ("exampleamide.md", "---\nslug:", "slug:", None, "front matter"),
    "yaml syntax error": (
        "exampleamide.md",
        "treats: Myeloma",
        "treats: [Myeloma",
        None,
        "yaml",
    ),
    "unknown field": (
        "exampleamide.md",
        "treats: Myeloma",
        "treats: Myeloma\ncolour: blue",
        "colour: blue",
        "colour",
    ),
    "missing required field": ("exampleamide.md", "treats: Myeloma\n", "", None, "treats"),
    "unknown frequency band": (
        "exampleamide.md",
        "band: leaflet:common",
        "band: leaflet:very-common",
        "- effect: constipation",
        "side_effects[0].band",
    ),
    "unknown source id": (
        "exampleamide.md",
        "sources: [leaflet]\n    text: |",
        "sources: [leafet]\n    text: |",
        "sources: [leafet]",
        "side_effects[0].sources",
    ),
    "bad date": (
        "exampleamide.md",
        "last_reviewed: 2026-11-22",
        "last_reviewed: 2026-13-45",
        "last_reviewed:",
        "last_reviewed",
    ),
    "percentage outside 0-100": (
        "exampleamide.md",
        "percent: 25",
        "percent: 125",
        "percent: 125",
        "side_effects[0].figure.percent",
    ),
    "side effect listed twice": (
        "exampleamide.md",
        "  - effect: tiredness",
        "  - effect: constipation",
        "  - effect: constipation\n",
        "side_effects[1].effect",
    ),
    "unknown section kind": (
        "exampleamide.md",
        "{#missed-doses",
        "{#forgotten-doses",
        "{#forgotten-doses",
        "section",
    ),
    "text before the first section": (
        "exampleamide.md",
        "---\n## What",
        "---\nStray words.\n## What",
        "Stray words.",
        "body",
    ),
    "unknown side effect": (
        "exampleamide.md",
        "effect: tiredness",
        "effect: sleepiness",
        "effect: sleepiness",
        "side_effects[1].effect",
    ),
    # Help rules: never weaker than the source's words, never stronger without a reason.
    "help rule below its floor": (
        "exampleamide.md",
        "urgency: urgent\n        says: straight away",
        "urgency: tell\n        says: straight away",
        "- sign: constipation-and-sick",
        "side_effects[0].get_help[0].urgency",
    ),
    "escalation without a reason and source": (
        "exampleamide.md",
        "urgency: urgent\n        says: straight away",
        "urgency: immediate\n        says: straight away",
        "- sign: constipation-and-sick",
        "side_effects[0].get_help[0].escalation",
    ),
    "escalation citing an unknown source": (
        "exampleamide.md",
        "urgency: urgent\n        says: straight away",
        "urgency: immediate\n        says: straight away\n"
        "        escalation:\n          reason: It can be serious.\n          source: nowhere",
        "source: nowhere",
        "side_effects[0].get_help[0].escalation.source",
    ),
    "one sign on two levels without a condition": (
        "exampleamide.md",
        "        says: straight away\n",
        "        says: straight away\n"
        "      - sign: constipation-and-sick\n"
        "        when: you have not pooed for 3 days\n"
        "        urgency: tell\n"
        "        says: tell your doctor\n",
        "- sign: constipation-and-sick",
        "side_effects[0].get_help[0].condition",
    ),
    "timing phrase not in the floors table": (
        "exampleamide.md",
        "says: straight away",
        "says: whenever you like",
        "- sign: constipation-and-sick",
        "side_effects[0].get_help[0].says",
    ),
    "unknown sign": (
        "exampleamide.md",
        "sign: constipation-and-sick",
        "sign: hiccups",
        "- sign: hiccups",
        "side_effects[0].get_help[0].sign",
    ),
    "threshold not in the rule's words": (
        "exampleamide.md",
        "threshold: more than 2 days",
        "threshold: more than 5 days",
        "threshold: more than 5 days",
        "side_effects[0].get_help[0].threshold",
    ),
    "rule source the entry does not cite": (
        "exampleamide.md",
        "        says: straight away\n",
        "        says: straight away\n        source: database\n",
        "source: database",
        "side_effects[0].get_help[0].source",
    ),
    "shared file with a bad band bound": (
        "frequency-bands.yaml",
        "min_per_100: 10",
        "min_per_100: -3",
        "min_per_100: -3",
        "min_per_100",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_file_names_file_and_line_and_changes_nothing(case, fixture_content):
    run_import(fixture_content)
    before = dump()
    name, old, new, marker, field = MALFORMED[case]
    path = fixture_content / name
    if old is None:
        path.write_text(new)
    else:
        replace(path, old, new)
    # The error points at the line of the marker text, or the top of the file.
    if marker is None:
        expected_line = None
    elif marker.endswith("\n"):
        lines = path.read_text().splitlines()
        expected_line = [i for i, line in enumerate(lines, 1) if line == marker.rstrip("\n")][-1]
    else:
        expected_line = line_of(path, marker)

    message = failing_import(fixture_content)

    match = re.search(rf"^{re.escape(str(path))}:(\d+): ([^:]+): .+$", message, re.MULTILINE)
    assert match, message
    assert field in match.group(2), message
    if expected_line is not None:
        assert int(match.group(1)) == expected_line, message
    assert dump() == before


class TestHelpRuleSafety:
    def test_one_sign_on_two_levels_imports_when_each_states_its_condition(
        self, fixture_content, client
    ):
        path = fixture_content / "exampleamide.md"
        replace(
            path,
            "        says: straight away\n",
            "        condition: and you are being sick\n"
            "        says: straight away\n"
            "      - sign: constipation-and-sick\n"
            "        when: you have not pooed for 3 days\n"
            "        condition: and you are not being sick\n"
            "        urgency: tell\n"
            "        says: tell your doctor\n",
        )
        run_import(fixture_content)

        html = client.get(reverse("drugs:guide", args=["exampleamide"])).content.decode()
        assert "(and you are being sick)" in html and "(and you are not being sick)" in html

    def test_an_escalation_with_a_reason_and_source_is_kept(self, fixture_content):
        replace(
            fixture_content / "exampleamide.md",
            "urgency: urgent\n        says: straight away",
            "urgency: immediate\n        says: straight away\n        escalation:\n"
            "          reason: The database says it can be an emergency.\n"
            "          source: database",
        )
        run_import(fixture_content)

        rule = HelpRule.objects.get()
        assert rule.urgency == "immediate" and rule.escalated
        assert rule.escalation_source.key == "database"
        assert rule.timing.phrase == "straight away" and rule.source.key == "leaflet"

    def test_a_single_monograph_is_checked_against_the_loaded_floors(self, fixture_content):
        run_import(fixture_content)
        before = dump()
        path = fixture_content / "exampleamide.md"
        replace(path, "urgency: urgent", "urgency: tell")

        message = failing_import(path)

        assert "less urgent than the source's 'straight away' allows" in message
        assert f"{path}:{line_of(path, '- sign: constipation-and-sick')}:" in message
        assert dump() == before


def test_the_same_slug_in_two_files_is_refused(fixture_content):
    run_import(fixture_content)
    before = dump()
    twin = fixture_content / "exampleamide-copy.md"
    twin.write_text((fixture_content / "exampleamide.md").read_text())

    message = failing_import(fixture_content)

    original = fixture_content / "exampleamide.md"
    # Files are read in name order, so the copy comes first and the original is the repeat.
    assert f"{original}:2: slug: 'exampleamide' is also the slug of {twin}" in message
    assert dump() == before


def test_every_problem_is_reported_at_once(fixture_content):
    path = fixture_content / "exampleamide.md"
    replace(path, "last_reviewed: 2026-11-22", "last_reviewed: someday")
    replace(path, "percent: 25", "percent: 101")

    message = failing_import(fixture_content)

    assert "last_reviewed" in message
    assert "figure.percent" in message
    assert not Drug.objects.exists()


def test_a_failure_while_writing_rolls_everything_back(fixture_content, monkeypatch):
    run_import(fixture_content)
    before = dump()
    replace(fixture_content / "exampleamide.md", "name: Exampleamide", "name: Renamed")
    replace(fixture_content / "side-effects.yaml", "name: Constipation", "name: Constipated")

    def explode(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("drugs.monographs.importer.Importer.sync_help_rules", explode)
    with pytest.raises(RuntimeError):
        run_import(fixture_content)

    assert dump() == before
    assert SideEffect.objects.get(slug="constipation").name == "Constipation"


def test_a_missing_path_is_reported(tmp_path):
    message = failing_import(tmp_path / "nowhere")

    assert "no such file or folder" in message


def test_models_keep_sanitised_html_beside_markdown(fixture_content):
    run_import(fixture_content)
    precaution = Precaution.objects.get()

    precaution.text = "Safe <script>alert(1)</script> [x](javascript:alert(1))"
    precaution.save()

    assert "<script" not in precaution.text_html
    assert "javascript:" not in precaution.text_html
    assert FrequencyBand.objects.standard().count() == 3


class TestAPopulatedDatabase:
    """Imports into a database that already holds drugs (the first imports were all into empty ones)."""

    def copy_as(self, fixture_content, slug: str, name: str) -> None:
        text = (fixture_content / "exampleamide.md").read_text()
        text = text.replace("slug: exampleamide", f"slug: {slug}").replace(
            "name: Exampleamide", f"name: {name}"
        )
        (fixture_content / f"{slug}.md").write_text(text)

    def test_a_new_drug_whose_file_sorts_first_imports_beside_the_existing_one(
        self, fixture_content
    ):
        run_import(fixture_content)
        self.copy_as(fixture_content, "abcamide", "Abcamide")
        # The existing drug gains a source in the same import, so its new source is written
        # in the middle of the round that also holds the new drug's.
        replace(
            fixture_content / "exampleamide.md",
            "side_effects:\n",
            "  - id: nhs\n    publisher: NHS\n    title: Exampleamide\nside_effects:\n",
        )

        out, _ = run_import(fixture_content)

        assert "drugs: 1 created, 0 updated, 1 unchanged, 0 removed" in out
        assert set(Drug.objects.values_list("slug", flat=True)) == {"abcamide", "exampleamide"}
        assert Drug.objects.get(slug="abcamide").sources.count() == 2
        assert Drug.objects.get(slug="exampleamide").sources.count() == 3
        assert HelpRule.objects.filter(side_effect__drug__slug="abcamide").count() == 1

    def test_a_renamed_file_and_slug_adds_the_new_drug_and_keeps_the_old(self, fixture_content):
        run_import(fixture_content)
        self.copy_as(fixture_content, "aaamide", "Aaamide")
        (fixture_content / "exampleamide.md").unlink()

        out, _ = run_import(fixture_content)

        # Drugs are never removed by an import: a missing file may be an editor's mistake,
        # and a published page is taken down in the admin.
        assert "drugs: 1 created" in out
        assert set(Drug.objects.values_list("slug", flat=True)) == {"aaamide", "exampleamide"}
        assert run_import(fixture_content)[0].count("0 created") >= 1

    def test_many_new_drugs_around_existing_ones_in_one_round(self, fixture_content):
        run_import(fixture_content)
        for slug in ("aamide", "bbamide", "zzamide"):
            self.copy_as(fixture_content, slug, slug.capitalize())

        run_import(fixture_content)

        assert Drug.objects.count() == 4
        assert HelpRule.objects.count() == 4


def test_a_yaml_alias_bomb_is_refused_with_its_line(fixture_content):
    import threading

    path = fixture_content / "exampleamide.md"
    bomb = "\n".join(
        ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        + [
            f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
            for i in range(1, 10)
        ]
    )
    replace(path, "treats: Myeloma\n", f"treats: Myeloma\n{bomb}\n")
    found = {}

    def check():
        found["message"] = failing_import(path)

    # Expanded, the 9 levels are a billion values: the import must refuse, not expand them.
    worker = threading.Thread(target=check, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the import expanded the aliases"
    assert f"{path}:{line_of(path, 'a1: &a1')}: yaml: YAML anchors and aliases" in found["message"]
