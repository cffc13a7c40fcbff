"""The editors' admin: one page per drug, Markdown with live preview, review and publish, history."""

from __future__ import annotations

import importlib
import importlib.util

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from drugs import admin_views
from drugs.editorial import readability, versions, workflow
from drugs.models import (
    Disagreement,
    Drug,
    DrugSideEffect,
    Feedback,
    FrequencyBand,
    GlossaryTerm,
    HelpRule,
    Precaution,
    Section,
    SideEffect,
    Source,
    Status,
)

MARKDOWN_WIDGETS = {MarkdownxField: {"widget": AdminMarkdownxWidget}}


# --- Readability beside each Markdown field ------------------------------------------------


def explained_words() -> set[str]:
    return readability.glossary_words(GlossaryTerm.objects.values_list("term", "aliases"))


def readability_summary(text: str, explained: set[str]):
    """The content report's figures for one Markdown field, as a short line of HTML."""
    if not text or not text.strip():
        return "-"
    report = readability.report_for_text(readability.markdown_to_text(text), explained)
    long_count = len(report.long_sentences)
    parts = [
        format_html("Grade {} (reading ease {})", report.grade, report.reading_ease),
        format_html(
            "{} long sentence{} (over {} words)",
            long_count,
            "" if long_count == 1 else "s",
            readability.MAX_SENTENCE_WORDS,
        ),
        format_html(
            "medical words with no glossary entry: {}",
            ", ".join(report.unexplained_terms) or "none",
        ),
    ]
    return format_html_join(" · ", "{}", ((p,) for p in parts))


class ReadabilityMixin:
    """A read-only "readability" field computed from the row's saved Markdown."""

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "readability")

    def _explained(self) -> set[str]:
        if not isinstance(self, InlineModelAdmin):
            return explained_words()
        # An inline lives for one request, so the glossary is read once per page.
        if not hasattr(self, "_explained_cache"):
            self._explained_cache = explained_words()
        return self._explained_cache

    @admin.display(description="Readability")
    def readability(self, obj):
        if obj is None or obj.pk is None:
            return "Shown once saved."
        return readability_summary(obj.text, self._explained())


# --- Keeping published content out of reach ------------------------------------------------


def _parent_locked(obj) -> bool:
    return obj is not None and workflow.is_live_published(obj)


class LockedWhileLive:
    """An inline that cannot change anything while its drug is published."""

    def has_add_permission(self, request, obj=None):
        return not _parent_locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _parent_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _parent_locked(obj) and super().has_delete_permission(request, obj)


class DrugChildInline(ReadabilityMixin, LockedWhileLive, admin.StackedInline):
    """A drug's Markdown rows, with sources limited to the drug's own."""

    formfield_overrides = MARKDOWN_WIDGETS
    extra = 0

    # Rows' names and read-only views show these: load them with the rows.
    related: tuple[str, ...] = ()

    def get_queryset(self, request):
        # Each form's chosen sources come from this prefetch, not a query per form.
        return (
            super()
            .get_queryset(request)
            .select_related("drug", *self.related)
            .prefetch_related("sources")
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "sources":
            kwargs["queryset"] = Source.objects.filter(drug=getattr(request, "_drug", None))
            kwargs["widget"] = admin.widgets.FilteredSelectMultiple("sources", False)
        return _choices_once(super().formfield_for_manytomany(db_field, request, **kwargs))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        owners = {"side_effect": DrugSideEffect, "precaution": Precaution, "section": Section}
        if db_field.name in owners:
            model = owners[db_field.name]
            # Their names show the drug (and the effect), so load those with them.
            related = ["drug", "effect"] if model is DrugSideEffect else ["drug"]
            kwargs["queryset"] = model.objects.filter(
                drug=getattr(request, "_drug", None)
            ).select_related(*related)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return field if db_field.name in self.autocomplete_fields else _choices_once(field)


def _choices_once(field):
    """Read a select's choices once per formset instead of once for every form in it."""
    if field is not None and hasattr(field, "queryset"):
        field.choices = list(field.choices)
    return field


class SourceInline(LockedWhileLive, admin.TabularInline):
    model = Source
    extra = 0
    fields = [
        "order",
        "key",
        "publisher",
        "publisher_named",
        "title",
        "date",
        "date_kind",
        "next_review",
        "about",
        "url",
        "file",
    ]


class SectionInline(DrugChildInline):
    model = Section
    fields = ["order", "kind", "title", "text", "readability", "sources"]


class PrecautionInline(DrugChildInline):
    model = Precaution
    fields = [
        "order",
        ("kind", "applies_to", "warning"),
        "title",
        "text",
        "readability",
        "sources",
    ]


class DrugSideEffectInline(DrugChildInline):
    model = DrugSideEffect
    fields = [
        "order",
        ("effect", "band"),
        ("figure_percent", "figure_text"),
        "text",
        "readability",
        "sources",
    ]
    autocomplete_fields = ["effect"]
    related = ("effect", "band")
    # "When to get help" rules are edited on the side effect's own page.
    show_change_link = True


class DisagreementInline(DrugChildInline):
    model = Disagreement
    fk_name = "drug"
    related = ("side_effect__drug", "side_effect__effect", "precaution__drug", "section__drug")
    fields = [
        "order",
        "topic",
        "text",
        "readability",
        "sources",
        ("side_effect", "precaution", "section"),
    ]


# --- Filters -------------------------------------------------------------------------------


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


# --- Drugs ---------------------------------------------------------------------------------

TRANSITIONS = {
    "submit": (workflow.submit_for_review, "submitted for review"),
    "draft": (workflow.return_to_draft, "returned to draft"),
    "publish": (workflow.publish, "published"),
}


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    change_form_template = "admin/drugs/drug/change_form.html"
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
        return not _parent_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and workflow.is_live_published(obj):
            return workflow.can_publish(request.user) and super().has_delete_permission(
                request, obj
            )
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Inlines offer only this drug's own sources and children.
        request._drug = obj
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.status = Status.DRAFT
            if not request.user.has_perm(workflow.SET_REVIEW_DATES):
                # Not clinically reviewed yet: due for review at once.
                obj.last_reviewed = obj.next_review_due = timezone.localdate()
        super().save_model(request, obj, form, change)

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        drug = self.get_object(request, object_id)
        extra = {"workflow": self.workflow_context(request, drug)} if drug else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def workflow_context(self, request, drug) -> dict:
        user = request.user
        revision = Drug.objects.filter(revision_of=drug).first()
        return {
            "live_published": workflow.is_live_published(drug),
            "revision": revision,
            "can_submit": drug.status == Status.DRAFT and workflow.can_submit(user),
            "can_return": drug.status == Status.REVIEW and workflow.can_submit(user),
            "can_publish": drug.status == Status.REVIEW and workflow.can_publish(user),
            "can_revise": workflow.is_live_published(drug) and user.has_perm("drugs.change_drug"),
        }

    @staticmethod
    def _change_url(drug):
        return reverse("admin:drugs_drug_change", args=[drug.pk])

    @method_decorator(require_POST)
    def transition_view(self, request, pk, name):
        drug = get_object_or_404(Drug.objects.select_related("revision_of"), pk=pk)
        if name not in TRANSITIONS:
            raise PermissionDenied
        func, done = TRANSITIONS[name]
        try:
            result = func(drug, request.user)
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(self._change_url(drug))
        self.message_user(request, f"{drug.name}: {done}.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(result or drug))

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


# --- Shared vocabularies and a side effect's own page --------------------------------------


class HelpRuleInline(admin.StackedInline):
    model = HelpRule
    fk_name = "side_effect"
    extra = 0
    fields = [
        ("order", "sign"),
        "text",
        ("threshold", "condition"),
        ("urgency", "timing", "source"),
        ("escalation_reason", "escalation_source"),
    ]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            # A rule cites one of its own drug's sources.
            for name in ("source", "escalation_source"):
                formset.form.base_fields[name].queryset = Source.objects.filter(drug=obj.drug)
        return formset

    def _locked(self, obj):
        return obj is not None and workflow.is_live_published(obj.drug)

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(DrugSideEffect)
class DrugSideEffectAdmin(ReadabilityMixin, admin.ModelAdmin):
    """A side effect as one drug describes it, with its "when to get help" rules."""

    formfield_overrides = MARKDOWN_WIDGETS
    list_display = ["effect", "drug", "band"]
    list_filter = ["drug"]
    list_select_related = ["effect", "drug", "band"]
    search_fields = ["effect__name", "drug__name", "text"]
    fields = ["drug", "effect", "band", ("figure_percent", "figure_text"), "text", "readability"]
    inlines = [HelpRuleInline]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "drug", "effect")

    def has_add_permission(self, request):
        # Added from the drug's page, where its sources are chosen too.
        return False

    def has_change_permission(self, request, obj=None):
        locked = obj is not None and workflow.is_live_published(obj.drug)
        return not locked and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )


@admin.register(SideEffect)
class SideEffectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "lay_names", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(FrequencyBand)
class FrequencyBandAdmin(admin.ModelAdmin):
    list_display = ["reference", "label", "phrase", "rank", "standard"]
    list_filter = ["scale"]
    list_select_related = ["standard"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "definition"]
    search_fields = ["term", "aliases", "definition"]
    prepopulated_fields = {"slug": ["term"]}


# The clinical review list (its own module: it has nothing to do with one drug's page).
from drugs import admin_clinical  # noqa: E402, F401

# Admin modules other engineers own: load them when they exist.
for _module in ("drugs.admin_feedback", "drugs.admin_search"):
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)


def feedback_counts(queryset) -> list[dict]:
    """Answers to "Was this page helpful?" per page, most answered first."""
    rows = (
        queryset.order_by()
        .values("page")
        .annotate(total=Count("pk"), helpful=Count("pk", filter=Q(helpful=True)))
        .order_by("-total", "page")
    )
    return [{**row, "not_helpful": row["total"] - row["helpful"]} for row in rows]


if admin.site.is_registered(Feedback):
    _FeedbackAdmin = type(admin.site.get_model_admin(Feedback))

    class FeedbackWithCountsAdmin(_FeedbackAdmin):
        """The feedback list, with counts per page for the rows the filters select."""

        change_list_template = "admin/drugs/feedback/change_list.html"

        def changelist_view(self, request, extra_context=None):
            response = super().changelist_view(request, extra_context)
            cl = getattr(response, "context_data", {}).get("cl")
            if cl is not None:
                response.context_data["page_counts"] = feedback_counts(cl.queryset)
            return response

    admin.site.unregister(Feedback)
    admin.site.register(Feedback, FeedbackWithCountsAdmin)
