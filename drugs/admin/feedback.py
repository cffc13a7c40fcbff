"""Feedback in the admin: read-only, so answers stay as visitors gave them, with counts per page."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.text import Truncator

from drugs.models import Feedback


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    change_list_template = "admin/drugs/feedback/change_list.html"
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

    def changelist_view(self, request, extra_context=None):
        # With counts per page for the rows the filters select.
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is not None:
            response.context_data["page_counts"] = feedback_counts(cl.queryset)
        return response


def feedback_counts(queryset) -> list[dict]:
    """Answers to "Was this page helpful?" per page, most answered first."""
    rows = (
        queryset.order_by()
        .values("page")
        .annotate(total=Count("pk"), helpful=Count("pk", filter=Q(helpful=True)))
        .order_by("-total", "page")
    )
    return [{**row, "not_helpful": row["total"] - row["helpful"]} for row in rows]
