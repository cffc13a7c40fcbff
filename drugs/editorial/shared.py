"""Shared content (side effects, glossary, bands, signs, search terms) changes only through review.

Saving a shared object in the admin proposes a change (a SharedChange holding the new field
values); the object itself, and so every page that shows it, is untouched until a clinical
reviewer who did not write the change publishes it. Publishing saves the object normally, so
the page cache and the search index follow through their usual signals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import can_proceed

from drugs.editorial.workflow import WorkflowError, can_publish, can_submit
from drugs.models import (
    ChangeStatus,
    FrequencyBand,
    GlossaryTerm,
    LayTerm,
    SharedChange,
    SideEffect,
    Sign,
    WorkflowEvent,
)

# Everything patients read that more than one drug shares. Feedback and accounts are not content.
REVIEWED_MODELS = (SideEffect, GlossaryTerm, FrequencyBand, LayTerm, Sign)


def fields_of(obj) -> dict:
    """The object's field values as JSON-ready data (Django's serializer format)."""
    return json.loads(serializers.serialize("json", [obj]))[0]["fields"]


def build(change: SharedChange):
    """The object as the change would make it: unsaved, with the live object's pk if it has one."""
    record = {"model": change.content_type.natural_key(), "pk": change.object_id}
    record["model"] = ".".join(record["model"])
    record["fields"] = change.data
    (deserialized,) = serializers.deserialize("json", json.dumps([record]))
    obj = deserialized.object
    # It stands for the saved entry, so uniqueness checks must not count that entry twice.
    obj._state.adding = change.object_id is None
    return obj


def open_change(obj) -> SharedChange | None:
    if obj is None or obj.pk is None:
        return None
    return SharedChange.objects.open().for_object(obj).first()


def _event(change: SharedChange, user, action: str, before: str, comment: str = "") -> None:
    WorkflowEvent.objects.create(
        change=change,
        action=action,
        from_status=before,
        to_status=change.status,
        user=user,
        comment=comment.strip(),
    )


def _label(obj) -> str:
    return f"{obj._meta.verbose_name.capitalize()}: {obj}"


@transaction.atomic
def propose(obj, user) -> tuple[SharedChange, bool]:
    """Save the admin form's unsaved object as a draft change; (the change, whether an edit
    sent it back from review to draft)."""
    if not user.has_perm(f"drugs.change_{obj._meta.model_name}") and obj.pk is not None:
        raise PermissionDenied("You cannot change this.")
    content_type = ContentType.objects.get_for_model(obj)
    change = None
    if obj.pk is not None:
        change = (
            SharedChange.objects.select_for_update()
            .open()
            .filter(content_type=content_type, object_id=obj.pk)
            .first()
        )
    returned = False
    if change is None:
        live = type(obj).objects.filter(pk=obj.pk).first() if obj.pk is not None else None
        change = SharedChange(
            content_type=content_type,
            object_id=obj.pk,
            before=fields_of(live) if live else None,
        )
        action, before = ("proposed a change" if live else "proposed a new entry"), ""
    else:
        action, before = "edited the change", change.status
        if change.status == ChangeStatus.REVIEW:
            # What the reviewer reads must be what they publish.
            change.return_to_draft()
            action, returned = "returned to draft because it was edited", True
    change.data = fields_of(obj)
    change.label = _label(obj)
    change.save()
    change.authors.add(user)
    _event(change, user, action, before)
    return change, returned


def _move(change: SharedChange, step, user, action: str, comment: str = "") -> None:
    before = change.status
    if not can_proceed(step):
        raise WorkflowError(
            f"This change is {change.get_status_display().lower()}: it cannot be {action}."
        )
    step()
    change.save(update_fields=["status", "updated_at"])
    _event(change, user, action, before, comment)


def submit(change: SharedChange, user, comment: str = "") -> None:
    if not can_submit(user):
        raise PermissionDenied("You cannot submit changes for review.")
    _move(change, change.submit, user, "submitted for review", comment)


def return_to_draft(change: SharedChange, user, comment: str = "") -> None:
    if not can_submit(user):
        raise PermissionDenied("You cannot change a change's status.")
    _move(change, change.return_to_draft, user, "returned to draft", comment)


def discard(change: SharedChange, user, comment: str = "") -> None:
    if not can_submit(user):
        raise PermissionDenied("You cannot discard changes.")
    _move(change, change.discard, user, "discarded", comment)


def seen_token(change: SharedChange) -> str:
    return change.updated_at.isoformat()


def publish_refusals(change: SharedChange, user) -> list[str]:
    """Why this user may not publish this change now; empty if they may."""
    reasons = []
    if change.status != ChangeStatus.REVIEW:
        reasons.append("The change must be in review before it is published.")
    # Four eyes, superusers included.
    if change.authors.filter(pk=user.pk).exists():
        reasons.append(
            "You wrote part of this change, so a different clinical reviewer must publish it."
        )
    if change.object_id is not None:
        live = change.model.objects.filter(pk=change.object_id).first()
        if live is None:
            reasons.append("The entry it changes no longer exists.")
        elif fields_of(live) != change.before:
            reasons.append(
                "The live entry changed after this change was written (by an import or another"
                " change). Discard this change and make it again from the live entry."
            )
    return reasons


@transaction.atomic
def publish(change: SharedChange, user, comment: str = "", seen: str | None = None):
    """Write the change onto its object (creating it if new); returns the saved object."""
    if not can_publish(user):
        raise PermissionDenied("Only a clinical reviewer can publish.")
    change = SharedChange.objects.select_for_update().get(pk=change.pk)
    refusals = publish_refusals(change, user)
    if refusals:
        raise WorkflowError(" ".join(refusals))
    if seen is not None and seen != seen_token(change):
        raise WorkflowError("The change was edited after you opened it. Read it again first.")
    obj = build(change)
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise WorkflowError(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        ) from exc
    obj.save()
    change.object_id = obj.pk
    _move(change, change.publish, user, "published", comment)
    return obj


@transaction.atomic
def revert(change: SharedChange, user) -> SharedChange:
    """A new draft change that puts back what a published change replaced."""
    change = SharedChange.objects.get(pk=change.pk)
    if change.status != ChangeStatus.PUBLISHED or change.before is None:
        raise WorkflowError("Only a published change to an existing entry can be undone.")
    obj = change.model.objects.get(pk=change.object_id)
    if open_change(obj):
        raise WorkflowError("This entry already has a change waiting: finish or discard it first.")
    restored = build(
        SharedChange(content_type=change.content_type, object_id=obj.pk, data=change.before)
    )
    new, _ = propose(restored, user)
    return new


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    before: str
    after: str


def _shown(value) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def field_diffs(change: SharedChange) -> list[FieldDiff]:
    """The fields the change alters, each with its live and proposed value."""
    model = change.model
    before = change.before or {}
    out = []
    for name, after in change.data.items():
        if before.get(name) != after:
            field = model._meta.get_field(name)
            out.append(
                FieldDiff(name, str(field.verbose_name), _shown(before.get(name)), _shown(after))
            )
    return out
