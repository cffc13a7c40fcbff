"""The inlines of a drug's page, and a side effect's help rules."""

from __future__ import annotations

from django.contrib import admin

from drugs.admin.mixins import MARKDOWN_WIDGETS, LockedWhileLive, ReadabilityMixin, choices_once
from drugs.models import (
    Disagreement,
    DrugSideEffect,
    HelpRule,
    Precaution,
    Section,
    Source,
)


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
        return choices_once(super().formfield_for_manytomany(db_field, request, **kwargs))

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
        return field if db_field.name in self.autocomplete_fields else choices_once(field)


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


class HelpRuleInline(LockedWhileLive, admin.StackedInline):
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

    def drug_of(self, obj):
        return obj.drug
