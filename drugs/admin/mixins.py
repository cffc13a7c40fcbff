"""What every admin page shares: Markdown editors, readability beside each field, the live lock."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from markdownx.models import MarkdownxField

from drugs.editorial import readability, workflow
from drugs.models import (
    GlossaryTerm,
)


class MarkdownEditor(AdminTextareaWidget):
    """A plain textarea with a Preview button: a preview is rendered when asked for, not on load.

    markdownx's own widget asks the server for a preview of every field as the page loads
    (about 95 requests on a long drug). Editing needs no JavaScript; only the button does.
    """

    class Media:
        js = ["admin/drugs/markdown_preview.js"]

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '<div class="markdown-editor">{}'
            '<button type="button" class="button markdown-preview-button" data-preview-url="{}"'
            " hidden>Preview</button>"
            '<div class="markdown-preview" aria-live="polite" hidden></div></div>',
            super().render(name, value, attrs, renderer),
            reverse("markdownx_markdownify"),
        )


# A plain CharField: markdownx's own form field swaps in its preview-on-load widget.
MARKDOWN_WIDGETS = {MarkdownxField: {"form_class": forms.CharField, "widget": MarkdownEditor}}


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


def choices_once(field):
    """Read a select's choices once per formset instead of once for every form in it."""
    if field is not None and hasattr(field, "queryset"):
        field.choices = list(field.choices)
    return field


class LockedWhileLive:
    """Nothing changes while its drug is published: a published drug changes only through a
    pending revision. drug_of() says whose drug an object is."""

    def drug_of(self, obj):
        return obj

    def locked(self, obj) -> bool:
        drug = self.drug_of(obj) if obj is not None else None
        return drug is not None and workflow.is_locked(drug)

    def has_add_permission(self, request, *obj):
        # An inline is asked with its parent; a model admin without.
        return not (obj and self.locked(obj[0])) and super().has_add_permission(request, *obj)

    def has_change_permission(self, request, obj=None):
        return not self.locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.locked(obj) and super().has_delete_permission(request, obj)
