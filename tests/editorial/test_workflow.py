"""Draft -> in review -> published, and pending revisions of published drugs."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from drugs.editorial import workflow
from drugs.models import Drug, Precaution, Status
from tests.factories import PrecautionFactory, complete_drug


@pytest.mark.django_db
class TestTransitions:
    def test_an_editor_submits_a_draft_for_review(self, editor):
        drug = complete_drug(status=Status.DRAFT)
        workflow.submit_for_review(drug, editor)
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW

    def test_an_editor_cannot_publish(self, editor):
        drug = complete_drug(status=Status.REVIEW)
        with pytest.raises(PermissionDenied):
            workflow.publish(drug, editor)
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW

    def test_a_clinical_reviewer_publishes_a_drug_in_review(self, reviewer):
        drug = complete_drug(status=Status.REVIEW)
        workflow.publish(drug, reviewer)
        assert Drug.objects.published().filter(pk=drug.pk).exists()

    def test_a_draft_must_be_reviewed_before_it_is_published(self, reviewer):
        drug = complete_drug(status=Status.DRAFT)
        with pytest.raises(workflow.WorkflowError):
            workflow.publish(drug, reviewer)

    def test_an_incomplete_monograph_is_not_published(self, reviewer):
        drug = complete_drug(status=Status.REVIEW)
        drug.sections.first().sources.clear()
        with pytest.raises(workflow.WorkflowError, match="sources"):
            workflow.publish(drug, reviewer)
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW

    def test_drafts_and_drugs_in_review_never_reach_patients(self, client):
        draft = complete_drug(status=Status.DRAFT)
        in_review = complete_drug(status=Status.REVIEW)
        assert not Drug.objects.published().filter(pk__in=[draft.pk, in_review.pk]).exists()
        assert client.get(draft.get_absolute_url()).status_code == 404
        assert client.get(in_review.get_absolute_url()).status_code == 404


@pytest.mark.django_db
class TestPendingRevisions:
    def test_editing_a_published_drug_starts_a_revision_with_all_its_content(self, editor):
        live = complete_drug(slug="liveamide")
        revision = workflow.start_revision(live, editor)
        assert revision.revision_of == live
        assert revision.status == Status.DRAFT
        assert revision.slug == "liveamide--draft"
        assert list(revision.precautions.values_list("title", "text")) == [
            ("Giving blood", "Do not give blood.")
        ]
        assert workflow.start_revision(live, editor) == revision

    def test_a_revision_never_reaches_patients_whatever_its_status(self, editor, client):
        live = complete_drug(slug="liveamide")
        revision = workflow.start_revision(live, editor)
        Drug.objects.filter(pk=revision.pk).update(status=Status.PUBLISHED)
        assert list(Drug.objects.published()) == [live]
        assert client.get(reverse("drugs:detail", args=[revision.slug])).status_code == 404

    def test_the_live_page_changes_only_when_the_revision_is_published(
        self, editor, reviewer, client
    ):
        live = complete_drug(slug="liveamide")
        revision = workflow.start_revision(live, editor)
        precaution = revision.precautions.get()
        precaution.text = "Do not give blood for 1 week after treatment."
        precaution.save()

        page = client.get(reverse("drugs:guide", args=[live.slug])).content.decode()
        assert "Do not give blood." in page
        assert "1 week after treatment" not in page

        workflow.submit_for_review(revision, editor)
        published = workflow.publish(revision, reviewer)

        assert published.pk == live.pk
        assert not Drug.objects.filter(pk=revision.pk).exists()
        assert Precaution.objects.get(drug=live).text == (
            "Do not give blood for 1 week after treatment."
        )
        page = client.get(reverse("drugs:guide", args=[live.slug])).content.decode()
        assert "1 week after treatment" in page

    def test_an_editor_cannot_publish_a_revision(self, editor):
        live = complete_drug(slug="liveamide")
        revision = workflow.start_revision(live, editor)
        workflow.submit_for_review(revision, editor)
        with pytest.raises(PermissionDenied):
            workflow.publish(revision, editor)
        assert Drug.objects.filter(pk=revision.pk, status=Status.REVIEW).exists()

    def test_removing_an_item_in_a_revision_removes_it_from_the_live_drug(self, editor, reviewer):
        live = complete_drug(slug="liveamide")
        PrecautionFactory(drug=live, title="Driving", text="Do not drive if dizzy.")
        revision = workflow.start_revision(live, editor)
        revision.precautions.filter(title="Driving").delete()
        workflow.submit_for_review(revision, editor)
        workflow.publish(revision, reviewer)
        assert list(live.precautions.values_list("title", flat=True)) == ["Giving blood"]
