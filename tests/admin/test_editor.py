"""The drug editor: lists as lines, the slug, one save for a whole new drug, bands in words,
review dates, folded inlines, previews on demand, the admin's title and pinned query counts."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from drugs.editorial import workflow
from drugs.models import Drug, HelpRule, Section, SectionKind, Source, Urgency
from tests.admin.admin_helpers import change_form_data
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    FrequencyBandFactory,
    HelpRuleFactory,
    SideEffectFactory,
    SignFactory,
    SourceFactory,
    TimingPhraseFactory,
)

ADD = reverse("admin:drugs_drug_add")
REQUIRED_KINDS = [
    SectionKind.ABOUT,
    SectionKind.HOW_TO_TAKE,
    SectionKind.MISSED_DOSES,
    SectionKind.GETTING_HELP,
]


def change_url(drug) -> str:
    return reverse("admin:drugs_drug_change", args=[drug.pk])


@pytest.fixture
def vocabulary(db):
    """What a new drug's side effect and help rule pick from."""
    return {
        "band": FrequencyBandFactory(),
        "effect": SideEffectFactory(slug="infection", name="Infection"),
        "sign": SignFactory(slug="high-temperature", name="A high temperature"),
        "timing": TimingPhraseFactory(floor=Urgency.URGENT),
    }


def new_drug_data(response, vocabulary, cite="new-0", **changes) -> dict:
    """A whole new drug as one POST: one source, the four required sections, one side effect
    with a help rule, each citing the new source by its position."""
    data = {
        "name": "Newamide",
        "slug": "newamide",
        "brand_names": "Newa\nNewa XL",
        "treats": "Myeloma",
        "summary": "A capsule for myeloma.",
        "sources-0-key": "leaflet",
        "sources-0-publisher": "Example Cancer Charity",
        "sources-0-title": "Newamide leaflet",
        "side_effects-0-effect": vocabulary["effect"].pk,
        "side_effects-0-band": vocabulary["band"].pk,
        "side_effects-0-text": "You may get infections more easily.",
        "side_effects-0-sources": [cite],
        "side_effects-0-help_rules-0-sign": vocabulary["sign"].pk,
        "side_effects-0-help_rules-0-text": "your temperature goes above 38°C",
        "side_effects-0-help_rules-0-urgency": Urgency.URGENT,
        "side_effects-0-help_rules-0-timing": vocabulary["timing"].pk,
        "side_effects-0-help_rules-0-source": cite,
    }
    for i, kind in enumerate(REQUIRED_KINDS):
        data |= {
            f"sections-{i}-kind": kind,
            f"sections-{i}-title": kind.label,
            f"sections-{i}-text": f"What to know: {kind.label.lower()}.",
            f"sections-{i}-sources": [cite],
        }
    return change_form_data(response, **(data | changes))


def errors_of(response) -> str:
    """Every error on a re-shown change form, as one string."""
    if response.status_code != 200 or "adminform" not in (response.context or {}):
        return ""
    parts = [str(response.context["adminform"].form.errors)]
    for formset in [inline.formset for inline in response.context["inline_admin_formsets"]]:
        parts += [str(formset.errors), str(formset.non_form_errors())]
        for form in formset.forms:
            for nested in getattr(form, "nested_formsets", []):
                parts.append(str(nested.errors))
    return " ".join(parts)


@pytest.mark.django_db
class TestOneSave:
    def test_a_whole_new_drug_is_written_in_one_save_citing_its_new_source(
        self, client, editor, vocabulary
    ):
        client.force_login(editor)
        response = client.post(ADD, new_drug_data(client.get(ADD), vocabulary))
        assert response.status_code == 302, errors_of(response)
        drug = Drug.objects.get(slug="newamide")
        source = Source.objects.get(drug=drug)
        assert source.key == "leaflet"
        sections = Section.objects.filter(drug=drug).order_by("pk")
        assert [s.kind for s in sections] == REQUIRED_KINDS
        assert all(list(s.sources.all()) == [source] for s in sections)
        effect = drug.side_effects.get()
        assert list(effect.sources.all()) == [source]
        rule = HelpRule.objects.get(side_effect=effect)
        assert (rule.source, rule.text) == (source, "your temperature goes above 38°C")

    def test_an_escalated_rule_may_rest_on_a_new_source_but_still_needs_its_reason(
        self, client, editor, vocabulary
    ):
        # The source's words ask only to tell the team; the rule asks for more.
        words = TimingPhraseFactory(floor=Urgency.TELL)
        client.force_login(editor)
        rule = "side_effects-0-help_rules-0"
        escalated = {f"{rule}-timing": words.pk, f"{rule}-escalation_source": "new-0"}
        response = client.post(ADD, new_drug_data(client.get(ADD), vocabulary, **escalated))
        assert "give the reason and the source" in errors_of(response)
        reason = {f"{rule}-escalation_reason": "The reason, with its source."}
        response = client.post(
            ADD, new_drug_data(client.get(ADD), vocabulary, **escalated, **reason)
        )
        assert response.status_code == 302, errors_of(response)
        saved = HelpRule.objects.get()
        assert saved.escalated and saved.escalation_source == Source.objects.get()

    def test_the_add_page_offers_the_new_source_by_its_position(self, client, editor):
        client.force_login(editor)
        page = client.get(ADD).content.decode()
        assert '<option value="new-0">Source #1 (new, in this form)</option>' in page

    def test_citing_a_new_source_left_empty_is_refused_and_nothing_is_saved(
        self, client, editor, vocabulary
    ):
        client.force_login(editor)
        data = new_drug_data(
            client.get(ADD),
            vocabulary,
            **{"sources-0-key": "", "sources-0-publisher": "", "sources-0-title": ""},
        )
        response = client.post(ADD, data)
        assert response.status_code == 200
        assert "Source #1 (new, in this form) is empty" in errors_of(response)
        assert not Drug.objects.filter(slug="newamide").exists()

    def test_citing_a_source_that_is_not_in_the_form_is_refused(self, client, editor, vocabulary):
        other = SourceFactory()
        client.force_login(editor)
        response = client.post(ADD, new_drug_data(client.get(ADD), vocabulary, cite="new-7"))
        assert "Choose one of this drug" in errors_of(response)
        response = client.post(ADD, new_drug_data(client.get(ADD), vocabulary, cite=other.pk))
        assert "Choose one of this drug" in errors_of(response)
        assert not Drug.objects.filter(slug="newamide").exists()

    def test_citing_a_source_being_deleted_is_refused(self, client, editor):
        effect = DrugSideEffectFactory(drug=DrugFactory(status="draft"))
        source = effect.sources.get()
        client.force_login(editor)
        url = change_url(effect.drug)
        data = change_form_data(client.get(url), **{"sources-0-DELETE": "on"})
        response = client.post(url, data)
        assert "is being deleted" in errors_of(response)
        assert Source.objects.filter(pk=source.pk).exists()

    def test_help_rules_are_edited_inside_their_side_effect_on_the_drug_page(self, client, editor):
        rule = HelpRuleFactory(side_effect__drug=DrugFactory(status="draft"))
        drug = rule.side_effect.drug
        client.force_login(editor)
        url = change_url(drug)
        data = change_form_data(
            client.get(url), **{"side_effects-0-help_rules-0-text": "you feel hot and shivery"}
        )
        response = client.post(url, data)
        assert response.status_code == 302, errors_of(response)
        rule.refresh_from_db()
        assert rule.text == "you feel hot and shivery"

    def test_the_side_effects_own_page_still_edits_its_help_rules(self, client, editor):
        rule = HelpRuleFactory(side_effect__drug=DrugFactory(status="draft"))
        client.force_login(editor)
        url = reverse("admin:drugs_drugsideeffect_change", args=[rule.side_effect.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert 'name="help_rules-0-text"' in response.content.decode()


@pytest.mark.django_db
class TestLists:
    def test_brand_names_are_typed_one_a_line(self, client, editor, vocabulary):
        client.force_login(editor)
        data = new_drug_data(client.get(ADD), vocabulary, brand_names=" Newa \n\nNewa XL\n")
        assert client.post(ADD, data).status_code == 302
        drug = Drug.objects.get(slug="newamide")
        assert drug.brand_names == ["Newa", "Newa XL"]
        page = client.get(change_url(drug)).content.decode()
        assert ">\nNewa\nNewa XL</textarea>" in page
        assert "One a line. Leave empty if none." in page

    def test_json_typed_into_brand_names_gets_a_plain_error(self, client, editor, vocabulary):
        client.force_login(editor)
        data = new_drug_data(client.get(ADD), vocabulary, brand_names='["Newa"]')
        response = client.post(ADD, data)
        assert "without brackets, quotes or commas" in errors_of(response)

    def test_a_brand_name_listed_twice_is_refused(self, client, editor, vocabulary):
        client.force_login(editor)
        data = new_drug_data(client.get(ADD), vocabulary, brand_names="Newa\nnewa")
        assert "“newa” is listed twice." in errors_of(client.post(ADD, data))


@pytest.mark.django_db
class TestTheNewDrugForm:
    def test_the_slug_follows_the_name_on_the_add_page_only(self, client, editor):
        client.force_login(editor)
        add = client.get(ADD)
        assert [f["field"].name for f in add.context["prepopulated_fields"]] == ["slug"]
        drug = DrugFactory(status="draft")
        assert client.get(change_url(drug)).context["prepopulated_fields"] == []

    def test_a_slug_left_empty_is_made_from_the_name(self, client, editor, vocabulary):
        client.force_login(editor)
        data = new_drug_data(client.get(ADD), vocabulary, name="New Amide XR", slug="")
        response = client.post(ADD, data)
        assert response.status_code == 302, errors_of(response)
        assert Drug.objects.filter(slug="new-amide-xr").exists()

    def test_bands_are_offered_in_words_not_codes(self, client, editor):
        FrequencyBandFactory()
        FrequencyBandFactory(scale="cruk", key="common", phrase="more than 10 in every 100")
        client.force_login(editor)
        page = client.get(ADD).content.decode()
        assert ">Common (more than 10 in every 100 people)</option>" in page
        assert '<optgroup label="Scale of the cruk source">' in page
        assert "standard:common" not in page and "cruk:common" not in page

    def test_review_dates_on_a_new_drug_default_to_today_and_a_year_on(self, client, reviewer):
        client.force_login(reviewer)
        form = client.get(ADD).context["adminform"].form
        today = timezone.localdate()
        assert form["last_reviewed"].value() == today
        assert form["next_review_due"].value() == today + datetime.timedelta(days=365)

    def test_an_editors_new_drug_is_due_for_review_a_year_on(self, client, editor, vocabulary):
        client.force_login(editor)
        assert client.post(ADD, new_drug_data(client.get(ADD), vocabulary)).status_code == 302
        drug = Drug.objects.get(slug="newamide")
        today = timezone.localdate()
        assert (drug.last_reviewed, drug.next_review_due) == (
            today,
            today + datetime.timedelta(days=365),
        )
        assert not drug.review_overdue


@pytest.mark.django_db
class TestTheChangePage:
    def test_groups_and_saved_rows_are_folded_on_a_drug_with_rows(self, client, editor):
        drug = DrugFactory(status="draft")
        for _ in range(3):
            DrugSideEffectFactory(drug=drug)
        client.force_login(editor)
        page = client.get(change_url(drug)).content.decode()
        # A group folds into a <details> (Django's "collapse"), and so does each saved row.
        assert page.count('<details class="inline-row">') == 3 + 3  # side effects, sources
        assert page.count("<details>") >= 5
        # A folded group says how many rows it holds.
        assert re.search(r"Drug side effects \(3\)\s*</h2>", page)

    def test_a_new_drug_opens_with_blank_rows_to_fill_in_without_javascript(
        self, client, editor, vocabulary
    ):
        client.force_login(editor)
        page = client.get(ADD).content.decode()
        # The shared side effect is a plain select, not a script-only autocomplete.
        effect = vocabulary["effect"]
        assert f'<option value="{effect.pk}">Infection</option>' in page
        assert "admin/js/autocomplete.js" not in page
        # Unfolded, with a row for a source, each required section and a side effect's rule.
        assert '<details class="inline-row">' not in page
        assert "<details>" not in page
        for name in ["sources-0-key", "sections-3-kind", "side_effects-0-help_rules-0-text"]:
            assert f'name="{name}"' in page
        kinds = client.get(ADD).context["inline_admin_formsets"][1].formset.forms
        assert [form["kind"].value() for form in kinds] == REQUIRED_KINDS

    def test_markdown_fields_preview_on_demand_not_on_load(self, client, editor):
        DrugSideEffectFactory(drug=DrugFactory(status="draft"))
        client.force_login(editor)
        page = client.get(change_url(Drug.objects.get())).content.decode()
        assert "markdownx.min.js" not in page and "markdownx.js" not in page
        assert 'class="markdownx"' not in page
        assert "admin/drugs/markdown_preview.js" in page
        assert page.count('class="button markdown-preview-button"') >= 2
        assert f'data-preview-url="{reverse("markdownx_markdownify")}"' in page

    def test_the_admin_has_the_sites_own_title(self, client, editor):
        client.force_login(editor)
        page = client.get(reverse("admin:index")).content.decode()
        assert "Medication guide: editors" in page
        assert "Django administration" not in page


@pytest.mark.django_db
class TestQueryCounts:
    def test_the_add_page(self, client, editor, django_assert_num_queries):
        FrequencyBandFactory()
        client.force_login(editor)
        client.get(ADD)  # the session and permission caches, as on a second visit
        with django_assert_num_queries(17):
            assert client.get(ADD).status_code == 200

    def test_the_lenalidomide_change_page_with_the_real_content(
        self, client, editor, real_content, django_assert_num_queries
    ):
        revision = workflow.start_revision(Drug.objects.get(slug="lenalidomide"), editor)
        client.force_login(editor)
        url = change_url(revision)
        client.get(url)
        with django_assert_num_queries(41):
            assert client.get(url).status_code == 200

    def test_the_change_page_does_not_grow_with_side_effects(
        self, client, editor, django_assert_num_queries
    ):
        drug = DrugFactory(status="draft")
        client.force_login(editor)

        def add_effects(count):
            for _ in range(count):
                HelpRuleFactory(side_effect=DrugSideEffectFactory(drug=drug))

        add_effects(1)
        client.get(change_url(drug))
        with django_assert_num_queries(33):
            client.get(change_url(drug))
        add_effects(5)
        with django_assert_num_queries(33):
            client.get(change_url(drug))
