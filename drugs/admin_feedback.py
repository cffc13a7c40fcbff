"""Feedback in the admin: read-only, so answers stay as visitors gave them.

Registered when drugs/admin.py imports this module.
"""

from django.contrib import admin
from django.utils.text import Truncator

from drugs.models import Feedback


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "page", "helpful", "short_comment"]
    list_filter = ["helpful", "created_at"]
    search_fields = ["page", "comment"]
    date_hierarchy = "created_at"
    readonly_fields = ["page", "helpful", "comment", "created_at"]

    @admin.display(description="comment")
    def short_comment(self, obj: Feedback) -> str:
        return Truncator(obj.comment).chars(80)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
