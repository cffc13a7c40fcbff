"""Admin for the lay search vocabulary (imported by drugs/admin.py)."""

from django.contrib import admin

from drugs.models import LayTerm


@admin.register(LayTerm)
class LayTermAdmin(admin.ModelAdmin):
    list_display = ["phrase", "meanings"]
    search_fields = ["phrase"]

    @admin.display(description="also searches for")
    def meanings(self, obj):
        return ", ".join(obj.means)
