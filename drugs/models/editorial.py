"""Review of shared content, and the record of every workflow step (drugs.editorial)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, transition

from drugs.models.content import Drug, Status


class SharedChangeQuerySet(models.QuerySet):
    def open(self):
        """Changes not yet published or discarded: at most one per shared object."""
        return self.filter(status__in=[Status.DRAFT, Status.REVIEW])

    def for_object(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class ChangeStatus(models.TextChoices):
    DRAFT = Status.DRAFT.value, Status.DRAFT.label
    REVIEW = Status.REVIEW.value, Status.REVIEW.label
    PUBLISHED = Status.PUBLISHED.value, Status.PUBLISHED.label
    DISCARDED = "discarded", "Discarded"


class SharedChange(models.Model):
    """A proposed change to one shared object (a side effect, glossary term, band, sign or
    search term) that patients see only once a second person, a clinical reviewer, publishes it.

    The object itself is untouched until then: `data` holds the proposed field values, `before`
    the live values when the change was last edited (the diff, and the way back after publishing).
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    # Empty for a new object: it is created when the change is published.
    object_id = models.PositiveIntegerField(null=True, blank=True)
    label = models.CharField(max_length=200, help_text="What it changes, as editors know it.")
    data = models.JSONField(help_text="The proposed field values (Django's serializer format).")
    before = models.JSONField(null=True, blank=True)
    status = FSMField(max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SharedChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "shared content change"
        constraints = [
            # One open change per object, so two editors never race to publish different edits.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status__in=["draft", "review"]),
                name="shared_change_one_open_per_object",
            ),
        ]
        indexes = [
            # SharedChange.objects.open(): the dashboard's "waiting for your review" list.
            models.Index(fields=["status", "-updated_at"], name="shared_change_status_idx"),
        ]

    def __str__(self):
        return f"{self.label} ({self.get_status_display().lower()})"

    @property
    def model(self):
        return self.content_type.model_class()

    @transition(field=status, source=ChangeStatus.DRAFT, target=ChangeStatus.REVIEW)
    def submit(self):
        """Draft -> in review."""

    @transition(field=status, source=ChangeStatus.REVIEW, target=ChangeStatus.DRAFT)
    def return_to_draft(self):
        """In review -> draft (asked for, or because it was edited)."""

    @transition(field=status, source=ChangeStatus.REVIEW, target=ChangeStatus.PUBLISHED)
    def publish(self):
        """In review -> published; drugs.editorial.shared writes the data onto the object."""

    @transition(
        field=status,
        source=[ChangeStatus.DRAFT, ChangeStatus.REVIEW],
        target=ChangeStatus.DISCARDED,
    )
    def discard(self):
        """Dropped without reaching patients."""


class WorkflowEvent(models.Model):
    """One step of the editorial workflow: who moved what from which state to which, and why."""

    # A drug's events are filed under the live drug, so they outlive its pending revisions.
    drug = models.ForeignKey(
        Drug, on_delete=models.CASCADE, null=True, blank=True, related_name="workflow_events"
    )
    change = models.ForeignKey(
        SharedChange, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(drug__isnull=False, change__isnull=True)
                | Q(drug__isnull=True, change__isnull=False),
                name="workflow_event_of_one_thing",
            ),
        ]

    def __str__(self):
        return f"{self.action} by {self.user} at {self.at:%-d %b %Y %H:%M}"
