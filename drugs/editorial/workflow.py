"""Draft -> in review -> published, pending revisions of published drugs, and rollback.

A published drug is never edited in place. Editing it starts a pending revision: a copy
(a Drug with `revision_of` set) that editors change and reviewers publish. Publishing writes
the revision onto the live drug through the importer, as if its exported file were imported,
so only content that the monograph format can hold ever goes live.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from drugs.models import Drug, Status
from drugs.monographs.data import ContentSet, MonographData
from drugs.monographs.export import monograph_data
from drugs.monographs.importer import ImportFailed, import_content
from drugs.monographs.parse import parse_monograph
from drugs.monographs.snapshots import has_snapshot, snapshot_text
from drugs.monographs.write import monograph_text

REVISION_SUFFIX = "--draft"

SUBMIT = "drugs.submit_for_review"
PUBLISH = "drugs.publish_drug"
SET_REVIEW_DATES = "drugs.set_review_dates"


class WorkflowError(Exception):
    """A transition that the drug's state or content does not allow; the message says why."""


def can_submit(user) -> bool:
    return user.has_perm(SUBMIT) or user.has_perm(PUBLISH)


def can_publish(user) -> bool:
    return user.has_perm(PUBLISH)


def is_live_published(drug: Drug) -> bool:
    """A published drug patients see: never edited in place."""
    return drug.revision_of_id is None and drug.status == Status.PUBLISHED


def revision_slug(slug: str) -> str:
    # Monograph slugs never hold "--", so a revision's slug cannot clash with a real one.
    return f"{slug}{REVISION_SUFFIX}"[:80]


def _save(drug: Drug, user, reason: str, fields: list[str]) -> None:
    drug._history_user = user
    drug._change_reason = reason
    drug.save(update_fields=[*fields, "updated_at"])


def submit_for_review(drug: Drug, user) -> None:
    if not can_submit(user):
        raise PermissionDenied("You cannot submit drugs for review.")
    if drug.status != Status.DRAFT:
        raise WorkflowError(f"{drug} is {drug.get_status_display().lower()}, not a draft.")
    drug.status = Status.REVIEW
    _save(drug, user, "Submitted for review", ["status"])


def return_to_draft(drug: Drug, user) -> None:
    if not can_submit(user):
        raise PermissionDenied("You cannot change a drug's status.")
    if drug.status != Status.REVIEW:
        raise WorkflowError(f"{drug} is not in review.")
    drug.status = Status.DRAFT
    _save(drug, user, "Returned to draft", ["status"])


def checked_data(drug: Drug, slug: str) -> MonographData:
    """The drug's content as its monograph file would be read back, or WorkflowError."""
    data = monograph_data(Drug.objects.with_monograph().get(pk=drug.pk))
    data.slug = slug
    data.path = f"{slug}.md"
    parsed, problems = parse_monograph(data.path, monograph_text(data))
    if problems:
        raise WorkflowError(
            "The monograph is not complete: "
            + "; ".join(f"{p.field}: {p.message}" for p in problems)
        )
    return parsed


def _write(data: MonographData) -> Drug:
    try:
        import_content(ContentSet(monographs=[data]))
    except ImportFailed as exc:
        raise WorkflowError("; ".join(p.message for p in exc.problems)) from exc
    return Drug.objects.get(slug=data.slug)


@transaction.atomic
def publish(drug: Drug, user) -> Drug:
    """Publish a drug in review; a pending revision is written onto its live drug. Returns the live drug."""
    if not can_publish(user):
        raise PermissionDenied("Only a clinical reviewer can publish.")
    if drug.status != Status.REVIEW:
        raise WorkflowError(f"{drug} must be in review before it is published.")
    if drug.revision_of_id is None:
        checked_data(drug, drug.slug)
        drug.status = Status.PUBLISHED
        _save(drug, user, "Published", ["status"])
        return drug

    live = drug.revision_of
    data = checked_data(drug, live.slug)
    data.status = Status.PUBLISHED
    before = live.history.values_list("history_id", flat=True).first()
    drug.delete()
    live = _write(data)
    latest = live.history.first()
    if latest is None or latest.history_id == before:
        # Nothing on the drug row itself changed: record the publication anyway.
        _save(live, user, "Published a revision", [])
    else:
        latest.history_user = user
        latest.history_change_reason = "Published a revision"
        latest.save(update_fields=["history_user", "history_change_reason"])
    return live


@transaction.atomic
def start_revision(live: Drug, user) -> Drug:
    """The pending revision of a published drug, made from its live content if there is none."""
    if not user.has_perm("drugs.change_drug"):
        raise PermissionDenied("You cannot edit drugs.")
    existing = Drug.objects.filter(revision_of=live).first()
    if existing:
        return existing
    if not is_live_published(live):
        raise WorkflowError(f"{live} is not published: edit it directly.")
    data = checked_data(live, live.slug)
    data.slug = revision_slug(live.slug)
    data.status = Status.DRAFT
    revision = _write(data)
    revision.revision_of = live
    _save(revision, user, f"Started a revision of {live.slug}", ["revision_of"])
    return revision


@transaction.atomic
def rollback(drug: Drug, history_id: int, user) -> Drug:
    """Bring back an earlier version as a draft; returns the drug that now holds it.

    A published drug gets the old version as its pending revision, so patients see it only
    once a reviewer publishes it.
    """
    if not user.has_perm("drugs.change_drug"):
        raise PermissionDenied("You cannot edit drugs.")
    record = drug.history.filter(history_id=history_id).first()
    if record is None or not has_snapshot(record):
        raise WorkflowError("That version has no saved content to go back to.")
    target = start_revision(drug, user) if is_live_published(drug) else drug
    data, problems = parse_monograph(f"{target.slug}.md", snapshot_text(record))
    if problems:
        raise WorkflowError("; ".join(str(p) for p in problems))
    data.slug = target.slug
    data.status = Status.DRAFT
    if not user.has_perm(SET_REVIEW_DATES):
        data.last_reviewed, data.next_review_due = target.last_reviewed, target.next_review_due
    revision_of = target.revision_of_id
    target = _write(data)
    when = timezone.localtime(record.history_date).strftime("%d %b %Y %H:%M")
    target.revision_of_id = revision_of
    _save(target, user, f"Rolled back to the version of {when}", ["revision_of"])
    return target
