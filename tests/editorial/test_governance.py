"""Every patient-facing change is reviewed by a second person; anything can be taken down."""

import pytest
from django.urls import reverse

from drugs.editorial import shared, versions, workflow
from drugs.models import (
    ChangeStatus,
    Drug,
    DrugSideEffect,
    GlossaryTerm,
    SharedChange,
    SideEffect,
    Status,
    WorkflowEvent,
)
from drugs.monographs.export import monograph_data
from tests.admin.admin_helpers import change_form_data
from tests.factories import (
    GlossaryTermFactory,
    StaffUserFactory,
    complete_drug,
)


@pytest.fixture
def second_reviewer(db):
    return StaffUserFactory(username="second-reviewer", groups=["Clinical reviewers"])


@pytest.fixture
def superuser(db):
    return StaffUserFactory(username="root", is_superuser=True)


def public_text(client, *urls) -> str:
    return "".join(client.get(url).content.decode() for url in urls)


def edit_in_admin(client, user, obj, **changes):
    """Post the object's admin change form as a browser would, with some fields changed."""
    client.force_login(user)
    url = reverse(f"admin:drugs_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.post(url, change_form_data(client.get(url), **changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


@pytest.mark.django_db
class TestSharedContentIsReviewed:
    def test_an_editors_rename_of_a_shared_side_effect_reaches_no_page_until_reviewed(
        self, client, editor, reviewer
    ):
        drug = complete_drug(slug="liveamide")
        entry = DrugSideEffect.objects.get(drug=drug)
        effect = entry.effect
        effect.name = "Infection"
        effect.save()
        pages = [drug.get_absolute_url(), effect.get_absolute_url(), reverse("drugs:side_effects")]
        pages.append(reverse("drugs:search") + "?q=infection")

        edit_in_admin(client, editor, effect, name="Chest infection")
        client.logout()
        assert "Chest infection" not in public_text(client, *pages)
        assert SideEffect.objects.get(pk=effect.pk).name == "Infection"

        change = SharedChange.objects.get()
        shared.submit(change, editor)
        assert "Chest infection" not in public_text(client, *pages)

        shared.publish(change, reviewer)
        assert SideEffect.objects.get(pk=effect.pk).name == "Chest infection"
        text = public_text(client, *pages[:3])
        assert text.count("Chest infection") >= 3

    def test_a_rewritten_glossary_term_waits_for_a_different_reviewer(
        self, client, editor, reviewer
    ):
        term = GlossaryTermFactory(slug="myeloma", term="Myeloma", definition="A blood cancer.")
        edit_in_admin(client, editor, term, definition="A cancer of plasma cells.")
        client.logout()
        glossary = reverse("drugs:glossary")
        assert "A cancer of plasma cells." not in public_text(client, glossary)

        change = SharedChange.objects.get()
        with pytest.raises(workflow.WorkflowError, match="in review"):
            shared.publish(change, reviewer)
        shared.submit(change, editor)
        shared.publish(change, reviewer)
        assert "A cancer of plasma cells." in public_text(client, glossary)

    def test_editing_the_entry_again_carries_on_from_the_waiting_change(self, client, editor):
        term = GlossaryTermFactory(definition="Old words.")
        edit_in_admin(client, editor, term, definition="New words.")
        page = client.get(reverse("admin:drugs_glossaryterm_change", args=[term.pk]))
        assert page.context["adminform"].form["definition"].value() == "New words."
        assert "is <strong>draft</strong>" in page.content.decode()

    def test_editing_a_change_in_review_sends_it_back_to_draft(self, client, editor, reviewer):
        term = GlossaryTermFactory(definition="Old words.")
        edit_in_admin(client, editor, term, definition="New words.")
        change = SharedChange.objects.get()
        shared.submit(change, editor)
        response = edit_in_admin(client, editor, term, definition="Newer words.")
        change.refresh_from_db()
        assert change.status == ChangeStatus.DRAFT
        assert change.data["definition"] == "Newer words."
        messages = [str(m) for m in response.wsgi_request._messages]
        assert any("back to draft" in m for m in messages)
        with pytest.raises(workflow.WorkflowError):
            shared.publish(change, reviewer)

    @pytest.mark.parametrize("publisher", ["reviewer", "superuser"])
    def test_the_author_of_a_shared_change_cannot_publish_it(self, request, client, publisher):
        user = request.getfixturevalue(publisher)
        term = GlossaryTermFactory(definition="Old words.")
        edit_in_admin(client, user, term, definition="My own words.")
        change = SharedChange.objects.get()
        shared.submit(change, user)
        with pytest.raises(workflow.WorkflowError, match="different clinical reviewer"):
            shared.publish(change, user)
        assert GlossaryTerm.objects.get(pk=term.pk).definition == "Old words."

    def test_a_new_shared_entry_is_created_only_when_published(self, client, editor, reviewer):
        client.force_login(editor)
        add = reverse("admin:drugs_glossaryterm_add")
        data = change_form_data(
            client.get(add), term="Neutrophil", slug="neutrophil", definition="A white blood cell."
        )
        assert client.post(add, data).status_code == 302
        assert not GlossaryTerm.objects.filter(slug="neutrophil").exists()
        change = SharedChange.objects.get()
        shared.submit(change, editor)
        shared.publish(change, reviewer)
        assert GlossaryTerm.objects.get(slug="neutrophil").definition == "A white blood cell."

    def test_a_published_change_can_be_undone_through_review(
        self, client, editor, reviewer, second_reviewer
    ):
        term = GlossaryTermFactory(definition="Old words.")
        edit_in_admin(client, editor, term, definition="New words.")
        change = SharedChange.objects.get()
        shared.submit(change, editor)
        shared.publish(change, reviewer)
        undo = shared.revert(change, reviewer)
        assert GlossaryTerm.objects.get(pk=term.pk).definition == "New words."
        shared.submit(undo, reviewer)
        shared.publish(undo, second_reviewer)
        assert GlossaryTerm.objects.get(pk=term.pk).definition == "Old words."

    def test_shared_entries_cannot_be_deleted_past_review(self, client, superuser):
        term = GlossaryTermFactory()
        client.force_login(superuser)
        response = client.post(
            reverse("admin:drugs_glossaryterm_delete", args=[term.pk]), {"post": "yes"}
        )
        assert response.status_code == 403
        assert GlossaryTerm.objects.filter(pk=term.pk).exists()

    def test_the_review_page_shows_only_the_changed_field(self, client, editor, reviewer):
        term = GlossaryTermFactory(definition="Old words.")
        edit_in_admin(client, editor, term, definition="New words.")
        change = SharedChange.objects.get()
        assert [d.name for d in shared.field_diffs(change)] == ["definition"]
        client.force_login(reviewer)
        page = client.get(reverse("admin:drugs_sharedchange_change", args=[change.pk]))
        text = page.content.decode()
        assert "Old words." in text and "New words." in text

    def test_a_change_to_a_live_entry_made_meanwhile_blocks_publishing(
        self, client, editor, reviewer
    ):
        term = GlossaryTermFactory(definition="Old words.")
        edit_in_admin(client, editor, term, definition="New words.")
        GlossaryTerm.objects.filter(pk=term.pk).update(definition="Imported words.")
        change = SharedChange.objects.get()
        shared.submit(change, editor)
        with pytest.raises(workflow.WorkflowError, match="changed after"):
            shared.publish(change, reviewer)
        assert GlossaryTerm.objects.get(pk=term.pk).definition == "Imported words."


@pytest.mark.django_db
class TestFourEyes:
    def test_editing_a_drug_in_review_returns_it_to_draft(self, client, editor, reviewer):
        drug = complete_drug(status=Status.DRAFT)
        workflow.submit_for_review(drug, editor)
        edit_in_admin(client, editor, drug, summary="A changed summary.")
        drug.refresh_from_db()
        assert drug.status == Status.DRAFT
        with pytest.raises(workflow.WorkflowError, match="must be in review"):
            workflow.publish(drug, reviewer)
        assert WorkflowEvent.objects.filter(
            drug=drug, action="returned to draft because it was edited", user=editor
        ).exists()

    def test_editing_a_help_rule_on_its_own_page_returns_the_drug_to_draft(self, client, editor):
        drug = complete_drug(status=Status.DRAFT)
        workflow.submit_for_review(drug, editor)
        entry = DrugSideEffect.objects.get(drug=drug)
        edit_in_admin(client, editor, entry, text="A changed description.")
        drug.refresh_from_db()
        assert drug.status == Status.DRAFT
        latest = drug.history.first()
        assert (latest.history_user, latest.history_change_reason) == (
            editor,
            f"Changed {entry.title}",
        )

    @pytest.mark.parametrize("publisher", ["reviewer", "superuser"])
    def test_an_author_cannot_publish_their_own_drug(self, request, client, publisher):
        user = request.getfixturevalue(publisher)
        drug = complete_drug(status=Status.DRAFT)
        edit_in_admin(client, user, drug, summary="Written by the publisher.", _workflow="submit")
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW
        with pytest.raises(workflow.WorkflowError, match="different clinical reviewer"):
            workflow.publish(drug, user)
        client.post(reverse("admin:drugs_drug_transition", args=[drug.pk, "publish"]))
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW

    def test_an_untouched_form_submitted_authors_nothing(self, client, editor, reviewer):
        drug = complete_drug(status=Status.DRAFT)
        edit_in_admin(client, reviewer, drug, _workflow="submit")
        drug.refresh_from_db()
        assert drug.status == Status.REVIEW
        assert not drug.authors.exists()
        workflow.publish(drug, reviewer)

    def test_the_submit_button_saves_the_form_first(self, client, editor):
        drug = complete_drug(status=Status.DRAFT)
        edit_in_admin(client, editor, drug, summary="Unsaved words.", _workflow="submit")
        drug.refresh_from_db()
        assert (drug.summary, drug.status) == ("Unsaved words.", Status.REVIEW)

    def test_a_drug_changed_after_the_reviewer_opened_it_is_not_published(self, editor, reviewer):
        drug = complete_drug(status=Status.DRAFT)
        workflow.submit_for_review(drug, editor)
        seen = workflow.seen_token(Drug.objects.get(pk=drug.pk))
        workflow.return_to_draft(drug, editor)
        workflow.submit_for_review(drug, editor)
        with pytest.raises(workflow.WorkflowError, match="changed after you opened it"):
            workflow.publish(drug, reviewer, seen=seen)

    def test_every_transition_is_recorded_with_who_when_and_why(self, editor, reviewer):
        drug = complete_drug(status=Status.DRAFT)
        workflow.submit_for_review(drug, editor, "Ready for a look")
        workflow.publish(drug, reviewer, "Checked against both sources")
        events = list(drug.workflow_events.order_by("at", "pk"))
        assert [(e.action, e.user, e.comment, e.from_status, e.to_status) for e in events] == [
            ("submitted for review", editor, "Ready for a look", "draft", "review"),
            ("published", reviewer, "Checked against both sources", "review", "published"),
        ]
        assert all(e.at for e in events)


@pytest.mark.django_db
class TestPublishingRules:
    @pytest.mark.parametrize("kind", ["about", "how-to-take", "missed-doses", "getting-help"])
    def test_a_drug_missing_a_required_section_cannot_be_published(self, kind, reviewer):
        drug = complete_drug(status=Status.REVIEW)
        drug.sections.filter(kind=kind).delete()
        with pytest.raises(workflow.WorkflowError, match="section"):
            workflow.publish(drug, reviewer)
        assert Drug.objects.get(pk=drug.pk).status == Status.REVIEW

    def test_a_drug_without_a_help_rule_cannot_be_published(self, reviewer):
        drug = complete_drug(status=Status.REVIEW)
        for entry in DrugSideEffect.objects.filter(drug=drug):
            entry.help_rules.all().delete()
        assert workflow.missing_parts(drug) == [
            "at least one \u201cwhen to get help\u201d rule on a side effect or precaution"
        ]
        with pytest.raises(workflow.WorkflowError, match="when to get help"):
            workflow.publish(drug, reviewer)

    def test_the_change_page_lists_what_is_missing(self, client, editor):
        drug = complete_drug(status=Status.DRAFT)
        drug.sections.filter(kind="missed-doses").delete()
        client.force_login(editor)
        page = client.get(reverse("admin:drugs_drug_change", args=[drug.pk])).content.decode()
        assert "What to do about a missed dose" in page

    def test_a_complete_drug_is_missing_nothing(self):
        assert workflow.missing_parts(complete_drug()) == []


@pytest.mark.django_db
class TestWithdrawal:
    def test_a_withdrawn_drug_leaves_every_public_page_and_can_be_restored(self, client, reviewer):
        drug = complete_drug(slug="goneamide", name="Goneamide")
        other = complete_drug(slug="stayamide", name="Stayamide")
        effect = DrugSideEffect.objects.filter(drug=drug).get().effect
        # Both drugs list the effect, so its page stays up and must not name the withdrawn one.
        DrugSideEffect.objects.create(
            drug=other, effect=effect, band=drug.side_effects.get().band, text="x"
        )
        compare = reverse("drugs:compare") + f"?drugs={drug.slug}&drugs={other.slug}"
        lists = [
            reverse("drugs:list"),
            reverse("drugs:home"),
            effect.get_absolute_url(),
            reverse("drugs:search") + "?q=goneamide",
            reverse("drugs:api_drugs"),
            reverse("drugs:api_search") + "?q=goneamide",
            compare,
        ]
        assert "Goneamide" in public_text(client, *lists)

        with pytest.raises(workflow.WorkflowError, match="Say why"):
            workflow.withdraw(drug, reviewer, " ")
        workflow.withdraw(drug, reviewer, "A source was withdrawn by its publisher")

        detail = client.get(drug.get_absolute_url())
        assert detail.status_code == 410
        assert "no longer available" in detail.content.decode()
        assert reverse("drugs:list") in detail.content.decode()
        assert client.get(reverse("drugs:api_drug", args=[drug.slug])).status_code == 410
        assert client.get(reverse("drugs:handout", args=[drug.slug])).status_code == 410
        assert "Goneamide" not in public_text(client, *lists)

        workflow.restore(drug, reviewer, "The source is back")
        assert client.get(drug.get_absolute_url()).status_code == 200
        assert "Goneamide" in public_text(client, *lists[:4])
        assert [e.action for e in drug.workflow_events.order_by("at", "pk")] == [
            "withdrawn",
            "restored",
        ]

    def test_an_editor_cannot_withdraw(self, client, editor):
        drug = complete_drug()
        client.force_login(editor)
        client.post(
            reverse("admin:drugs_drug_transition", args=[drug.pk, "withdraw"]),
            {"_workflow_comment": "because"},
        )
        assert Drug.objects.get(pk=drug.pk).status == Status.PUBLISHED

    def test_a_reviewer_withdraws_from_the_admin(self, client, reviewer):
        drug = complete_drug()
        client.force_login(reviewer)
        page = client.get(reverse("admin:drugs_drug_change", args=[drug.pk])).content.decode()
        assert "Withdraw from the site" in page
        client.post(
            reverse("admin:drugs_drug_transition", args=[drug.pk, "withdraw"]),
            {"_workflow_comment": "Wrong dose in a source"},
        )
        assert Drug.objects.get(pk=drug.pk).status == Status.WITHDRAWN

    def test_a_missing_drug_is_still_a_404(self, client):
        assert client.get(reverse("drugs:detail", args=["neveramide"])).status_code == 404


@pytest.mark.django_db
class TestReadableAudit:
    def test_a_one_field_edit_in_a_form_shows_a_one_line_diff(
        self, client, editor, django_capture_on_commit_callbacks
    ):
        drug = complete_drug(status=Status.DRAFT)
        section = drug.sections.get(kind="how-to-take")
        section.text = "Swallow it whole.\n\nTake it with water.\n\nAt the same time each day."
        with django_capture_on_commit_callbacks(execute=True):
            section.save()
            drug.save()
        # A browser sends every textarea with CRLF line endings.
        client.force_login(editor)
        url = reverse("admin:drugs_drug_change", args=[drug.pk])
        data = change_form_data(client.get(url))
        data = {k: v.replace("\n", "\r\n") if isinstance(v, str) else v for k, v in data.items()}
        data["summary"] = "A capsule for myeloma."
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, data).status_code == 302
        newest = versions.versions(Drug.objects.get(pk=drug.pk))[0]
        assert (newest.added, newest.removed) == (1, 1)
        assert "\r" not in drug.sections.get(kind="how-to-take").text

    def test_a_revision_shows_only_the_part_it_changes(self, editor):
        live = complete_drug(slug="liveamide")
        revision = workflow.start_revision(live, editor)
        precaution = revision.precautions.get()
        precaution.text = "Do not give blood for 1 week."
        precaution.save()
        loaded = Drug.objects.with_monograph().in_bulk([live.pk, revision.pk])
        changes = versions.part_changes(
            monograph_data(loaded[live.pk]), monograph_data(loaded[revision.pk])
        )
        assert [c.part for c in changes] == ["Precaution: Giving blood"]
        lines = [(d.kind, d.text) for d in changes[0].diff if d.kind in ("add", "remove")]
        assert lines == [
            ("remove", "-text: Do not give blood."),
            ("add", "+text: Do not give blood for 1 week."),
        ]


@pytest.mark.django_db
class TestDashboard:
    def test_it_lists_what_waits_for_review_and_what_is_overdue(
        self, client, editor, reviewer, django_assert_max_num_queries
    ):
        import datetime

        waiting = complete_drug(slug="waitamide", name="Waitamide", status=Status.DRAFT)
        edit_in_admin(client, editor, waiting, summary="New words.", _workflow="submit")
        complete_drug(slug="oldamide", name="Oldamide", next_review_due=datetime.date(2026, 11, 2))
        term = GlossaryTermFactory(term="Platelet")
        edit_in_admin(client, editor, term, definition="A cell that helps blood clot.")
        shared.submit(SharedChange.objects.get(), editor)

        client.force_login(reviewer)
        with django_assert_max_num_queries(20):
            page = client.get(reverse("admin:index")).content.decode()
        waiting_part = page.split("Waiting for review")[1].split("Review overdue")[0]
        assert "Waitamide" in waiting_part and "Glossary term: Platelet" in waiting_part
        assert "ready for you to review" in waiting_part
        assert "Oldamide" in page.split("Review overdue")[1]

        client.force_login(editor)
        page = client.get(reverse("admin:index")).content.decode()
        assert "you changed it: another clinical reviewer must publish it" in page


@pytest.mark.django_db
def test_a_reimport_never_brings_back_a_withdrawn_drug(real_content, reviewer, client):
    from django.core.management import call_command

    drug = Drug.objects.get(slug="pomalidomide")
    workflow.withdraw(drug, reviewer, "Checking a dose")
    call_command("import_monographs", verbosity=0)
    assert Drug.objects.get(slug="pomalidomide").status == Status.WITHDRAWN
    assert client.get(drug.get_absolute_url()).status_code == 410


@pytest.mark.django_db
def test_shared_lists_are_typed_one_a_line(client, editor):
    term = GlossaryTermFactory(aliases=["neutropenic"])
    client.force_login(editor)
    page = client.get(reverse("admin:drugs_glossaryterm_change", args=[term.pk])).content.decode()
    assert "neutropenic</textarea>" in page and '["neutropenic"]' not in page
    edit_in_admin(client, editor, term, aliases="neutropenic\r\nneutrophils low")
    assert SharedChange.objects.get().data["aliases"] == ["neutropenic", "neutrophils low"]


@pytest.mark.django_db
def test_a_help_rule_edited_inside_the_drug_page_returns_it_to_draft(client, editor, reviewer):
    from drugs.models import HelpRule

    drug = complete_drug(status=Status.DRAFT)
    workflow.submit_for_review(drug, editor)
    client.force_login(reviewer)
    url = reverse("admin:drugs_drug_change", args=[drug.pk])
    data = change_form_data(client.get(url))
    (key,) = [k for k in data if "help_rules" in k and k.endswith("-text")]
    data[key] = "your temperature goes above 38.5°C"
    assert client.post(url, data).status_code == 302
    assert HelpRule.objects.get(side_effect__drug=drug).text == data[key]
    drug.refresh_from_db()
    assert drug.status == Status.DRAFT
    assert list(drug.authors.all()) == [reviewer]


@pytest.mark.django_db
def test_a_precautions_help_rule_is_edited_on_the_drug_page(client, editor):
    from drugs.models import HelpRule
    from tests.factories import HelpRuleFactory

    drug = complete_drug(status=Status.DRAFT)
    precaution = drug.precautions.get()
    HelpRuleFactory(side_effect=None, precaution=precaution, text="you think you might be pregnant")
    client.force_login(editor)
    url = reverse("admin:drugs_drug_change", args=[drug.pk])
    data = change_form_data(client.get(url))
    (key,) = [k for k in data if "precaution" in k and "help_rules" in k and k.endswith("-text")]
    data[key] = "you or your partner might be pregnant"
    assert client.post(url, data).status_code == 302
    assert HelpRule.objects.get(precaution=precaution).text == data[key]


@pytest.mark.django_db
def test_a_form_opened_before_someone_elses_save_saves_nothing(client, editor, reviewer):
    drug = complete_drug(status=Status.DRAFT)
    workflow.submit_for_review(drug, editor)
    client.force_login(reviewer)
    url = reverse("admin:drugs_drug_change", args=[drug.pk])
    data = change_form_data(client.get(url))
    data.update(_seen=workflow.seen_token(Drug.objects.get(pk=drug.pk)), _workflow="publish")
    # The editor changes the summary on their own page meanwhile (back to draft, resubmitted).
    stale = Drug.objects.get(pk=drug.pk)
    stale.summary = "The editor's newer words."
    stale.save()
    response = client.post(url, data)
    drug.refresh_from_db()
    assert drug.summary == "The editor's newer words."
    assert drug.status == Status.REVIEW
    assert not drug.authors.filter(pk=reviewer.pk).exists()
    assert "changed by someone else" in " ".join(str(m) for m in response.wsgi_request._messages)
