"""A drug's versions: its historical records, newest first, each with a diff from the one before."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from drugs.models import Drug
from drugs.monographs.snapshots import has_snapshot, snapshot_text


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
        return has_snapshot(self.record)


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
    # Records often hold the same content (a status change, a re-save): write each file once.
    texts: dict[str, str] = {}

    def text(record) -> str:
        if record.monograph or not record.monograph_data:
            return record.monograph
        key = json.dumps(record.monograph_data, sort_keys=True)
        if key not in texts:
            texts[key] = snapshot_text(record)
        return texts[key]

    out = []
    for i, record in enumerate(records):
        older = next((r for r in records[i + 1 :] if has_snapshot(r)), None)
        diff = (
            diff_lines(text(older) if older else "", text(record)) if has_snapshot(record) else []
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
