"""The clinical review list: what it lists, who may sign off, and that a change needs review again."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from drugs.editorial import clinical_review
from drugs.editorial.clinical_review import Kind
from drugs.models import ClinicalSignOff, HelpRule, TimingPhrase, Urgency

pytestmark = pytest.mark.django_db

LIST = reverse("admin:drugs_clinicalsignoff_changelist")
SIGN_OFF = reverse("admin:drugs_clinicalsignoff_sign_off")


def items_of(kind: str) -> list[clinical_review.ReviewItem]:
    return [item for item in clinical_review.review_items() if item.kind == kind]


class TestTheList:
    def test_it_lists_every_escalation_with_its_reason_and_source(self, real_content):
        escalated = items_of(Kind.ESCALATED)
        summaries = " ".join(item.summary for item in escalated)
        assert "Lenalidomide, Heart attack: Call 999 if you have chest pain" in summaries
        assert "Pomalidomide, Lung changes: Call your team now if you are wheezing" in summaries
        assert all("Reason given:" in item.detail for item in escalated)
        assert len(escalated) == HelpRule.objects.exclude(escalation_reason="").count()

    def test_it_lists_signs_whose_advice_differs_between_drugs(self, real_content):
        differs = {item.summary: item.detail for item in items_of(Kind.DIFFERS)}
        assert "above 37.5°C" in differs["A high temperature"]
        assert "above 38°C" in differs["A high temperature"]

    def test_it_lists_rules_whose_only_source_is_unnamed(self, real_content):
        unnamed = items_of(Kind.UNNAMED)
        assert unnamed
        assert all("An unnamed drug-information website" in item.detail for item in unnamed)
        assert any("pounding" in item.summary for item in unnamed)

    def test_the_real_content_has_no_sign_on_two_levels_without_a_condition(self, real_content):
        assert items_of(Kind.TWO_LEVELS) == []


class TestSigningOff:
    def test_an_editor_sees_the_list_but_cannot_sign_off(self, client, editor, real_content):
        client.force_login(editor)
        response = client.get(LIST)
        assert response.status_code == 200
        assert "Waiting for a clinical reviewer" in response.content.decode()
        assert "Mark reviewed" not in response.content.decode()
        key = clinical_review.review_items()[0].key
        assert client.post(SIGN_OFF, {"key": key}).status_code == 403
        assert not ClinicalSignOff.objects.exists()

    def test_a_reviewer_marks_an_item_and_a_change_to_it_needs_review_again(
        self, client, reviewer, real_content
    ):
        client.force_login(reviewer)
        item = items_of(Kind.ESCALATED)[0]
        response = client.post(SIGN_OFF, {"key": item.key, "comment": "Agreed."})
        assert response.status_code == 302
        page = client.get(LIST).content.decode()
        assert "Reviewed by reviewer on" in page and "Agreed." in page
        assert items_of(Kind.ESCALATED)[0].signoff is not None

        rule = HelpRule.objects.exclude(escalation_reason="").order_by("pk").first()
        rule.escalation_reason += " Edited."
        rule.save()
        assert all(i.signoff is None for i in items_of(Kind.ESCALATED) if "Edited." in i.detail)

    def test_the_patient_page_shows_no_review_state(self, client, reviewer, real_content):
        client.force_login(reviewer)
        client.post(SIGN_OFF, {"key": items_of(Kind.ESCALATED)[0].key})
        client.logout()
        html = client.get(reverse("drugs:detail", args=["lenalidomide"])).content.decode()
        assert "Reviewed by" not in html and "escalat" not in html.lower()

    def test_an_item_that_changed_since_the_list_was_shown_is_not_marked(
        self, client, reviewer, real_content
    ):
        client.force_login(reviewer)
        response = client.post(SIGN_OFF, {"key": "0" * 64}, follow=True)
        assert "has changed since the list was shown" in response.content.decode()
        assert not ClinicalSignOff.objects.exists()


class TestAdminEditsKeepTheFloor:
    def test_a_rule_below_its_sources_words_is_refused(self, real_content):
        rule = HelpRule.objects.filter(timing__phrase="straight away").first()
        rule.urgency = Urgency.TELL
        with pytest.raises(ValidationError, match="Never lower a level"):
            rule.full_clean()

    def test_an_escalation_needs_a_reason_and_a_source(self, real_content):
        rule = HelpRule.objects.filter(timing__phrase="straight away", escalation_reason="")[0]
        rule.urgency = Urgency.IMMEDIATE
        with pytest.raises(ValidationError, match="give the reason"):
            rule.full_clean()
        rule.escalation_reason = "A reason."
        rule.escalation_source = rule.source
        rule.full_clean()
        assert TimingPhrase.objects.get(phrase="straight away").floor == Urgency.URGENT


def test_editors_can_list_drugs_whose_sources_are_past_their_review_date(
    client, editor, real_content
):
    client.force_login(editor)
    response = client.get(reverse("admin:drugs_drug_changelist"), {"sources": "old"})
    assert response.status_code == 200
    listed = {drug.slug for drug in response.context["cl"].queryset}
    # Macmillan is past its own next review date; Cancer Research UK is from 2015.
    assert listed == {"pomalidomide", "lenalidomide"}
