"""The shared vocabularies, and the review every change to them goes through before patients see it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from drugs.admin.forms import LIST_FIELDS
from drugs.editorial import shared, workflow
from drugs.models import (
    ChangeStatus,
    FrequencyBand,
    GlossaryTerm,
    LayTerm,
    SharedChange,
    Sign,
)


def change_url(change: SharedChange) -> str:
    return reverse("admin:drugs_sharedchange_change", args=[change.pk])


class ReviewedSharedAdmin(admin.ModelAdmin):
    """Saving proposes a change for review instead of changing what patients see."""

    change_form_template = "admin/drugs/shared_change_form.html"
    # Aliases, synonyms, lay names: typed one a line, never as JSON.
    formfield_overrides = {models.JSONField: LIST_FIELDS}

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        request._open_change = change = shared.open_change(obj)
        # Editing carries on from the waiting change, never from the live entry beneath it.
        return shared.build(change) if change else obj

    def has_delete_permission(self, request, obj=None):
        # Deleting would take shared text off every drug's page without review.
        return False

    def render_change_form(self, request, context, *args, **kwargs):
        # The change get_object() found: the form's notice says what it shows.
        context["open_change"] = getattr(request, "_open_change", None)
        return super().render_change_form(request, context, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        request._proposed = shared.propose(obj, request.user)

    def save_related(self, request, form, formsets, change):
        # Nothing is written until the change is published.
        pass

    def log_addition(self, request, obj, message):
        # The change's own events record it; the entry does not exist yet.
        pass

    def log_change(self, request, obj, message):
        pass

    def _proposed_response(self, request):
        proposed, returned = request._proposed
        if returned:
            self.message_user(
                request,
                "The change was in review: your edit sent it back to draft. Submit it again when it is ready.",
                messages.WARNING,
            )
        self.message_user(
            request,
            format_html(
                "Saved as a draft change. Patients see nothing of it until a clinical reviewer"
                ' publishes it. <a href="{}">Review and submit the change</a>.',
                change_url(proposed),
            ),
            messages.SUCCESS,
        )
        if "_continue" in request.POST:
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(change_url(proposed))

    def response_add(self, request, obj, post_url_continue=None):
        return self._proposed_response(request)

    def response_change(self, request, obj):
        return self._proposed_response(request)


@admin.register(FrequencyBand)
class FrequencyBandAdmin(ReviewedSharedAdmin):
    list_display = ["reference", "label", "phrase", "rank", "standard"]
    list_filter = ["scale"]
    list_select_related = ["standard"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(ReviewedSharedAdmin):
    list_display = ["term", "definition"]
    search_fields = ["term", "aliases", "definition"]
    prepopulated_fields = {"slug": ["term"]}


@admin.register(LayTerm)
class LayTermAdmin(ReviewedSharedAdmin):
    list_display = ["phrase", "meanings"]
    search_fields = ["phrase"]

    @admin.display(description="also searches for")
    def meanings(self, obj):
        return ", ".join(obj.means)


@admin.register(Sign)
class SignAdmin(ReviewedSharedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}


SHARED_TRANSITIONS = {
    "submit": (shared.submit, "submitted for review"),
    "draft": (shared.return_to_draft, "returned to draft"),
    "discard": (shared.discard, "discarded"),
    "publish": (shared.publish, "published"),
}


@admin.register(SharedChange)
class SharedChangeAdmin(admin.ModelAdmin):
    """Changes to shared content: read, compare with the live entry, submit, publish or undo."""

    list_display = ["label", "status", "author_names", "updated_at"]
    list_filter = ["status", "content_type"]
    search_fields = ["label"]
    list_select_related = ["content_type"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("authors")

    def has_add_permission(self, request):
        # A change is made by editing the entry itself.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="by")
    def author_names(self, obj):
        return ", ".join(sorted(user.get_username() for user in obj.authors.all()))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                view(self.transition_view),
                name="drugs_sharedchange_transition",
            ),
            path("<int:pk>/revert/", view(self.revert_view), name="drugs_sharedchange_revert"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = get_object_or_404(
            SharedChange.objects.select_related("content_type").prefetch_related("authors"),
            pk=object_id,
        )
        if not self.has_view_permission(request, change):
            raise PermissionDenied
        user = request.user
        model = change.model
        entry_url = (
            reverse(f"admin:drugs_{model._meta.model_name}_change", args=[change.object_id])
            if change.object_id
            else None
        )
        is_open = change.status in (ChangeStatus.DRAFT, ChangeStatus.REVIEW)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": change.label,
            "change": change,
            "entry_url": entry_url,
            "diffs": shared.field_diffs(change),
            "events": change.events.select_related("user"),
            "seen": shared.seen_token(change),
            "can_submit": change.status == ChangeStatus.DRAFT and workflow.can_submit(user),
            "can_return": change.status == ChangeStatus.REVIEW and workflow.can_submit(user),
            "can_discard": is_open and workflow.can_submit(user),
            "can_publish": workflow.can_publish(user) and change.status == ChangeStatus.REVIEW,
            "refusals": shared.publish_refusals(change, user) if workflow.can_publish(user) else [],
            "can_revert": change.status == ChangeStatus.PUBLISHED
            and change.before is not None
            and workflow.can_submit(user),
        }
        return TemplateResponse(request, "admin/drugs/sharedchange/review.html", context)

    @method_decorator(require_POST)
    def transition_view(self, request, pk, name):
        change = get_object_or_404(SharedChange, pk=pk)
        if name not in SHARED_TRANSITIONS:
            raise PermissionDenied
        func, done = SHARED_TRANSITIONS[name]
        comment = request.POST.get("comment", "")[:1000]
        try:
            if name == "publish":
                func(change, request.user, comment, seen=request.POST.get("seen"))
            else:
                func(change, request.user, comment)
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, f"{change.label}: {done}.", messages.SUCCESS)
        return HttpResponseRedirect(change_url(change))

    @method_decorator(require_POST)
    def revert_view(self, request, pk):
        change = get_object_or_404(SharedChange, pk=pk)
        try:
            new = shared.revert(change, request.user)
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(change_url(change))
        self.message_user(
            request,
            "The earlier text is back as a draft change. Submit it for review to publish it.",
        )
        return HttpResponseRedirect(change_url(new))
