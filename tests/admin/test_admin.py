"""The editors' admin: who may do what, the previews, and the drug page's tools."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from markdownx.settings import MARKDOWNX_UPLOAD_URLS_PATH

from drugs.editorial import workflow
from drugs.models import Drug, Status
from tests.admin.admin_helpers import change_form_data
from tests.factories import (
    DrugFactory,
    GlossaryTermFactory,
    PrecautionFactory,
    SectionFactory,
    StaffUserFactory,
    complete_drug,
)

LOGIN = reverse("admin:login")


@pytest.mark.django_db
class TestMarkdownPreview:
    url = reverse("markdownx_markdownify")

    def test_it_refuses_anonymous_posts(self, client):
        response = client.post(self.url, {"content": "**bold** <script>alert(1)</script>"})
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert b"<strong>" not in response.content

    def test_it_refuses_anonymous_gets(self, client):
        assert client.get(self.url, {"content": "**bold**"}).status_code in (302, 405)

    def test_it_refuses_logged_in_people_who_are_not_staff(self, client, django_user_model):
        client.force_login(django_user_model.objects.create_user("patient"))
        response = client.post(self.url, {"content": "**bold**"})
        assert response.status_code == 302
        assert b"<strong>" not in response.content

    def test_it_renders_with_the_sites_sanitising_renderer_for_staff(self, client, editor):
        client.force_login(editor)
        response = client.post(self.url, {"content": "**bold** [x](javascript:alert(1))"})
        assert response.status_code == 200
        assert response.content.decode() == (
            '<p><strong>bold</strong> <a rel="noopener noreferrer">x</a></p>'
        )

    def test_image_upload_is_not_mounted_at_all(self, client, editor):
        assert settings.MARKDOWNX_UPLOAD_MAX_SIZE == 0
        assert client.post(MARKDOWNX_UPLOAD_URLS_PATH).status_code == 404
        client.force_login(editor)
        assert client.post(MARKDOWNX_UPLOAD_URLS_PATH).status_code == 404


@pytest.mark.django_db
class TestDraftPreview:
    def test_staff_see_a_draft_as_patients_will(
        self, client, editor, django_assert_max_num_queries
    ):
        drug = complete_drug(status=Status.DRAFT)
        client.force_login(editor)
        with django_assert_max_num_queries(25):
            response = client.get(reverse("admin:drugs_drug_preview", args=[drug.pk]))
        assert response.status_code == 200
        assert "It treats myeloma." in response.content.decode()
        assert response["X-Robots-Tag"] == "noindex"
        assert client.get(drug.get_absolute_url()).status_code == 404

    def test_anonymous_people_are_sent_to_log_in(self, client):
        drug = complete_drug(status=Status.DRAFT)
        response = client.get(reverse("admin:drugs_drug_preview", args=[drug.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)

    def test_staff_without_the_view_permission_are_refused(self, client):
        drug = complete_drug(status=Status.DRAFT)
        client.force_login(StaffUserFactory(username="nobody"))
        assert client.get(reverse("admin:drugs_drug_preview", args=[drug.pk])).status_code == 403


@pytest.mark.django_db
class TestPermissions:
    def test_an_editor_cannot_publish_through_the_publish_button(self, client, editor):
        drug = complete_drug(status=Status.REVIEW)
        client.force_login(editor)
        url = reverse("admin:drugs_drug_transition", args=[drug.pk, "publish"])
        assert client.post(url).status_code == 403
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW

    def test_an_editor_cannot_publish_through_the_list_action(self, client, editor):
        drug = complete_drug(status=Status.REVIEW)
        client.force_login(editor)
        client.post(
            reverse("admin:drugs_drug_changelist"),
            {"action": "publish_selected", "_selected_action": [drug.pk]},
        )
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW

    def test_an_editor_cannot_publish_or_set_review_dates_through_the_form(self, client, editor):
        drug = complete_drug(status=Status.DRAFT)
        client.force_login(editor)
        url = reverse("admin:drugs_drug_change", args=[drug.pk])
        data = change_form_data(
            client.get(url),
            name="Renamed",
            status=Status.PUBLISHED,
            last_reviewed="2030-01-01",
            next_review_due="2031-01-01",
        )
        response = client.post(url, data)
        assert response.status_code == 302, response.context and response.context["errors"]
        drug.refresh_from_db()
        assert drug.name == "Renamed"
        assert drug.status == Status.DRAFT
        assert drug.next_review_due == datetime.date(2099, 11, 1)

    def test_a_reviewer_sets_review_dates_and_another_reviewer_publishes(self, client, reviewer):
        drug = complete_drug(status=Status.DRAFT)
        client.force_login(reviewer)
        url = reverse("admin:drugs_drug_change", args=[drug.pk])
        data = change_form_data(client.get(url), next_review_due="2031-01-01", _workflow="submit")
        assert client.post(url, data).status_code == 302
        drug.refresh_from_db()
        assert (drug.status, drug.next_review_due) == (Status.REVIEW, datetime.date(2031, 1, 1))
        publish = reverse("admin:drugs_drug_transition", args=[drug.pk, "publish"])
        client.post(publish)
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW, "the reviewer who set the dates published alone"
        client.force_login(StaffUserFactory(username="second", groups=["Clinical reviewers"]))
        assert client.post(publish).status_code == 302
        drug.refresh_from_db()
        assert drug.status == Status.PUBLISHED

    def test_an_editor_adds_a_drug_as_a_draft_due_for_review(self, client, editor):
        client.force_login(editor)
        response = client.get(reverse("admin:drugs_drug_add"))
        data = change_form_data(
            response,
            name="Newamide",
            slug="newamide",
            treats="Myeloma",
            summary="A capsule.",
            brand_names="",
            status=Status.PUBLISHED,
        )
        assert client.post(reverse("admin:drugs_drug_add"), data).status_code == 302
        drug = Drug.objects.get(slug="newamide")
        assert drug.status == Status.DRAFT
        # Due for its first review a year on, not at once (tests/admin/test_editor.py).
        assert drug.next_review_due == drug.last_reviewed + datetime.timedelta(days=365)

    def test_a_published_drug_is_not_edited_in_place(self, client, editor):
        drug = complete_drug(status=Status.PUBLISHED)
        client.force_login(editor)
        url = reverse("admin:drugs_drug_change", args=[drug.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert "Edit (start a pending revision)" in response.content.decode()
        assert not response.context["has_change_permission"]
        assert client.post(url, {"name": "Changed"}).status_code == 403
        drug.refresh_from_db()
        assert drug.name != "Changed"

    def test_editing_a_published_drug_opens_its_pending_revision(self, client, editor):
        drug = complete_drug(status=Status.PUBLISHED)
        client.force_login(editor)
        response = client.post(reverse("admin:drugs_drug_revise", args=[drug.pk]))
        revision = Drug.objects.get(revision_of=drug)
        assert response["Location"] == reverse("admin:drugs_drug_change", args=[revision.pk])
        page = client.get(response["Location"]).content.decode()
        assert "pending revision of" in page
        assert "Save and submit for review" in page
        assert "Publish this revision" not in page


@pytest.mark.django_db
class TestDrugPages:
    def test_the_change_page_has_inlines_markdown_editors_and_readability(
        self, client, editor, django_assert_max_num_queries
    ):
        drug = DrugFactory(status=Status.DRAFT)
        SectionFactory(drug=drug, text="Neutropenia means fewer white blood cells.")
        for i in range(3):
            PrecautionFactory(drug=drug, title=f"Precaution {i}")
        GlossaryTermFactory(slug="neutropenia", term="Neutropenia")
        client.force_login(editor)
        with django_assert_max_num_queries(80):
            response = client.get(reverse("admin:drugs_drug_change", args=[drug.pk]))
        page = response.content.decode()
        assert page.count('class="markdown-editor"') >= 4
        assert "Readability" in page and "Grade " in page
        # "white blood cell" has no glossary entry; neutropenia has one.
        assert "medical words with no glossary entry: white blood cell" in page
        for prefix in ("sources", "sections", "side_effects", "precautions", "disagreements"):
            assert f'name="{prefix}-TOTAL_FORMS"' in page

    def test_the_list_filters_by_status_and_overdue_review_and_searches(self, client, editor):
        DrugFactory(slug="currentamide", name="Currentamide")
        DrugFactory(
            slug="lateamide",
            name="Lateamide",
            last_reviewed=datetime.date(2020, 1, 1),
            next_review_due=datetime.date(2021, 1, 1),
        )
        DrugFactory(slug="draftamide", name="Draftamide", status=Status.DRAFT)
        client.force_login(editor)
        url = reverse("admin:drugs_drug_changelist")

        def names(**params):
            return {d.name for d in client.get(url, params).context["cl"].result_list}

        assert names(review="overdue") == {"Lateamide"}
        assert names(status__exact="draft") == {"Draftamide"}
        assert names(q="latea") == {"Lateamide"}

    def test_the_list_labels_pending_revisions(self, client, editor):
        live = complete_drug(slug="liveamide", name="Liveamide")
        workflow.start_revision(live, editor)
        client.force_login(editor)
        response = client.get(reverse("admin:drugs_drug_changelist"), {"kind": "revision"})
        assert [d.slug for d in response.context["cl"].result_list] == ["liveamide--draft"]


@pytest.mark.django_db
class TestFeedback:
    def test_the_feedback_list_counts_answers_per_page(
        self, client, editor, django_assert_max_num_queries
    ):
        from drugs.models import Feedback

        for page, helpful in [("/drugs/a/", True), ("/drugs/a/", False), ("/drugs/a/", True)]:
            Feedback.objects.create(page=page, helpful=helpful)
        Feedback.objects.create(page="/glossary/", helpful=False)
        client.force_login(editor)
        with django_assert_max_num_queries(20):
            response = client.get(reverse("admin:drugs_feedback_changelist"))
        assert response.status_code == 200
        assert response.context["page_counts"] == [
            {"page": "/drugs/a/", "total": 3, "helpful": 2, "not_helpful": 1},
            {"page": "/glossary/", "total": 1, "helpful": 0, "not_helpful": 1},
        ]
        assert 'id="feedback-counts"' in response.content.decode()
