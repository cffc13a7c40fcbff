"""A drug's versions: its historical records, newest first, each with a diff from the one before."""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass

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


# --- a draft against the live drug, part by part -------------------------------------------

# Where each part sits in the file, and nothing an editor changes.
_NOT_CONTENT = {"line", "path", "slug", "status", "file"}


@dataclass
class PartChange:
    part: str
    diff: list[DiffLine]


def _block(item) -> str:
    """One part of a monograph as "field: value" lines, the help rules one line each."""
    lines = []
    for name, value in asdict(item).items():
        if name in _NOT_CONTENT or value in ("", None, [], False):
            continue
        if name == "help_rules":
            lines += [
                "when to get help: "
                + " | ".join(f"{k}: {v}" for k, v in rule.items() if k != "line" and v)
                for rule in value
            ]
        elif name == "disagreements":
            lines += [f"sources differ: {d['topic']}: {d['text']}" for d in value]
        elif isinstance(value, str) and "\n" in value:
            lines += [f"{name}:", *value.splitlines()]
        else:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def monograph_parts(data) -> dict[str, str]:
    """A monograph's front-matter fields and each of its parts, by a name editors recognise."""
    parts = {}
    for name, value in asdict(data).items():
        if name in _NOT_CONTENT or isinstance(value, list) and value and isinstance(value[0], dict):
            continue
        parts[f"Field: {name.replace('_', ' ')}"] = (
            "\n".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        )
    for source in data.sources:
        parts[f"Source: {source.key}"] = _block(source)
    for section in data.sections:
        parts[f"Section: {section.title}"] = _block(section)
    for effect in data.side_effects:
        parts[f"Side effect: {effect.heading or effect.effect}"] = _block(effect)
    for precaution in data.precautions:
        parts[f"Precaution: {precaution.title}"] = _block(precaution)
    for disagreement in data.disagreements:
        parts[f"Sources differ: {disagreement.topic}"] = _block(disagreement)
    return parts


def part_changes(old_data, new_data) -> list[PartChange]:
    """Only the parts that differ, each with a line diff: one edited field shows as one change."""
    old, new = monograph_parts(old_data), monograph_parts(new_data)
    changes = []
    for part in [*old, *(p for p in new if p not in old)]:
        before, after = old.get(part, ""), new.get(part, "")
        if before != after:
            changes.append(PartChange(part, diff_lines(before, after)))
    return changes
