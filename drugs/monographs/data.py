"""Monographs as plain data: what a file holds, with the line of each part, and Problem."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from drugs.models import (
    DEFAULT_CONTACT,
    AppliesTo,
    DrugSideEffect,
    SourceDateKind,
)


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


@dataclass
class SourceData:
    key: str
    publisher: str
    title: str
    date: datetime.date | None = None
    date_kind: str = SourceDateKind.UPDATED
    next_review: datetime.date | None = None
    publisher_named: bool = True
    about: str = ""
    url: str = ""
    file: str = ""
    line: int = 0


@dataclass
class DisagreementData:
    topic: str
    text: str
    sources: list[str]
    section: str = ""
    line: int = 0


@dataclass
class HelpRuleData:
    urgency: str
    text: str
    sign: str = ""
    # What the source says about timing, from the floors table ("straight away").
    says: str = ""
    source: str = ""
    threshold: str = ""
    condition: str = ""
    escalation_reason: str = ""
    escalation_source: str = ""
    line: int = 0


@dataclass
class SideEffectData:
    effect: str
    band: str
    text: str
    sources: list[str]
    heading: str = ""
    figure_percent: Decimal | None = None
    figure_text: str = ""
    help_rules: list[HelpRuleData] = field(default_factory=list)
    disagreements: list[DisagreementData] = field(default_factory=list)
    line: int = 0


@dataclass
class PrecautionData:
    kind: str
    title: str
    text: str
    sources: list[str]
    applies_to: str = AppliesTo.EVERYONE
    warning: bool = False
    help_rules: list[HelpRuleData] = field(default_factory=list)
    disagreements: list[DisagreementData] = field(default_factory=list)
    line: int = 0


@dataclass
class SectionData:
    kind: str
    title: str
    text: str
    sources: list[str]
    line: int = 0


@dataclass
class MonographData:
    path: str
    slug: str
    name: str
    treats: str
    summary: str
    status: str
    last_reviewed: datetime.date
    next_review_due: datetime.date
    brand_names: list[str] = field(default_factory=list)
    pronunciation: str = ""
    cycle_days_on: int | None = None
    cycle_days_off: int | None = None
    contact: str = DEFAULT_CONTACT
    editorial_notes: str = ""
    sources: list[SourceData] = field(default_factory=list)
    side_effects: list[SideEffectData] = field(default_factory=list)
    precautions: list[PrecautionData] = field(default_factory=list)
    sections: list[SectionData] = field(default_factory=list)
    disagreements: list[DisagreementData] = field(default_factory=list)
    line: int = 1

    def refs(self):
        """Every (line, field, band ref or None, effect slug or None) for cross-file checks."""
        for i, item in enumerate(self.side_effects):
            yield item.line, f"side_effects[{i}]", item.band, item.effect

    def rules(self):
        """Every (field, help rule) of the drug, side effects first."""
        for i, item in enumerate(self.side_effects):
            for j, rule in enumerate(item.help_rules):
                yield f"side_effects[{i}].get_help[{j}]", rule
        for i, item in enumerate(self.precautions):
            for j, rule in enumerate(item.help_rules):
                yield f"precautions[{i}].get_help[{j}]", rule


@dataclass
class BandData:
    scale: str
    key: str
    label: str
    phrase: str
    rank: int
    min_per_100: Decimal | None = None
    max_per_100: Decimal | None = None
    standard: str = ""
    line: int = 0

    @property
    def reference(self) -> str:
        return f"{self.scale}:{self.key}"


@dataclass
class EffectData:
    slug: str
    name: str
    also_called: list[str] = field(default_factory=list)
    lay_names: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class TermData:
    slug: str
    term: str
    definition: str
    aliases: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class LayTermData:
    phrase: str
    means: list[str]
    line: int = 0


@dataclass
class SignData:
    slug: str
    name: str
    synonyms: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class FloorData:
    says: str
    floor: str
    line: int = 0


@dataclass
class ContentSet:
    """Everything read from a set of files, before it touches the database."""

    monographs: list[MonographData] = field(default_factory=list)
    bands: list[BandData] | None = None
    effects: list[EffectData] | None = None
    terms: list[TermData] | None = None
    vocabulary: list[LayTermData] | None = None
    signs: list[SignData] | None = None
    floors: list[FloorData] | None = None


# The smallest step of DrugSideEffect.figure_percent: the database keeps two decimal places.
FIGURE_STEP = Decimal(1).scaleb(-DrugSideEffect._meta.get_field("figure_percent").decimal_places)


def canonical(data: MonographData) -> MonographData:
    """The data as the database gives it back, whichever way it was read.

    Each item names its sources in the order of the monograph's sources list, the monograph's
    own notes come grouped by section in section order, and figures carry the column's
    decimal places. monograph_data() and the history snapshots of an import both rely on it.
    """
    rank = {s.key: i for i, s in enumerate(data.sources)}
    place = {s.kind: i for i, s in enumerate(data.sections)}

    def keys(sources: list[str]) -> list[str]:
        return sorted(set(sources), key=rank.__getitem__)

    def notes(items: list[DisagreementData]) -> list[DisagreementData]:
        return [replace(d, sources=keys(d.sources)) for d in items]

    def figure(value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(FIGURE_STEP)

    return replace(
        data,
        side_effects=[
            replace(
                s,
                sources=keys(s.sources),
                figure_percent=figure(s.figure_percent),
                disagreements=notes(s.disagreements),
            )
            for s in data.side_effects
        ],
        precautions=[
            replace(p, sources=keys(p.sources), disagreements=notes(p.disagreements))
            for p in data.precautions
        ],
        sections=[replace(s, sources=keys(s.sources)) for s in data.sections],
        # sorted() keeps the file's order within a section.
        disagreements=sorted(notes(data.disagreements), key=lambda d: place[d.section]),
    )


ACTIONS = ("created", "updated", "unchanged", "removed")


@dataclass
class ImportResult:
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, kind: str, action: str, number: int = 1) -> None:
        self.counts[kind][action] += number

    def total(self, action: str) -> int:
        return sum(c[action] for c in self.counts.values())

    @property
    def changed(self) -> bool:
        return any(self.total(a) for a in ("created", "updated", "removed"))

    def changed_in(self, kind: str) -> bool:
        counts = self.counts.get(kind, Counter())
        return any(counts[a] for a in ("created", "updated", "removed"))

    def lines(self) -> list[str]:
        return [
            f"{kind}: " + ", ".join(f"{c[a]} {a}" for a in ACTIONS)
            for kind, c in sorted(self.counts.items())
        ]


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))
