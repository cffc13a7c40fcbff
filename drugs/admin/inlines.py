"""The inlines of a drug's page (help rules nested in their side effect), and a side effect's
help rules on its own page."""

from __future__ import annotations

import nested_admin
from django import forms
from django.contrib import admin
from django.db.models import Prefetch
from django.utils.text import capfirst

from drugs.admin.forms import Citable, CitationField, CitationsField, CitingForm, band_choices
from drugs.admin.mixins import (
    MARKDOWN_WIDGETS,
    LockedWhileLive,
    ReadabilityMixin,
    choices_once,
)
from drugs.models import (
    Disagreement,
    Drug,
    DrugSideEffect,
    HelpRule,
    Precaution,
    Section,
    SectionKind,
    Source,
)


def citable(request) -> Citable:
    """What rows on this request's drug page may cite (set up by DrugAdmin.get_form)."""
    if getattr(request, "_citable", None) is None:
        request._citable = Citable(getattr(request, "_drug", None))
    return request._citable


def once_per_page(request, name: str, field):
    """A select's choices read once for the whole page, not once per nested formset."""
    if field is None or not hasattr(field, "queryset"):
        return field
    cache = request.__dict__.setdefault("_choices_once", {})
    if name not in cache:
        cache[name] = list(field.choices)
    field.choices = cache[name]
    return field


class DrugPageInline(nested_admin.NestedStackedInline):
    """An inline on a drug's page: one row per item, folded away on a drug that has rows.

    A long drug's page is otherwise about 100,000px tall; each group and each saved row opens
    on a click, and a row with an error, or a new one, stays open.
    """

    template = "admin/drugs/drug/stacked_inline.html"
    extra = 0
    # Blank rows on a new drug, so it can be written in one save without JavaScript.
    extra_on_add = 1

    def get_extra(self, request, obj=None, **kwargs):
        return self.extra_on_add if obj is None else self.extra

    def get_formset(self, request, obj=None, **kwargs):
        # Inline instances live for one request, so the group folds only on a drug with rows.
        self.classes = ["collapse"] if obj is not None else []
        return super().get_formset(request, obj, **kwargs)


class DrugChildInline(ReadabilityMixin, LockedWhileLive, DrugPageInline):
    """A drug's Markdown rows, citing the drug's own sources, saved or added in the same save."""

    form = CitingForm
    formfield_overrides = MARKDOWN_WIDGETS

    # Rows' names and read-only views show these: load them with the rows.
    related: tuple[str, ...] = ()
    # Selects whose choices are built here (grouped, in words) rather than listed from the queryset.
    choice_builders: dict = {}

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
            return CitationsField(
                citable(request),
                label=capfirst(db_field.verbose_name),
                required=not db_field.blank,
                widget=admin.widgets.FilteredSelectMultiple(
                    "sources", False, attrs={"data-cites-sources": ""}
                ),
                help_text="Sources added above in this same form are listed by their number.",
            )
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
        if field is not None and db_field.name in self.choice_builders:
            field.choices = self.choice_builders[db_field.name]()
            return field
        return field if db_field.name in self.autocomplete_fields else choices_once(field)


class SourceInline(LockedWhileLive, DrugPageInline):
    # Stacked, a few fields a line: as a table it scrolled sideways at 1280px.
    model = Source

    class Media:
        js = ["admin/drugs/citations.js"]

    fields = [
        ("order", "key"),
        ("publisher", "publisher_named"),
        "title",
        ("date", "date_kind", "next_review"),
        "about",
        ("url", "file"),
    ]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        rows = citable(request)

        class CitableSources(formset):
            # The rows below may cite the sources in this formset by their position.
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                rows.formset = self

        return CitableSources


# What every drug must say: a new drug's blank sections come ready with these kinds.
REQUIRED_SECTIONS = [
    SectionKind.ABOUT,
    SectionKind.HOW_TO_TAKE,
    SectionKind.MISSED_DOSES,
    SectionKind.GETTING_HELP,
]


class SectionInline(DrugChildInline):
    model = Section
    extra_on_add = len(REQUIRED_SECTIONS)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            return formset

        class RequiredKinds(formset):
            # Only an initial value: a blank section left as it is is not saved.
            def __init__(self, *args, **kwargs):
                kwargs.setdefault("initial", [{"kind": kind} for kind in REQUIRED_SECTIONS])
                super().__init__(*args, **kwargs)

        return RequiredKinds

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

    def get_queryset(self, request):
        rules = HelpRule.objects.select_related("sign", "timing", "source", "escalation_source")
        return super().get_queryset(request).prefetch_related(Prefetch("help_rules", rules))


HELP_RULE_FIELDS = [
    ("order", "sign"),
    "text",
    ("threshold", "condition"),
    ("urgency", "timing", "source"),
    ("escalation_reason", "escalation_source"),
]


class PrefetchedRules(nested_admin.NestedInlineFormSet):
    """A side effect's rules from the side effects' prefetch: no query per side effect."""

    def get_queryset(self):
        cache = getattr(self.instance, "_prefetched_objects_cache", {})
        if self.instance.pk and "help_rules" in cache:
            return cache["help_rules"]
        return super().get_queryset()


class NestedHelpRuleInline(LockedWhileLive, nested_admin.NestedStackedInline):
    """Help rules inside their side effect on the drug's page, saved in the same save."""

    model = HelpRule
    fk_name = "side_effect"
    form = CitingForm
    formset = PrefetchedRules
    fields = HELP_RULE_FIELDS
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        # A new side effect on a new drug comes with a blank rule to fill in.
        return 1 if getattr(request, "_drug", None) is None else 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("source", "escalation_source"):
            return CitationField(
                citable(request),
                must_cite=not db_field.blank,
                widget=forms.Select(attrs={"data-cites-sources": ""}),
                label=capfirst(db_field.verbose_name),
                help_text=db_field.help_text,
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return once_per_page(request, f"help_rule.{db_field.name}", field)

    def drug_of(self, obj):
        # nested_admin asks with the drug itself, or with the side effect the rules belong to.
        if isinstance(obj, Drug):
            return obj
        return obj.drug if obj.drug_id else None


class NestedPrecautionHelpRuleInline(NestedHelpRuleInline):
    """Help rules inside their precaution ("you think you might be pregnant")."""

    fk_name = "precaution"

    def get_extra(self, request, obj=None, **kwargs):
        # Most precautions have no rule of their own: none offered until asked for.
        return 0


# Set here: the precaution inline is defined above the help-rule inlines it nests.
PrecautionInline.inlines = [NestedPrecautionHelpRuleInline]


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
    # A plain select, not the admin's autocomplete: a new side effect is chosen without
    # JavaScript too, and its choices are read once for the page.
    related = ("effect", "band")
    # In words, grouped by scale, not as internal codes ("cruk:common").
    choice_builders = {"band": band_choices}
    inlines = [NestedHelpRuleInline]

    def get_queryset(self, request):
        # Every row's help rules in one query, not one per side effect.
        rules = HelpRule.objects.select_related("sign", "timing", "source", "escalation_source")
        return super().get_queryset(request).prefetch_related(Prefetch("help_rules", rules))


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
    """Help rules on a side effect's own page."""

    model = HelpRule
    fk_name = "side_effect"
    extra = 0
    fields = HELP_RULE_FIELDS

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            # A rule cites one of its own drug's sources.
            for name in ("source", "escalation_source"):
                formset.form.base_fields[name].queryset = Source.objects.filter(drug=obj.drug)
        return formset

    def drug_of(self, obj):
        return obj.drug
