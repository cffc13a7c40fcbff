"""Each historical record of a drug keeps the whole monograph, so versions can be diffed and restored."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from simple_history.signals import post_create_historical_record

from drugs.exporter import monograph_data, monograph_text
from drugs.models import Drug


def fill_snapshot(history_id: int, drug_id: int) -> None:
    """Store the drug's monograph, as exported now, on one of its historical records."""
    drug = Drug.objects.with_monograph().select_related("revision_of").filter(pk=drug_id).first()
    if drug is None:
        return
    data = monograph_data(drug)
    if drug.revision_of:
        # Written under the live slug, so the snapshot is a valid monograph file.
        data.slug = drug.revision_of.slug
    Drug.history.filter(history_id=history_id).update(monograph=monograph_text(data))


def snapshot_after_commit(sender, instance, history_instance, using=None, **kwargs):
    # Children are saved after the drug row (by the admin's inlines and by the importer), so
    # the snapshot waits for the transaction to commit to see them all.
    if sender is Drug.history.model and history_instance.history_type != "-":
        transaction.on_commit(
            partial(fill_snapshot, history_instance.history_id, instance.pk), using=using
        )


def connect() -> None:
    post_create_historical_record.connect(
        snapshot_after_commit, dispatch_uid="drugs.history.snapshot"
    )


@dataclass
class DiffLine:
    kind: str  # "add", "remove", "hunk" or "same"
    text: str


@dataclass
class Version:
    record: object
    diff: list[DiffLine]
    added: int
    removed: int

    @property
    def can_restore(self) -> bool:
        return bool(self.record.monograph)


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """A line diff of two monograph files, with two lines of context."""
    lines = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "same")
        lines.append(DiffLine(kind, line))
    return lines


def versions(drug: Drug) -> list[Version]:
    """The drug's historical records, newest first, each with its diff from the one before."""
    records = list(drug.history.select_related("history_user").order_by("-history_date", "-pk"))
    out = []
    for i, record in enumerate(records):
        older = next((r for r in records[i + 1 :] if r.monograph), None)
        diff = (
            diff_lines(older.monograph if older else "", record.monograph)
            if record.monograph
            else []
        )
        out.append(
            Version(
                record=record,
                diff=diff,
                added=sum(1 for d in diff if d.kind == "add"),
                removed=sum(1 for d in diff if d.kind == "remove"),
            )
        )
    return out
