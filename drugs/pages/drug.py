"""The drug page: a monograph in page order, with glossary words marked and each entry's action."""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.safestring import SafeString, mark_safe

from drugs.models import (
    Disagreement,
    Drug,
    DrugSideEffect,
    FrequencyBand,
    GlossaryTerm,
    Precaution,
    PrecautionKind,
    Section,
    SectionKind,
    Source,
)
from drugs.pages.anchors import precaution_anchor, side_effect_anchor
from drugs.pages.care import Action, CareCard, actions_for, build_care_cards, rule_owners
from drugs.pages.figures import Figure
from drugs.pages.glossary_links import GlossaryMarker

HANDLING_KINDS = {PrecautionKind.HANDLING, PrecautionKind.STORAGE}


PREGNANCY_KINDS = {PrecautionKind.PREGNANCY_PREVENTION, PrecautionKind.BREASTFEEDING}


# How many of the most common side effects the key facts name.
KEY_FACTS_EFFECTS = 6


def source_names(sources: Iterable[Source]) -> list[Source]:
    """Sources in the order the monograph lists them."""
    return sorted(sources, key=lambda source: source.order)


def publishers(sources: Iterable[Source]) -> list[str]:
    """Who published the sources, each once, for a short "Source:" line."""
    return list(dict.fromkeys(source.publisher for source in source_names(sources)))


@dataclass(frozen=True)
class SourceEntry:
    """A source as the sources list shows it: its own date, what that date is, and its age."""

    source: Source
    date: str
    age_notice: str

    @classmethod
    def of(cls, source: Source, today: datetime.date) -> SourceEntry:
        if source.date:
            date = f"{source.get_date_kind_display()} {format_date(source.date, 'j F Y')}"
        else:
            date = "no date given"
        return cls(source=source, date=date, age_notice=source.age_notice(today))


# A source's own words that an effect is common ("Feeling tired is a common side effect").
COMMON_STATEMENT = re.compile(r"\bis a common side effect\b", re.IGNORECASE)


def common_rank(entry: EffectEntry) -> tuple:
    """Effects with the highest figures first, then those the source itself calls common."""
    item = entry.item
    return (
        entry.figure is None,
        -(item.figure_percent or 0),
        item.band.sort_key,
        not COMMON_STATEMENT.search(item.text),
        item.order,
    )


@dataclass
class Note:
    """A "Sources differ" note."""

    topic: str
    html: SafeString
    sources: list[str]


@dataclass
class Prose:
    """A piece of Markdown prose with the notes and sources that belong to it."""

    html: SafeString
    notes: list[Note]
    sources: list[str]


@dataclass
class EffectEntry:
    item: DrugSideEffect
    figure: Figure | None
    prose: Prose
    actions: list[Action] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return side_effect_anchor(self.item.effect.slug)


@dataclass
class BandGroup:
    band: FrequencyBand
    effects: list[EffectEntry]

    @property
    def anchor(self) -> str:
        return f"band-{self.band.scale}-{self.band.key}"


@dataclass
class PrecautionEntry:
    item: Precaution
    prose: Prose
    actions: list[Action] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return precaution_anchor(self.item)


@dataclass
class Block:
    """One part of the drug page, shown in the contents list."""

    anchor: str
    title: str
    template: str
    prose: Prose | None = None
    precautions: list[PrecautionEntry] = field(default_factory=list)
    groups: list[BandGroup] = field(default_factory=list)
    care_cards: list[CareCard] = field(default_factory=list)
    # The label of a <details> that holds the block's prose.
    summary: str = ""
    # Sources of the side effects that name none of their own.
    usual_sources: list[str] = field(default_factory=list)


class DrugPage:
    """A drug's monograph in page order, with its glossary words marked.

    `drug` must come from Drug.objects.with_monograph(), so nothing here queries again.
    """

    def __init__(self, drug: Drug, glossary_terms: Iterable[GlossaryTerm]):
        self.drug = drug
        self.marker = GlossaryMarker(glossary_terms)
        self.sources = source_names(drug.sources.all())
        sections = {section.kind: section for section in drug.sections.all()}
        precautions = list(drug.precautions.all())
        side_effects = list(drug.side_effects.all())
        self.warnings: list[PrecautionEntry] = []
        self.precaution_entries: list[PrecautionEntry] = []
        # Built in the order shown: the marker links each word's first use on the page.
        self.blocks: list[Block] = []
        for kind in (
            SectionKind.ABOUT,
            SectionKind.HOW_IT_WORKS,
            SectionKind.HOW_TO_TAKE,
            SectionKind.MISSED_DOSES,
        ):
            self._add_section(sections.get(kind))
        self._add_precautions(
            "handling-and-storage",
            "Handling and storage",
            [p for p in precautions if p.kind in HANDLING_KINDS],
        )
        pregnancy = [p for p in precautions if p.kind in PREGNANCY_KINDS]
        breastfeeding = any(p.kind == PrecautionKind.BREASTFEEDING for p in pregnancy)
        self._add_precautions(
            "pregnancy-prevention",
            "Pregnancy prevention and breastfeeding" if breastfeeding else "Pregnancy prevention",
            pregnancy,
        )
        self._add_side_effects(sections.get(SectionKind.SIDE_EFFECTS), side_effects)
        self._add_getting_help(sections.get(SectionKind.GETTING_HELP))
        self._add_precautions(
            "other-precautions",
            "Other precautions",
            [p for p in precautions if p.kind not in HANDLING_KINDS | PREGNANCY_KINDS],
        )
        professionals = sections.get(SectionKind.PROFESSIONALS)
        if professionals:
            # Always under the same heading, so patients know they may skip it; the section's
            # own title labels the <details> that holds it.
            self.blocks.append(
                Block(
                    anchor=professionals.kind,
                    title="For health professionals",
                    template="drugs/blocks/professionals.html",
                    prose=self._section_prose(professionals),
                    summary=professionals.title,
                )
            )

    @property
    def contents(self) -> list[tuple[str, str]]:
        entries = [(block.anchor, block.title) for block in self.blocks]
        entries.append(("sources", "Sources and review dates"))
        return entries

    @property
    def side_effect_groups(self) -> list[BandGroup]:
        return next((block.groups for block in self.blocks if block.groups), [])

    @property
    def care_cards(self) -> list[CareCard]:
        return next((block.care_cards for block in self.blocks if block.care_cards), [])

    @property
    def most_common(self) -> list[EffectEntry]:
        """Up to 6 effects of the most common standard band the drug lists, for the key facts."""
        groups = self.side_effect_groups
        if not groups:
            return []
        top = groups[0].band.standard_band
        # Only the top band counts: a source's words that an effect is "a common side effect"
        # (COMMON_STATEMENT) order effects within it, never lift one from a lower band.
        effects = [e for g in groups if g.band.standard_band == top for e in g.effects]
        return sorted(effects, key=common_rank)[:KEY_FACTS_EFFECTS]

    @cached_property
    def source_entries(self) -> list[SourceEntry]:
        """The sources with their dates, checked for age once per page."""
        today = timezone.localdate()
        return [SourceEntry.of(source, today) for source in self.sources]

    @property
    def old_sources(self) -> list[SourceEntry]:
        return [entry for entry in self.source_entries if entry.age_notice]

    @property
    def source_age_summary(self) -> str:
        """One calm sentence for the top of the page when any source is old."""
        old, total = len(self.old_sources), len(self.source_entries)
        if not old:
            return ""
        if total == 1:
            return "The source for this page is old or past its own review date."
        if old == total:
            return "The sources for this page are old or past their own review dates."
        if old == 1:
            return f"1 of the {total} sources for this page is old or past its own review date."
        return f"{old} of the {total} sources for this page are old or past their own review dates."

    @property
    def cycle_differs(self) -> bool:
        """Whether the sources disagree about how it is taken (for lenalidomide: in cycles or not)."""
        return any(
            block.anchor == SectionKind.HOW_TO_TAKE and block.prose and block.prose.notes
            for block in self.blocks
        )

    @property
    def cycle(self) -> str:
        drug = self.drug
        if drug.cycle_days_on is None:
            return ""
        days = "day" if drug.cycle_days_on == 1 else "days"
        text = f"{drug.cycle_days_on} {days} of treatment"
        if drug.cycle_days_off:
            off = "day" if drug.cycle_days_off == 1 else "days"
            text += f", then {drug.cycle_days_off} {off} without"
        return text

    def json_ld(self, url: str) -> SafeString:
        """schema.org: a MedicalWebPage about a Drug, for search engines."""
        drug = self.drug
        data = {
            "@context": "https://schema.org",
            "@type": "MedicalWebPage",
            "name": self.title,
            "url": url,
            "inLanguage": "en-GB",
            "audience": {"@type": "PeopleAudience", "audienceType": "Patients"},
            "lastReviewed": drug.last_reviewed.isoformat(),
            "about": {
                "@type": "Drug",
                "name": drug.name,
                **({"alternateName": drug.brand_names} if drug.brand_names else {}),
                "description": drug.summary,
            },
            "citation": [
                {"@type": "CreativeWork", "name": s.title, "publisher": s.publisher}
                | ({"url": s.url} if s.url else {})
                for s in self.sources
            ],
        }
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        # As Django's json_script does: nothing in the data can close the script element.
        text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
        return mark_safe(text)

    @property
    def title(self) -> str:
        brands = ", ".join(self.drug.brand_names)
        return f"{self.drug.name} ({brands})" if brands else self.drug.name

    # Building blocks, each marking its prose in the order it is shown.

    def _prose(self, html: str, notes: Iterable[Disagreement], sources: Iterable[Source]) -> Prose:
        marked = self.marker.mark(html)
        return Prose(
            html=marked,
            notes=[
                Note(
                    topic=note.topic,
                    html=self.marker.mark(note.text_html),
                    sources=publishers(note.sources.all()),
                )
                for note in notes
            ],
            sources=publishers(sources),
        )

    def _add_section(self, section: Section | None) -> None:
        if section is None:
            return
        self.blocks.append(
            Block(
                anchor=section.kind,
                title=section.title,
                template="drugs/blocks/prose.html",
                prose=self._section_prose(section),
            )
        )

    def _section_prose(self, section: Section | None) -> Prose | None:
        if section is None:
            return None
        return self._prose(section.text_html, section.disagreements.all(), section.sources.all())

    def _add_precautions(self, anchor: str, title: str, precautions: list[Precaution]) -> None:
        if not precautions:
            return
        entries = [
            PrecautionEntry(
                item=p,
                prose=self._prose(p.text_html, p.disagreements.all(), p.sources.all()),
                actions=actions_for(p.help_rules.all(), self.drug.contact),
            )
            for p in precautions
        ]
        self.precaution_entries += entries
        self.warnings += [entry for entry in entries if entry.item.warning]
        self.blocks.append(
            Block(
                anchor=anchor,
                title=title,
                template="drugs/blocks/precautions.html",
                precautions=entries,
            )
        )

    def _add_side_effects(self, section: Section | None, side_effects: list[DrugSideEffect]):
        if section is None and not side_effects:
            return
        prose = self._section_prose(section)
        groups: dict[int, BandGroup] = {}
        for item in sorted(side_effects, key=lambda i: (i.band.sort_key, i.order)):
            group = groups.setdefault(item.band.pk, BandGroup(band=item.band, effects=[]))
            group.effects.append(
                EffectEntry(
                    item=item,
                    figure=Figure.of(item),
                    prose=self._prose(item.text_html, item.disagreements.all(), item.sources.all()),
                    actions=actions_for(item.help_rules.all(), self.drug.contact),
                )
            )
        # Most effects share their sources: name those once, and only the exceptions beside
        # each effect (on the longest page this saves a tenth of its size budget).
        common = Counter(tuple(e.prose.sources) for g in groups.values() for e in g.effects)
        usual = list(common.most_common(1)[0][0]) if common else []
        for group in groups.values():
            for entry in group.effects:
                if entry.prose.sources == usual:
                    entry.prose.sources = []
        self.blocks.append(
            Block(
                anchor=SectionKind.SIDE_EFFECTS,
                usual_sources=usual,
                title=section.title if section else "Side effects",
                template="drugs/blocks/side_effects.html",
                prose=prose,
                groups=list(groups.values()),
            )
        )

    def _add_getting_help(self, section: Section | None):
        cards = build_care_cards(rule_owners(self.drug), self.drug.contact)
        if section is None and not cards:
            return
        self.blocks.append(
            Block(
                anchor=SectionKind.GETTING_HELP,
                title=section.title if section else "When to get help",
                template="drugs/blocks/getting_help.html",
                prose=self._section_prose(section),
                care_cards=cards,
            )
        )
