"""Drugs in the admin: one page per drug, review and publish, preview, history and rollback."""

from __future__ import annotations

import datetime

import nested_admin
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from drugs.admin import views as admin_views
from drugs.admin.forms import Citable, CitingForm, DrugForm
from drugs.admin.inlines import (
    DisagreementInline,
    DrugSideEffectInline,
    PrecautionInline,
    SectionInline,
    SourceInline,
)
from drugs.editorial import versions, workflow
from drugs.models import (
    Drug,
    Source,
    Status,
)
from drugs.monographs.export import monograph_data


class ReviewOverdueFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Review overdue"), ("current", "Review not yet due")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.review_overdue()
        if self.value() == "current":
            return queryset.exclude(pk__in=Drug.objects.review_overdue().values("pk"))
        return queryset


class SourcesPastReviewFilter(admin.SimpleListFilter):
    """Drugs that rest on a source past its own review date or more than 5 years old."""

    title = "sources"
    parameter_name = "sources"

    def lookups(self, request, model_admin):
        return [("old", "A source is past its review date or over 5 years old")]

    def queryset(self, request, queryset):
        if self.value() == "old":
            return queryset.filter(pk__in=Source.objects.past_review().values("drug"))
        return queryset


class RevisionFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("live", "Drugs"), ("revision", "Pending revisions")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.live()
        if self.value() == "revision":
            return queryset.filter(revision_of__isnull=False)
        return queryset


# A new drug's first review falls due a year after it is written, not the next day.
REVIEW_INTERVAL = datetime.timedelta(days=365)


def first_review_dates() -> dict[str, datetime.date]:
    today = timezone.localdate()
    return {"last_reviewed": today, "next_review_due": today + REVIEW_INTERVAL}


def any_changed(formsets) -> bool:
    """Whether any row changed, nested rows (a side effect's help rules) included."""
    return any(
        formset.has_changed()
        or any(any_changed(getattr(row, "nested_formsets", None) or []) for row in formset.forms)
        for formset in formsets
    )


TRANSITIONS = {
    "submit": (workflow.submit_for_review, "submitted for review"),
    "draft": (workflow.return_to_draft, "returned to draft"),
    "publish": (workflow.publish, "published"),
    # Taking a live drug down and back: posted from forms of their own, as a live drug's page
    # has no editable form to save first.
    "withdraw": (workflow.withdraw, "withdrawn: its pages now say it is no longer available"),
    "restore": (workflow.restore, "restored: its pages are live again"),
}


@admin.register(Drug)
class DrugAdmin(nested_admin.NestedModelAdmin):
    # Nested, so help rules are edited inside their side effect, in the drug's one save.
    change_form_template = "admin/drugs/drug/change_form.html"
    form = DrugForm
    prepopulated_fields = {"slug": ["name"]}
    list_display = ["name", "slug", "status", "revision_label", "next_review_due", "overdue"]
    list_filter = ["status", ReviewOverdueFilter, SourcesPastReviewFilter, RevisionFilter]
    search_fields = ["name", "slug", "treats", "summary"]
    list_select_related = ["revision_of"]
    inlines = [
        SourceInline,
        SectionInline,
        DrugSideEffectInline,
        PrecautionInline,
        DisagreementInline,
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "status", "brand_names", "pronunciation"]}),
        (
            "What it is",
            {"fields": ["treats", "summary", ("cycle_days_on", "cycle_days_off"), "contact"]},
        ),
        ("Review", {"fields": [("last_reviewed", "next_review_due")]}),
        ("For editors only", {"fields": ["editorial_notes"]}),
    ]
    actions = ["submit_selected", "publish_selected"]

    # --- permissions

    def has_change_permission(self, request, obj=None):
        # A published drug is changed only through a pending revision.
        live = obj is not None and workflow.is_locked(obj)
        return not live and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A live drug is taken down by withdrawing it, which keeps its history and can be
        # undone; deleting is for drafts that never went live.
        if obj is not None and workflow.is_locked(obj):
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request):
        return workflow.can_publish(request.user)

    def has_submit_permission(self, request):
        return workflow.can_submit(request.user)

    def get_readonly_fields(self, request, obj=None):
        # Status moves only through the workflow buttons, never through the form.
        fields = ["status"]
        if obj is not None and obj.revision_of_id:
            fields.append("slug")
        if not request.user.has_perm(workflow.SET_REVIEW_DATES):
            fields += ["last_reviewed", "next_review_due"]
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        # Only a new drug's slug follows its name; a saved page keeps its address.
        return self.prepopulated_fields if obj is None else {}

    def get_changeform_initial_data(self, request):
        return {**first_review_dates(), **super().get_changeform_initial_data(request)}

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Inlines offer only this drug's own sources and children, and the sources being
        # added in the same form.
        request._drug = obj
        if getattr(request, "_citable", None) is None or request._citable.drug != obj:
            request._citable = Citable(obj)
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        request._returned_to_draft = False
        if not change:
            obj.status = Status.DRAFT
            if not request.user.has_perm(workflow.SET_REVIEW_DATES):
                # Set by a reviewer later; until then due a year on, like any first review.
                for name, day in first_review_dates().items():
                    setattr(obj, name, day)
        elif not form.has_changed():
            # Saved only if its own fields changed, so an untouched form (a workflow button
            # pressed without edits) neither authors nor dates anything.
            return
        else:
            request._returned_to_draft = workflow.note_edit(obj, request.user)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The sources are saved now: point the rows that cited new ones by position at them.
        for formset in formsets:
            for row in formset.forms:
                if isinstance(row, CitingForm) and row.instance.pk is not None:
                    row.save_new_citations(request._citable)
        drug, user = form.instance, request.user
        if not change or form.has_changed():
            workflow.add_author(drug, user)
        elif any_changed(formsets):
            # Only its parts changed: still one history entry, under this edit and its author.
            request._returned_to_draft = workflow.record_edit(
                drug, user, "Changed its sources, sections, side effects or precautions"
            )
        if request._returned_to_draft:
            self.message_user(
                request,
                "This drug was in review: your edit sent it back to draft, so the reviewer"
                " cannot publish what they have not read. Submit it again when it is ready.",
                messages.WARNING,
            )

    def response_change(self, request, obj):
        # The workflow buttons belong to the change form (form="drug_form"), so pressing one
        # saves the form first: no edit is lost to a button that acted on the saved copy.
        name = request.POST.get("_workflow")
        if name not in TRANSITIONS:
            return super().response_change(request, obj)
        obj.refresh_from_db()
        return self._transition(request, obj, name)

    def _transition(self, request, drug, name):
        func, done = TRANSITIONS[name]
        comment = request.POST.get("_workflow_comment", "")[:1000]
        try:
            if name == "publish":
                result = func(drug, request.user, comment, seen=request.POST.get("_seen"))
            else:
                result = func(drug, request.user, comment)
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(self._change_url(drug))
        self.message_user(request, f"{drug.name}: {done}.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(result or drug))

    # --- list columns

    @admin.display(description="revision of")
    def revision_label(self, obj):
        return obj.revision_of.name if obj.revision_of else ""

    @admin.display(description="review overdue", boolean=True)
    def overdue(self, obj):
        return obj.review_overdue

    # --- actions

    @admin.action(description="Submit selected drafts for review", permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._run(request, queryset.filter(status=Status.DRAFT), "submit")

    @admin.action(description="Publish selected drugs in review", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._run(request, queryset.filter(status=Status.REVIEW), "publish")

    def _run(self, request, queryset, name):
        func, done = TRANSITIONS[name]
        for drug in queryset.select_related("revision_of"):
            try:
                func(drug, request.user)
            except workflow.WorkflowError as exc:
                self.message_user(request, f"{drug}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{drug}: {done}.", messages.SUCCESS)

    # --- extra pages

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(admin_views.drug_preview), name="drugs_drug_preview"),
            path(
                "<int:pk>/transition/<str:name>/",
                view(self.transition_view),
                name="drugs_drug_transition",
            ),
            path("<int:pk>/revise/", view(self.revise_view), name="drugs_drug_revise"),
            path(
                "<int:pk>/history/<int:history_id>/rollback/",
                view(self.rollback_view),
                name="drugs_drug_rollback",
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form carries what the editor opened (_seen). If someone saved the drug since,
        # saving this form would silently put back what they changed: refuse, keep theirs.
        seen = request.POST.get("_seen") if request.method == "POST" else None
        if seen and object_id:
            drug = Drug.objects.filter(pk=object_id).first()
            if drug is not None and seen != workflow.seen_token(drug):
                self.message_user(
                    request,
                    f"{drug.name} was changed by someone else after you opened it. Nothing was"
                    " saved, submitted or published: read the page again, then make your change.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(self._change_url(drug))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        drug = self.get_object(request, object_id)
        extra = {"workflow": self.workflow_context(request, drug)} if drug else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def workflow_context(self, request, drug) -> dict:
        user = request.user
        revision = Drug.objects.filter(revision_of=drug).first()
        reviewer = workflow.can_publish(user)
        in_review = drug.status == Status.REVIEW
        return {
            "live_published": workflow.is_live_published(drug),
            "revision": revision,
            "can_submit": drug.status == Status.DRAFT and workflow.can_submit(user),
            "can_return": in_review and workflow.can_submit(user),
            "can_publish": in_review and reviewer,
            "refusals": workflow.publish_refusals(drug, user) if in_review and reviewer else [],
            "missing": workflow.missing_parts(drug) if drug.status == Status.DRAFT else [],
            "seen": workflow.seen_token(drug),
            # The publish page's diff: what the reviewer is about to make live.
            "changes": self._changes_from_live(drug) if drug.revision_of_id and in_review else None,
            "events": drug.workflow_events.select_related("user")[:20],
            "can_withdraw": workflow.is_live_published(drug) and reviewer,
            "can_restore": drug.status == Status.WITHDRAWN and reviewer,
            "locked": workflow.is_locked(drug),
            "can_revise": workflow.is_locked(drug) and user.has_perm("drugs.change_drug"),
        }

    @staticmethod
    def _changes_from_live(revision):
        """What publishing the revision changes, part by part (the publish page's diff)."""
        loaded = Drug.objects.with_monograph().in_bulk([revision.pk, revision.revision_of_id])
        return versions.part_changes(
            monograph_data(loaded[revision.revision_of_id]), monograph_data(loaded[revision.pk])
        )

    @staticmethod
    def _change_url(drug):
        return reverse("admin:drugs_drug_change", args=[drug.pk])

    @method_decorator(require_POST)
    def transition_view(self, request, pk, name):
        drug = get_object_or_404(Drug.objects.select_related("revision_of"), pk=pk)
        if name not in TRANSITIONS:
            raise PermissionDenied
        return self._transition(request, drug, name)

    @method_decorator(require_POST)
    def revise_view(self, request, pk):
        live = get_object_or_404(Drug, pk=pk)
        try:
            revision = workflow.start_revision(live, request.user)
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(self._change_url(live))
        self.message_user(
            request,
            "You are editing a pending revision. The live page changes only when it is published.",
        )
        return HttpResponseRedirect(self._change_url(revision))

    def history_view(self, request, object_id, extra_context=None):
        """Every version with who, when and a line diff of the monograph, and rollback."""
        drug = get_object_or_404(Drug, pk=object_id)
        if not self.has_view_or_change_permission(request, drug):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": drug,
            "title": f"History of {drug.name}",
            "versions": versions.versions(drug),
            "can_rollback": request.user.has_perm("drugs.change_drug"),
        }
        return TemplateResponse(request, "admin/drugs/drug/versions.html", context)

    @method_decorator(require_POST)
    def rollback_view(self, request, pk, history_id):
        drug = get_object_or_404(Drug, pk=pk)
        try:
            target = workflow.rollback(drug, history_id, request.user)
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:drugs_drug_history", args=[drug.pk]))
        self.message_user(
            request, "The earlier version is back as a draft. Review it, then publish."
        )
        return HttpResponseRedirect(self._change_url(target))
