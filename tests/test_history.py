"""Every change is recorded with who, when and what, shown as a diff, and can be rolled back."""

import pytest
from django.urls import reverse

from drugs import workflow
from drugs.models import Drug, Section, Status
from tests.admin_helpers import change_form_data


def section_text(drug) -> str:
    return Section.objects.get(drug=drug, kind="about").text


@pytest.fixture
def exampleamide(imported_fixture):
    return Drug.objects.get(slug="exampleamide")


def edit_about(client, drug, text, django_capture_on_commit_callbacks):
    """Change the drug's about section through the admin, as an editor would."""
    url = reverse("admin:drugs_drug_change", args=[drug.pk])
    response = client.get(url)
    formset = next(
        i.formset
        for i in response.context["inline_admin_formsets"]
        if i.formset.prefix == "sections"
    )
    index = next(n for n, f in enumerate(formset.forms) if f.instance.kind == "about")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, change_form_data(response, **{f"sections-{index}-text": text}))
    assert response.status_code == 302, response.context and response.context["errors"]


@pytest.mark.django_db
class TestHistory:
    def test_the_import_records_a_version_with_the_whole_monograph(self, exampleamide):
        record = exampleamide.history.get()
        assert record.history_type == "+"
        assert "Exampleamide is a cancer drug used to treat myeloma." in record.monograph
        assert "You may find it hard to poo." in record.monograph

    def test_an_admin_edit_records_who_when_and_what(
        self, client, editor, exampleamide, django_capture_on_commit_callbacks
    ):
        # A draft can be edited in place.
        Drug.objects.filter(pk=exampleamide.pk).update(status=Status.DRAFT)
        client.force_login(editor)
        edit_about(client, exampleamide, "A new first line.", django_capture_on_commit_callbacks)
        latest = exampleamide.history.first()
        assert latest.history_user == editor
        assert "A new first line." in latest.monograph

        page = client.get(reverse("admin:drugs_drug_history", args=[exampleamide.pk]))
        text = page.content.decode()
        assert page.status_code == 200
        assert "editor" in text
        assert '<span class="diff-add">+A new first line.</span>' in text
        assert (
            '<span class="diff-remove">-Exampleamide is a cancer drug used to treat myeloma.</span>'
            in text
        )

    def test_rolling_back_a_draft_restores_the_earlier_content(
        self, client, editor, exampleamide, django_capture_on_commit_callbacks
    ):
        Drug.objects.filter(pk=exampleamide.pk).update(status=Status.DRAFT)
        first = exampleamide.history.get()
        client.force_login(editor)
        edit_about(client, exampleamide, "A new first line.", django_capture_on_commit_callbacks)
        assert section_text(exampleamide) == "A new first line."

        url = reverse("admin:drugs_drug_rollback", args=[exampleamide.pk, first.history_id])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        assert response.status_code == 302
        assert section_text(exampleamide) == "Exampleamide is a cancer drug used to treat myeloma."
        latest = exampleamide.history.first()
        assert latest.history_change_reason.startswith("Rolled back")
        assert latest.history_user == editor

    def test_rolling_back_a_published_drug_goes_through_a_pending_revision(
        self, client, editor, reviewer, exampleamide, django_capture_on_commit_callbacks
    ):
        first = exampleamide.history.get()
        client.force_login(editor)
        with django_capture_on_commit_callbacks(execute=True):
            revision = workflow.start_revision(exampleamide, editor)
        revision.sections.filter(kind="about").update(text="Changed wording.")
        with django_capture_on_commit_callbacks(execute=True):
            workflow.submit_for_review(revision, editor)
            workflow.publish(revision, reviewer)
        assert section_text(exampleamide) == "Changed wording."
        assert exampleamide.history.first().history_change_reason == "Published a revision"

        url = reverse("admin:drugs_drug_rollback", args=[exampleamide.pk, first.history_id])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url)
        # The live page is untouched until a reviewer publishes the restored version.
        assert section_text(exampleamide) == "Changed wording."
        revision = Drug.objects.get(revision_of=exampleamide)
        assert section_text(revision) == "Exampleamide is a cancer drug used to treat myeloma."
        assert revision.status == Status.DRAFT

    def test_anonymous_people_cannot_see_history_or_roll_back(self, client, exampleamide):
        first = exampleamide.history.get()
        history = client.get(reverse("admin:drugs_drug_history", args=[exampleamide.pk]))
        assert history.status_code == 302
        url = reverse("admin:drugs_drug_rollback", args=[exampleamide.pk, first.history_id])
        assert client.post(url).status_code == 302
        assert Drug.objects.filter(revision_of=exampleamide).count() == 0
