"""Side effects in the admin: the shared idea, and one drug's entry with its help rules."""

from __future__ import annotations

from django.contrib import admin, messages

from drugs.admin.inlines import HelpRuleInline
from drugs.admin.mixins import MARKDOWN_WIDGETS, LockedWhileLive, ReadabilityMixin
from drugs.admin.shared import ReviewedSharedAdmin
from drugs.editorial import workflow
from drugs.models import (
    DrugSideEffect,
    SideEffect,
)


@admin.register(DrugSideEffect)
class DrugSideEffectAdmin(ReadabilityMixin, LockedWhileLive, admin.ModelAdmin):
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

    def drug_of(self, obj):
        return obj.drug

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not (form.has_changed() or any(f.has_changed() for f in formsets)):
            return
        drug = form.instance.drug
        # Filed in the drug's own history, under this edit and its author.
        if workflow.record_edit(drug, request.user, f"Changed {form.instance.title}"):
            self.message_user(
                request,
                f"{drug.name} was in review: your edit sent it back to draft.",
                messages.WARNING,
            )


@admin.register(SideEffect)
class SideEffectAdmin(ReviewedSharedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "lay_names", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}
