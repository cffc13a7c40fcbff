"""The drug guide: a monograph in parts, in page order, with glossary words marked and each
entry's action; one part (or the whole guide) is shown per page."""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
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
    Urgency,
)
from drugs.pages.anchors import (
    HANDLING_KINDS,
    OVERVIEW,
    PREGNANCY_KINDS,
    WHOLE_GUIDE,
    part_url,
    precaution_anchor,
    side_effect_anchor,
)
from drugs.pages.care import Action, CareCard, actions_for, build_care_cards, rule_owners
from drugs.pages.figures import Figure
from drugs.pages.glossary_links import GlossaryMarker

# How many of the most common side effects the key facts name.
KEY_FACTS_EFFECTS = 6

# On the side effects part, a band with more entries than this shows each entry as its own
# <details>: the band reads as a list of names (each saying when some of its signs mean calling
# someone), and a reader opens the one they have. Open, an entry is about 500px on a phone, so
# lenalidomide's 29 common effects alone would be 18 phone screens; folded, its 60 effects fit in
# under 10. Bands of up to 6 stay open: two or three screens. Each entry keeps its id on its
# <details>, which browsers open when a link or find-in-page targets it (static/js/guide.js does
# the same where they do not). The whole guide never folds: it is for printing and reading in
# one go.
FOLD_OVER = 6

HANDLING_ANCHOR = "handling-and-storage"
PREGNANCY_ANCHOR = "pregnancy-prevention"
OTHER_ANCHOR = "other-precautions"
SOURCES_ANCHOR = "sources"

# The parts of every drug's guide, in the order the content style guide gives ("Structure of a
# drug guide"), with the blocks each holds: (slug, title, block anchors). A part with none of
# its blocks is left out; an empty title means the part takes its only block's title.
PART_LAYOUT: list[tuple[str, str, tuple[str, ...]]] = [
    (OVERVIEW, "Overview", (SectionKind.ABOUT, SectionKind.HOW_IT_WORKS)),
    (
        "how-to-take",
        "How to take it",
        (SectionKind.HOW_TO_TAKE, SectionKind.MISSED_DOSES, HANDLING_ANCHOR),
    ),
    ("side-effects", "Side effects", (SectionKind.SIDE_EFFECTS,)),
    ("pregnancy", "", (PREGNANCY_ANCHOR,)),
    ("when-to-get-help", "When to get help", (SectionKind.GETTING_HELP,)),
    ("other-precautions", "Other precautions", (OTHER_ANCHOR,)),
    ("professionals", "For health professionals", (SectionKind.PROFESSIONALS,)),
    ("sources", "Sources and review dates", (SOURCES_ANCHOR,)),
]
PART_SLUGS = frozenset(slug for slug, _, _ in PART_LAYOUT if slug != OVERVIEW)


def guide_parts(drug: Drug) -> list[Part]:
    """The pages of a drug's guide (loaded with_monograph()), overview first, as its contents
    list gives them."""
    return DrugPage(drug, []).parts


class UnknownPart(LookupError):
    """The drug's guide has no such part (never had, or has no content for it)."""


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
    # Where a link to the entry goes from the page shown, and (when folded) the glossary words
    # it explains itself (both set by DrugPage).
    href: str = ""
    words: list[GlossaryTerm] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return side_effect_anchor(self.item.effect.slug)


@dataclass
class BandGroup:
    band: FrequencyBand
    effects: list[EffectEntry]
    href: str = ""
    folded: bool = False

    @property
    def anchor(self) -> str:
        return f"band-{self.band.scale}-{self.band.key}"


@dataclass
class PrecautionEntry:
    item: Precaution
    prose: Prose
    actions: list[Action] = field(default_factory=list)
    href: str = ""

    @property
    def anchor(self) -> str:
        return precaution_anchor(self.item)


@dataclass
class Block:
    """One section of the drug guide, shown in the contents list; a part holds one or more."""

    anchor: str
    title: str
    template: str
    # Off when the block is its part's only block and has the part's title: the page's <h1>
    # names it, and a second heading with the same words would only repeat it.
    show_heading: bool = True
    prose: Prose | None = None
    precautions: list[PrecautionEntry] = field(default_factory=list)
    groups: list[BandGroup] = field(default_factory=list)
    care_cards: list[CareCard] = field(default_factory=list)
    # The label of a <details> that holds the block's prose.
    summary: str = ""
    # Sources of the side effects that name none of their own.
    usual_sources: list[str] = field(default_factory=list)


@dataclass
class Part:
    """One page of a drug's guide: the overview or a part, with the blocks it shows."""

    slug: str
    title: str
    blocks: list[Block]
    url: str
    current: bool = False


class DrugPage:
    """A drug's guide in parts, showing one part (or the whole guide) with its glossary words
    marked.

    `drug` must come from Drug.objects.with_monograph(), so nothing here queries again.
    `part` is a part's slug, OVERVIEW or WHOLE_GUIDE; UnknownPart when the drug has no such part.
    """

    def __init__(self, drug: Drug, glossary_terms: Iterable[GlossaryTerm], part: str = WHOLE_GUIDE):
        self.drug = drug
        self.sources = source_names(drug.sources.all())
        sections = {section.kind: section for section in drug.sections.all()}
        precautions = list(drug.precautions.all())
        side_effects = list(drug.side_effects.all())
        self.warnings: list[PrecautionEntry] = []
        self.precaution_entries: list[PrecautionEntry] = []
        # Built in the order the whole guide shows them (PART_LAYOUT).
        self.all_blocks: list[Block] = []
        for kind in (
            SectionKind.ABOUT,
            SectionKind.HOW_IT_WORKS,
            SectionKind.HOW_TO_TAKE,
            SectionKind.MISSED_DOSES,
        ):
            self._add_section(sections.get(kind))
        self._add_precautions(
            HANDLING_ANCHOR,
            "Handling and storage",
            [p for p in precautions if p.kind in HANDLING_KINDS],
        )
        self._add_side_effects(sections.get(SectionKind.SIDE_EFFECTS), side_effects)
        pregnancy = [p for p in precautions if p.kind in PREGNANCY_KINDS]
        breastfeeding = any(p.kind == PrecautionKind.BREASTFEEDING for p in pregnancy)
        self._add_precautions(
            PREGNANCY_ANCHOR,
            "Pregnancy prevention and breastfeeding" if breastfeeding else "Pregnancy prevention",
            pregnancy,
        )
        self._add_getting_help(sections.get(SectionKind.GETTING_HELP))
        self._add_precautions(
            OTHER_ANCHOR,
            "Other precautions",
            [p for p in precautions if p.kind not in HANDLING_KINDS | PREGNANCY_KINDS],
        )
        professionals = sections.get(SectionKind.PROFESSIONALS)
        if professionals:
            # Always under the same heading, so patients know they may skip it; the section's
            # own title labels the <details> that holds it.
            self.all_blocks.append(
                Block(
                    anchor=professionals.kind,
                    title="For health professionals",
                    template="drugs/blocks/professionals.html",
                    prose=self._section_prose(professionals),
                    summary=professionals.title,
                )
            )
        self.all_blocks.append(
            Block(
                anchor=SOURCES_ANCHOR,
                title="Sources and review dates",
                template="drugs/blocks/sources.html",
            )
        )
        self.parts = self._parts()
        self.whole_guide = part == WHOLE_GUIDE
        self.part = self._choose(part)
        self.blocks = self.part.blocks if self.part else self.all_blocks
        self._link_entries()
        self.words = self._mark_words(glossary_terms)

    # The parts, and which of them this page shows.

    def _parts(self) -> list[Part]:
        by_anchor = {block.anchor: block for block in self.all_blocks}
        parts = []
        for slug, title, anchors in PART_LAYOUT:
            blocks = [by_anchor[anchor] for anchor in anchors if anchor in by_anchor]
            if blocks or slug == OVERVIEW:
                parts.append(
                    Part(
                        slug=slug,
                        title=title or blocks[0].title,
                        blocks=blocks,
                        url=part_url(self.drug.slug, slug),
                    )
                )
        return parts

    def _choose(self, slug: str) -> Part | None:
        if slug == WHOLE_GUIDE:
            return None
        part = next((part for part in self.parts if part.slug == slug), None)
        if part is None:
            raise UnknownPart(slug)
        part.current = True
        if len(part.blocks) == 1 and part.blocks[0].title.lower() == part.title.lower():
            part.blocks[0].show_heading = False
        return part

    @property
    def is_overview(self) -> bool:
        return self.part is not None and self.part.slug == OVERVIEW

    @property
    def on_help_part(self) -> bool:
        """Whether the page is "When to get help" itself (it needs no link to itself)."""
        return self.part is not None and SectionKind.GETTING_HELP in self.part_anchors

    @property
    def on_sources_part(self) -> bool:
        """Whether the page is the sources part (which gives the review dates in full)."""
        return self.part is not None and SOURCES_ANCHOR in self.part_anchors

    @property
    def part_anchors(self) -> set[str]:
        return {block.anchor for block in self.part.blocks} if self.part else set()

    @property
    def previous_part(self) -> Part | None:
        index = self._index()
        return self.parts[index - 1] if index else None

    @property
    def next_part(self) -> Part | None:
        index = self._index()
        return self.parts[index + 1] if index is not None and index + 1 < len(self.parts) else None

    def _index(self) -> int | None:
        if self.part is None:
            return None
        return next(i for i, part in enumerate(self.parts) if part is self.part)

    @cached_property
    def part_of(self) -> dict[str, str]:
        """The slug of the part that holds each anchor: blocks, bands, effects, precautions."""
        where: dict[str, str] = {}
        for part in self.parts:
            for block in part.blocks:
                where[block.anchor] = part.slug
                for group in block.groups:
                    where[group.anchor] = part.slug
                    for entry in group.effects:
                        where[entry.anchor] = part.slug
                for entry in block.precautions:
                    where[entry.anchor] = part.slug
        return where

    def href(self, anchor: str, *, to_part: bool = False) -> str:
        """A link to an anchor from the page shown: on the page itself, or on its own part
        (to the part's top with to_part, for links to a whole part)."""
        part = self.part_of.get(anchor)
        if self.whole_guide or part is None or part == self.part.slug:
            return f"#{anchor}"
        return part_url(self.drug.slug, part, "" if to_part else anchor)

    def _link_entries(self) -> None:
        """Give each entry, band and care card line the link it has from this page."""
        for block in self.all_blocks:
            for group in block.groups:
                group.href = self.href(group.anchor)
                # Folding is for the side effects part alone (see FOLD_OVER).
                group.folded = not self.whole_guide and len(group.effects) > FOLD_OVER
                for entry in group.effects:
                    entry.href = self.href(entry.anchor)
            for entry in block.precautions:
                entry.href = self.href(entry.anchor)
            for card in block.care_cards:
                for sign in card.signs:
                    for item in sign.items:
                        item.entries = [
                            (title, self.href(anchor)) for title, anchor in item.entries
                        ]

    @property
    def folds(self) -> bool:
        """Whether any band on the page shows its entries folded."""
        return any(group.folded for group in self.side_effect_groups)

    @property
    def help_href(self) -> str:
        return self.href(SectionKind.GETTING_HELP, to_part=True)

    @property
    def how_to_take_href(self) -> str:
        return self.href(SectionKind.HOW_TO_TAKE, to_part=True)

    @property
    def side_effects_href(self) -> str:
        return self.href(SectionKind.SIDE_EFFECTS, to_part=True)

    @property
    def sources_href(self) -> str:
        return self.href(SOURCES_ANCHOR, to_part=True)

    @property
    def url(self) -> str:
        """The path of the page shown."""
        return self.part.url if self.part else self.whole_guide_url

    @property
    def whole_guide_url(self) -> str:
        return part_url(self.drug.slug, WHOLE_GUIDE)

    @property
    def finder(self) -> list[tuple[Part, list[tuple[str, str, str]]]]:
        """The overview's "Where to find" list: (part, [(old anchor, title, link)]) for every
        part after the overview, so `/drugs/<slug>/#<anchor>` links made before the guide had
        parts still lead to their entry. The help summary keeps the "getting-help" id itself."""
        found = []
        for part in self.parts:
            if part.slug == OVERVIEW:
                continue
            items = []
            for block in part.blocks:
                if block.anchor != SectionKind.GETTING_HELP:
                    items.append((block.anchor, block.title, self.href(block.anchor)))
                for group in block.groups:
                    items.append((group.anchor, group.band.label, group.href))
                    items += [(e.anchor, e.item.title, e.href) for e in group.effects]
                items += [(e.anchor, e.item.title, e.href) for e in block.precautions]
            found.append((part, items))
        return found

    @property
    def emergency_card(self) -> CareCard | None:
        """The signs to call 999 about, given in full by the overview's help summary."""
        return next((card for card in self.care_cards if card.urgency == Urgency.IMMEDIATE), None)

    @property
    def other_levels(self) -> list[str]:
        """The other levels of what to do, most urgent first, named by the help summary."""
        return [card.label for card in self.care_cards if card.urgency != Urgency.IMMEDIATE]

    @property
    def urgent_contact(self) -> str:
        """Whom to call now, in the drug's sources' words, for the overview's help summary."""
        return next((card.contact for card in self.care_cards if card.contact), "")

    # Glossary words: the first use of each on the page shown links to its definition.

    def _mark_words(self, glossary_terms: Iterable[GlossaryTerm]) -> list[GlossaryTerm]:
        """Mark the prose shown, in page order; the words the page's own list explains.

        A folded side effect explains the words it first uses at its own end (entry.words), so
        they cost no room until it is opened; the page's list, at its end, explains the rest.
        """
        marker = GlossaryMarker(glossary_terms)
        in_entries: set[str] = set()
        for block in self.blocks:
            if block.prose:
                self._mark(marker, block.prose)
            for entry in block.precautions:
                self._mark(marker, entry.prose)
            for group in block.groups:
                for entry in group.effects:
                    first = len(marker.used)
                    self._mark(marker, entry.prose)
                    if group.folded:
                        entry.words = marker.used[first:]
                        in_entries.update(term.slug for term in entry.words)
        return [term for term in marker.used if term.slug not in in_entries]

    @staticmethod
    def _mark(marker: GlossaryMarker, prose: Prose) -> None:
        prose.html = marker.mark(prose.html)
        for note in prose.notes:
            note.html = marker.mark(note.html)

    @property
    def contents(self) -> list[tuple[str, str]]:
        """(anchor, title) of each block shown: the whole guide's contents list."""
        return [(block.anchor, block.title) for block in self.blocks]

    @property
    def side_effect_groups(self) -> list[BandGroup]:
        return next((block.groups for block in self.all_blocks if block.groups), [])

    @property
    def care_cards(self) -> list[CareCard]:
        return next((block.care_cards for block in self.all_blocks if block.care_cards), [])

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
            for block in self.all_blocks
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

    def json_ld(self, absolute: Callable[[str], str]) -> SafeString:
        """schema.org: a MedicalWebPage about a Drug, with its parts, for search engines.

        `absolute` makes a path into the full URL (guide.absolute_url)."""
        drug = self.drug
        url = absolute(part_url(drug.slug, self.part.slug if self.part else WHOLE_GUIDE))
        data = {
            "@context": "https://schema.org",
            "@type": "MedicalWebPage",
            "name": self.title if self.is_overview else f"{self.title}: {self.heading}",
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
            "hasPart": [
                {"@type": "WebPage", "name": part.title, "url": absolute(part.url)}
                for part in self.parts
                if part.slug != OVERVIEW
            ],
        }
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        # As Django's json_script does: nothing in the data can close the script element.
        text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
        return mark_safe(text)

    @property
    def heading(self) -> str:
        """What the page's <h1> says after the drug's name."""
        if self.part is None:
            return "the whole guide"
        return self.part.title

    @property
    def title(self) -> str:
        brands = ", ".join(self.drug.brand_names)
        return f"{self.drug.name} ({brands})" if brands else self.drug.name

    # Building blocks.

    def _prose(self, html: str, notes: Iterable[Disagreement], sources: Iterable[Source]) -> Prose:
        # Sanitised when saved (drugs.markdown); its glossary words are marked once the page
        # knows which blocks it shows (_mark_words).
        return Prose(
            html=mark_safe(html or ""),
            notes=[
                Note(
                    topic=note.topic,
                    html=mark_safe(note.text_html),
                    sources=publishers(note.sources.all()),
                )
                for note in notes
            ],
            sources=publishers(sources),
        )

    def _add_section(self, section: Section | None) -> None:
        if section is None:
            return
        self.all_blocks.append(
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
        self.all_blocks.append(
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
        self.all_blocks.append(
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
        self.all_blocks.append(
            Block(
                anchor=SectionKind.GETTING_HELP,
                title=section.title if section else "When to get help",
                template="drugs/blocks/getting_help.html",
                prose=self._section_prose(section),
                care_cards=cards,
            )
        )
