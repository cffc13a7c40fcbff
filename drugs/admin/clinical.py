"""The clinical review list in the admin: escalations, signs that differ between drugs, rules
whose only source is unnamed; a Clinical reviewer marks each one reviewed."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from drugs.editorial import clinical_review, workflow
from drugs.models import ClinicalSignOff


@admin.register(ClinicalSignOff)
class ClinicalReviewAdmin(admin.ModelAdmin):
    """Its list page is the review list itself; marks are made only by its button."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("drugs.view_drug")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "sign-off/",
                self.admin_site.admin_view(self.sign_off_view),
                name="drugs_clinicalsignoff_sign_off",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        items = clinical_review.review_items()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Clinical review list",
            "items": items,
            "waiting": sum(1 for item in items if item.signoff is None),
            "can_sign_off": workflow.can_publish(request.user),
        }
        return TemplateResponse(request, "admin/drugs/clinicalsignoff/review_list.html", context)

    @method_decorator(require_POST)
    def sign_off_view(self, request):
        # The same rule as publishing: only a Clinical reviewer may sign off.
        if not workflow.can_publish(request.user):
            raise PermissionDenied
        items = {item.key: item for item in clinical_review.review_items()}
        item = items.get(request.POST.get("key", ""))
        back = HttpResponseRedirect(reverse("admin:drugs_clinicalsignoff_changelist"))
        if item is None:
            self.message_user(
                request,
                "That item has changed since the list was shown. Review it again.",
                messages.ERROR,
            )
            return back
        ClinicalSignOff.objects.update_or_create(
            key=item.key,
            defaults={
                "item": f"{item.kind}: {item.summary}",
                "reviewed_by": request.user,
                "comment": request.POST.get("comment", "")[:1000],
            },
        )
        self.message_user(request, f"Marked reviewed: {item.summary}")
        return back
