"""The shared vocabularies: frequency bands, the glossary, lay search terms."""

from __future__ import annotations

from django.contrib import admin

from drugs.models import (
    FrequencyBand,
    GlossaryTerm,
    LayTerm,
)


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


@admin.register(LayTerm)
class LayTermAdmin(admin.ModelAdmin):
    list_display = ["phrase", "meanings"]
    search_fields = ["phrase"]

    @admin.display(description="also searches for")
    def meanings(self, obj):
        return ", ".join(obj.means)
