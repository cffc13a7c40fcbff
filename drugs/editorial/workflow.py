"""Draft -> in review -> published, pending revisions of published drugs, and rollback.

A published drug is never edited in place. Editing it starts a pending revision: a copy
(a Drug with `revision_of` set) that editors change and reviewers publish. Publishing writes
the revision onto the live drug through the importer, as if its exported file were imported,
so only content that the monograph format can hold ever goes live.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import can_proceed

from drugs.models import Drug, HelpRule, SectionKind, Status, WorkflowEvent
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


def is_locked(drug: Drug) -> bool:
    """Published or withdrawn: changed only through a pending revision, never in place."""
    return drug.revision_of_id is None and drug.status in (Status.PUBLISHED, Status.WITHDRAWN)


def revision_slug(slug: str) -> str:
    # Monograph slugs never hold "--", so a revision's slug cannot clash with a real one.
    return f"{slug}{REVISION_SUFFIX}"[:80]


def _save(drug: Drug, user, reason: str, fields: list[str]) -> None:
    drug._history_user = user
    drug._change_reason = reason
    drug.save(update_fields=[*fields, "updated_at"])


def _event(drug: Drug, user, action: str, before: str, comment: str = "") -> None:
    # Filed under the live drug, so a revision's steps outlive the revision itself.
    WorkflowEvent.objects.create(
        drug_id=drug.revision_of_id or drug.pk,
        action=action,
        from_status=before,
        to_status=drug.status,
        user=user,
        comment=comment.strip(),
    )


def _move(drug: Drug, step, user, action: str, comment: str) -> None:
    """Run one django-fsm transition of the drug, save it and record who did it."""
    before = drug.status
    if not can_proceed(step):
        raise WorkflowError(
            f"{drug} is {drug.get_status_display().lower()}: it cannot be {action}."
        )
    step()
    _save(
        drug,
        user,
        action.capitalize() + (f": {comment.strip()}" if comment.strip() else ""),
        ["status"],
    )
    _event(drug, user, action, before, comment)


# --- editing -------------------------------------------------------------------------------


def note_edit(drug: Drug, user) -> bool:
    """Before an edit to a draft or revision is saved: an edit to one in review sends it back
    to draft, so the reviewer never publishes what they have not seen. True if it did."""
    if drug.status != Status.REVIEW:
        return False
    before = drug.status
    drug.return_to_draft()
    _event(drug, user, "returned to draft because it was edited", before)
    return True


def add_author(drug: Drug, user) -> None:
    """After an edit is saved: its author may no longer publish this draft or revision."""
    drug.authors.add(user)


def record_edit(drug: Drug, user, reason: str) -> bool:
    """An edit to one of the drug's parts, saved elsewhere (a side effect's own page): file it
    in the drug's history under its author, and apply note_edit(). True if sent back to draft."""
    returned = note_edit(drug, user)
    _save(drug, user, reason, ["status"])
    add_author(drug, user)
    return returned


def seen_token(drug: Drug) -> str:
    """What a reviewer's page showed: publishing refuses if the drug changed since."""
    return drug.updated_at.isoformat()


# --- what a drug needs before it goes live -------------------------------------------------

REQUIRED_SECTIONS = {
    SectionKind.ABOUT: "What it is",
    SectionKind.HOW_TO_TAKE: "How to take it",
    SectionKind.MISSED_DOSES: "What to do about a missed dose",
    SectionKind.GETTING_HELP: "When to get help",
}


def missing_parts(drug: Drug) -> list[str]:
    """What patients would miss if the drug went live now; empty when it may be published."""
    missing = []
    kinds = set(drug.sections.values_list("kind", flat=True))
    missing += [
        f"a \u201c{label}\u201d section"
        for kind, label in REQUIRED_SECTIONS.items()
        if kind not in kinds
    ]
    rules = HelpRule.objects.filter(Q(side_effect__drug=drug) | Q(precaution__drug=drug)).exists()
    if not rules:
        missing.append(
            "at least one \u201cwhen to get help\u201d rule on a side effect or precaution"
        )
    if not drug.sources.exists():
        missing.append("at least one source")
    if drug.next_review_due <= drug.last_reviewed:
        missing.append("a next review date after the last review date")
    elif drug.next_review_due < timezone.localdate():
        missing.append("a next review date that is not already past")
    return missing


# --- transitions ---------------------------------------------------------------------------


def submit_for_review(drug: Drug, user, comment: str = "") -> None:
    if not can_submit(user):
        raise PermissionDenied("You cannot submit drugs for review.")
    if drug.status != Status.DRAFT:
        raise WorkflowError(f"{drug} is {drug.get_status_display().lower()}, not a draft.")
    _move(drug, drug.submit, user, "submitted for review", comment)


def return_to_draft(drug: Drug, user, comment: str = "") -> None:
    if not can_submit(user):
        raise PermissionDenied("You cannot change a drug's status.")
    if drug.status != Status.REVIEW:
        raise WorkflowError(f"{drug} is not in review.")
    _move(drug, drug.return_to_draft, user, "returned to draft", comment)


def publish_refusals(drug: Drug, user) -> list[str]:
    """Why this user may not publish this drug now; empty if they may."""
    reasons = []
    if drug.status != Status.REVIEW:
        reasons.append(f"{drug} must be in review before it is published.")
    # Four eyes, superusers included: has_perm() is not asked, the authors are.
    if user.pk is not None and drug.authors.filter(pk=user.pk).exists():
        reasons.append("You changed this draft, so a different clinical reviewer must publish it.")
    missing = missing_parts(drug)
    if missing:
        reasons.append(_missing_message(missing))
    return reasons


def _missing_message(missing: list[str]) -> str:
    return "It cannot go live without " + "; ".join(missing) + "."


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
def publish(drug: Drug, user, comment: str = "", seen: str | None = None) -> Drug:
    """Publish a drug in review; a pending revision is written onto its live drug. Returns the live drug.

    `seen` is seen_token() as the reviewer's page showed it: if the drug changed since, nothing
    is published.
    """
    if not can_publish(user):
        raise PermissionDenied("Only a clinical reviewer can publish.")
    drug = (
        Drug.objects.select_for_update(of=("self",)).select_related("revision_of").get(pk=drug.pk)
    )
    refusals = publish_refusals(drug, user)
    if refusals:
        raise WorkflowError(" ".join(refusals))
    if seen is not None and seen != seen_token(drug):
        raise WorkflowError(
            f"{drug} changed after you opened it. Read the changes again before you publish."
        )
    if drug.revision_of_id is None:
        checked_data(drug, drug.slug)
        _move(drug, drug.publish, user, "published", comment)
        drug.authors.clear()
        return drug

    live = drug.revision_of
    data = checked_data(drug, live.slug)
    # A withdrawn drug corrected through a revision stays down until it is restored.
    data.status = live.status
    before = live.history.values_list("history_id", flat=True).first()
    drug.delete()
    live = _write(data)
    latest = live.history.first()
    reason = "Published a revision" + (f": {comment.strip()}" if comment.strip() else "")
    if latest is None or latest.history_id == before:
        # Nothing on the drug row itself changed: record the publication anyway.
        _save(live, user, reason, [])
    else:
        latest.history_user = user
        latest.history_change_reason = reason
        latest.save(update_fields=["history_user", "history_change_reason"])
    _event(live, user, "published a revision", Status.REVIEW, comment)
    return live


def _reviewer_gives_reason(user, reason: str, verb: str, done: str) -> None:
    """Refuse a take-down or restore unless a clinical reviewer asks for it and says why."""
    if not can_publish(user):
        raise PermissionDenied(f"Only a clinical reviewer can {verb} a drug.")
    if not reason.strip():
        raise WorkflowError(f"Say why the drug is {done}: the reason is kept in its history.")


@transaction.atomic
def withdraw(drug: Drug, user, reason: str) -> None:
    """Take a published drug down: its pages answer 410 and it leaves search, lists and the API."""
    _reviewer_gives_reason(user, reason, "withdraw", "withdrawn")
    if drug.revision_of_id is not None:
        raise WorkflowError("A pending revision is not live: withdraw the published drug itself.")
    _move(drug, drug.withdraw, user, "withdrawn", reason)


@transaction.atomic
def restore(drug: Drug, user, reason: str) -> None:
    """Bring a withdrawn drug back as it was, once a clinical reviewer says why."""
    _reviewer_gives_reason(user, reason, "restore", "restored")
    missing = missing_parts(drug)
    if missing:
        raise WorkflowError(_missing_message(missing))
    _move(drug, drug.restore, user, "restored", reason)


@transaction.atomic
def start_revision(live: Drug, user) -> Drug:
    """The pending revision of a published drug, made from its live content if there is none."""
    if not user.has_perm("drugs.change_drug"):
        raise PermissionDenied("You cannot edit drugs.")
    existing = Drug.objects.filter(revision_of=live).first()
    if existing:
        return existing
    if not is_locked(live):
        raise WorkflowError(f"{live} is not published: edit it directly.")
    data = checked_data(live, live.slug)
    data.slug = revision_slug(live.slug)
    data.status = Status.DRAFT
    revision = _write(data)
    revision.revision_of = live
    _save(revision, user, f"Started a revision of {live.slug}", ["revision_of"])
    _event(revision, user, "started a revision", "")
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
    target = start_revision(drug, user) if is_locked(drug) else drug
    data, problems = parse_monograph(f"{target.slug}.md", snapshot_text(record))
    if problems:
        raise WorkflowError("; ".join(str(p) for p in problems))
    data.slug = target.slug
    data.status = Status.DRAFT
    if not user.has_perm(SET_REVIEW_DATES):
        data.last_reviewed, data.next_review_due = target.last_reviewed, target.next_review_due
    revision_of = target.revision_of_id
    note_edit(target, user)  # records the return to draft that _write() makes
    target = _write(data)
    when = timezone.localtime(record.history_date).strftime("%d %b %Y %H:%M")
    target.revision_of_id = revision_of
    _save(target, user, f"Rolled back to the version of {when}", ["revision_of"])
    add_author(target, user)
    return target
