"""The editors' home page: what waits for review, what is overdue, which sources are old."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from drugs.editorial import workflow
from drugs.models import ChangeStatus, Drug, SharedChange, Source, Status


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    note: str = ""


def _drug_url(drug: Drug) -> str:
    return reverse("admin:drugs_drug_change", args=[drug.pk])


def dashboard(user) -> dict[str, list[Item]]:
    """Each list the dashboard shows, newest first; for an editor too (they can see what waits)."""
    reviewer = workflow.can_publish(user)
    drugs = Drug.objects.filter(status=Status.REVIEW).select_related("revision_of")
    drugs = drugs.prefetch_related("authors").order_by("-updated_at")
    changes = SharedChange.objects.filter(status=ChangeStatus.REVIEW).prefetch_related("authors")
    waiting = []
    for drug in drugs:
        mine = any(author.pk == user.pk for author in drug.authors.all())
        label = f"{drug.revision_of.name} (revision)" if drug.revision_of_id else drug.name
        waiting.append(Item(label, _drug_url(drug), _note(reviewer, mine)))
    for change in changes:
        mine = any(author.pk == user.pk for author in change.authors.all())
        url = reverse("admin:drugs_sharedchange_change", args=[change.pk])
        waiting.append(Item(change.label, url, _note(reviewer, mine)))
    overdue = [
        Item(drug.name, _drug_url(drug), f"review was due {drug.next_review_due:%-d %B %Y}")
        for drug in Drug.objects.live().review_overdue().order_by("next_review_due")
    ]
    old_sources = [
        Item(
            f"{source.drug.name}: {source.publisher}, {source.title}",
            _drug_url(source.drug),
            f"next review {source.next_review:%-d %B %Y}"
            if source.next_review
            else "over 5 years old",
        )
        for source in Source.objects.past_review()
        .filter(drug__revision_of__isnull=True)
        .select_related("drug")
        .order_by("drug__name", "key")
    ]
    return {"waiting": waiting, "overdue": overdue, "old_sources": old_sources}


def _note(reviewer: bool, mine: bool) -> str:
    if mine:
        return "you changed it: another clinical reviewer must publish it"
    return "ready for you to review" if reviewer else "waiting for a clinical reviewer"
