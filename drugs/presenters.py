"""What the patient pages show, arranged for the templates: order, grouping and wording."""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.safestring import SafeString, mark_safe

from drugs.glossary import GlossaryMarker
from drugs.models import (
    Disagreement,
    Drug,
    DrugSideEffect,
    FrequencyBand,
    GlossaryTerm,
    HelpRule,
    Precaution,
    PrecautionKind,
    Section,
    SectionKind,
    Source,
    Urgency,
)

# The page gives out the fragment ids that search results link to.
from drugs.search.anchors import precaution_anchor, side_effect_anchor

HANDLING_KINDS = {PrecautionKind.HANDLING, PrecautionKind.STORAGE}
PREGNANCY_KINDS = {PrecautionKind.PREGNANCY_PREVENTION, PrecautionKind.BREASTFEEDING}

ICONS_PER_ROW = 10
# How many of the most common side effects the key facts name.
KEY_FACTS_EFFECTS = 6


def format_percent(value: Decimal | None) -> str:
    """25.00 -> "25", 30.50 -> "30.5": the source's figure, without trailing zeros."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class IconArray:
    """100 people in a 10 by 10 grid, the first `filled` of them shaded (one SVG, few nodes)."""

    filled: int
    exact: bool

    @property
    def label(self) -> str:
        about = "" if self.exact else "About "
        people = "person" if self.filled == 1 else "people"
        return f"{about}{self.filled} in every 100 {people}".capitalize()

    @property
    def rects(self) -> list[tuple[int, int, int, int, str]]:
        """(x, y, width, height, class) of the shaded and unshaded areas, in a 100-unit box."""
        rows, rest = divmod(self.filled, ICONS_PER_ROW)
        cell = 100 // ICONS_PER_ROW
        shapes = []
        if rows:
            shapes.append((0, 0, 100, rows * cell, "on"))
        if rest:
            shapes.append((0, rows * cell, rest * cell, cell, "on"))
            shapes.append((rest * cell, rows * cell, 100 - rest * cell, cell, "off"))
            rows += 1
        if rows < ICONS_PER_ROW:
            shapes.append((0, rows * cell, 100, 100 - rows * cell, "off"))
        return shapes


# A natural frequency with no words around it ("1 in 4", "1 out of 5", "25 in every 100"):
# only these can be checked against a percentage.
PLAIN_FREQUENCY = re.compile(r"(\d+) (?:in|out of|in every) (\d+)(?: people| person)?")


def says_the_same(natural: str, percent: Decimal | None) -> bool:
    """Whether words such as "1 in 4" state exactly the percentage given (25)."""
    match = PLAIN_FREQUENCY.fullmatch(natural)
    if percent is None or not match or int(match[2]) == 0:
        return False
    return Decimal(match[1]) * 100 / Decimal(match[2]) == percent


@dataclass(frozen=True)
class Figure:
    """A source's figure as a natural frequency in its own words, with the percentage."""

    natural: str
    percent: str
    icons: IconArray | None
    # False when the words and the percentage say different things ("just under 1 in 5",
    # 20%): the page then shows both as the source gave them, without making either exact.
    consistent: bool = True

    @classmethod
    def of(cls, item: DrugSideEffect) -> Figure | None:
        if item.figure_percent is None and not item.figure_text:
            return None
        percent = format_percent(item.figure_percent)
        natural = item.figure_text.strip()
        if natural and not any(w in natural.lower() for w in ("people", "person")):
            natural = f"{natural} people"
        icons = None
        if item.figure_percent is not None:
            filled = int(item.figure_percent.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
            if filled >= 1:
                icons = IconArray(filled=filled, exact=filled == item.figure_percent)
        if not natural and icons and icons.exact:
            # "25 in every 100 people" says exactly what 25% says, in the friendlier form.
            natural = icons.label[0].lower() + icons.label[1:]
        consistent = not (natural and percent) or says_the_same(natural, item.figure_percent)
        return cls(natural=natural, percent=percent, icons=icons, consistent=consistent)

    @property
    def percent_note(self) -> str:
        """The percentage beside the words: "(25%)", or "(the source says 20%)" when they differ."""
        if not (self.natural and self.percent):
            return ""
        if self.consistent:
            return f"({self.percent}%)"
        return f"(the source says {self.percent}%)"

    @property
    def text(self) -> str:
        """The whole figure as plain words, for places that show it on one line."""
        if not self.natural:
            return f"{self.percent}% of people"
        return f"{self.natural} {self.percent_note}".strip()


# --- What to do: help rules beside their entry, and gathered by sign ------------------------


def level_key(rule: HelpRule) -> tuple[int, str]:
    """Most urgent first; "Tell your team promptly" before a plain "Tell your team"."""
    label = rule.level_label
    return (Urgency.rank(rule.urgency), "" if label.endswith("promptly") else label)


def contact_line(urgency: str, contact: str) -> str:
    """Whom to call for a level, in the drug's sources' words (Drug.contact)."""
    return f"Call {contact}." if urgency == Urgency.URGENT else ""


@dataclass
class Action:
    """One level of what to do about one entry, with the signs that call for it."""

    urgency: str
    label: str
    rules: list[HelpRule]
    contact: str


def actions_for(rules: Iterable[HelpRule], contact: str) -> list[Action]:
    """An entry's own rules by level, most urgent first, each level's rules in file order."""
    levels: dict[tuple, Action] = {}
    for rule in sorted(rules, key=lambda r: r.order):
        key = level_key(rule)
        if key not in levels:
            levels[key] = Action(
                urgency=rule.urgency,
                label=rule.level_label,
                rules=[],
                contact=contact_line(rule.urgency, contact),
            )
        levels[key].rules.append(rule)
    return [levels[key] for key in sorted(levels)]


@dataclass
class SummaryItem:
    text: str
    condition: str
    # (title, anchor) of each entry that gives this rule.
    entries: list[tuple[str, str]]


@dataclass
class SignGroup:
    name: str
    items: list[SummaryItem]


@dataclass
class CareCard:
    """One level of the "When to get help" summary: every sign at that level, once."""

    urgency: str
    label: str
    signs: list[SignGroup]
    contact: str

    @property
    def heading(self) -> str:
        return f"{self.label} if:"

    @property
    def items(self) -> list[str]:
        """Each rule once, as plain text (the printed handout's short list)."""
        return [
            f"{item.text} ({item.condition})" if item.condition else item.text
            for group in self.signs
            for item in group.items
        ]


def build_care_cards(
    owners: Iterable[tuple[str, str, Iterable[HelpRule]]], contact: str
) -> list[CareCard]:
    """Rules of (entry title, entry anchor, rules) gathered by level, then by sign, most urgent
    first; a rule that several entries give is listed once, naming each of them."""
    cards: dict[tuple, dict[str, dict[tuple, SummaryItem]]] = {}
    labels: dict[tuple, HelpRule] = {}
    for title, anchor, rules in owners:
        for rule in rules:
            key = level_key(rule)
            labels.setdefault(key, rule)
            name = rule.sign.name if rule.sign else "Other signs"
            items = cards.setdefault(key, {}).setdefault(name, {})
            item = items.setdefault(
                (rule.text, rule.condition), SummaryItem(rule.text, rule.condition, [])
            )
            if (title, anchor) not in item.entries:
                item.entries.append((title, anchor))
    return [
        CareCard(
            urgency=labels[key].urgency,
            label=labels[key].level_label,
            signs=[
                SignGroup(name=name, items=list(items.values()))
                for name, items in sorted(cards[key].items(), key=lambda kv: kv[0].lower())
            ],
            contact=contact_line(labels[key].urgency, contact),
        )
        for key in sorted(cards)
    ]


def band_sort_key(band: FrequencyBand) -> tuple:
    """Most common first: by the standard band's rank, then the band's rank on its own scale."""
    standard = band.standard_band
    return (standard.rank if standard else 99, band.rank, band.scale)


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
        band_sort_key(item.band),
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
        self._add_getting_help(sections.get(SectionKind.GETTING_HELP), side_effects, precautions)
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
        """Whether the sources disagree about how it is taken (e.g. in cycles or every day)."""
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
        for item in sorted(side_effects, key=lambda i: (band_sort_key(i.band), i.order)):
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

    def _add_getting_help(
        self,
        section: Section | None,
        side_effects: list[DrugSideEffect],
        precautions: list[Precaution],
    ):
        cards = build_care_cards(
            [
                (item.title, side_effect_anchor(item.effect.slug), item.help_rules.all())
                for item in side_effects
            ]
            + [(p.title, precaution_anchor(p), p.help_rules.all()) for p in precautions],
            self.drug.contact,
        )
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


@dataclass
class EffectAcrossDrugs:
    """One side effect as each published drug lists it (for /side-effects/<slug>/)."""

    item: DrugSideEffect
    figure: Figure | None
    actions: list[Action]

    @property
    def anchor(self) -> str:
        return side_effect_anchor(self.item.effect.slug)


def effect_entries(items: Iterable[DrugSideEffect]) -> list[EffectAcrossDrugs]:
    return [
        EffectAcrossDrugs(
            item=item,
            figure=Figure.of(item),
            actions=actions_for(item.help_rules.all(), item.drug.contact),
        )
        for item in items
    ]


def rules_differ(entries: list[EffectAcrossDrugs]) -> bool:
    """Whether the drugs give different advice for the same effect (e.g. 37.5°C or 38°C)."""
    advice = {tuple((r.urgency, r.text) for a in e.actions for r in a.rules) for e in entries}
    return len(entries) > 1 and len(advice) > 1


def gives_numbers(band: FrequencyBand) -> bool:
    """Whether the band's source puts a number on it (Macmillan's bands, for one, do not)."""
    return band.min_per_100 is not None or band.max_per_100 is not None


@dataclass
class CompareCell:
    drug: Drug
    item: DrugSideEffect | None
    figure: Figure | None

    @property
    def band_phrase(self) -> str:
        """The source's own meaning of its band, only where the source gives numbers."""
        if self.item is None or not gives_numbers(self.item.band):
            return ""
        return self.item.band.phrase


@dataclass
class CompareRow:
    effect_name: str
    effect_slug: str
    cells: list[CompareCell]

    @property
    def anchor(self) -> str:
        return side_effect_anchor(self.effect_slug)


@dataclass
class CompareGroup:
    # The standard band, which only puts the rows in order: its heading shows its label and
    # never its numbers, which most of the sources' bands do not give (or give per list).
    band: FrequencyBand
    rows: list[CompareRow]


def compare_groups(drugs: list[Drug]) -> list[CompareGroup]:
    """Each effect any of the drugs lists, one row per effect, ordered by the most common
    standard band any of the drugs gives it; each cell shows that drug's own band and figure."""
    by_effect: dict[int, dict[int, DrugSideEffect]] = {}
    effects = {}
    for column, drug in enumerate(drugs):
        for item in drug.side_effects.all():
            by_effect.setdefault(item.effect_id, {})[column] = item
            effects[item.effect_id] = item.effect
    groups: dict[int, CompareGroup] = {}
    rows = []
    for effect_id, items in by_effect.items():
        top = min((item.band for item in items.values()), key=band_sort_key).standard_band
        cells = []
        for column in range(len(drugs)):
            item = items.get(column)
            cells.append(
                CompareCell(drug=drugs[column], item=item, figure=Figure.of(item) if item else None)
            )
        rows.append((top, effects[effect_id], cells))
    for top, effect, cells in sorted(rows, key=lambda r: (r[0].rank, r[1].name.lower())):
        group = groups.setdefault(top.pk, CompareGroup(band=top, rows=[]))
        group.rows.append(CompareRow(effect_name=effect.name, effect_slug=effect.slug, cells=cells))
    return list(groups.values())
