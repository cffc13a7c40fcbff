"""Write the database back as monograph files: the exact inverse of drugs.importer.

Reading what this writes gives back the same data, so import -> export -> import -> export
produces byte-identical files. See content/README.md for the format.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import yaml

from drugs.models import (
    DEFAULT_CONTACT,
    STANDARD_SCALE,
    AppliesTo,
    Drug,
    DrugSideEffect,
    FrequencyBand,
    GlossaryTerm,
    LayTerm,
    SideEffect,
    Sign,
    SourceDateKind,
    TimingPhrase,
)
from drugs.monograph import (
    BANDS_FILE,
    FLOORS_FILE,
    GLOSSARY_FILE,
    SIDE_EFFECTS_FILE,
    SIGNS_FILE,
    VOCABULARY_FILE,
    BandData,
    DisagreementData,
    EffectData,
    FloorData,
    HelpRuleData,
    MonographData,
    PrecautionData,
    SectionData,
    SideEffectData,
    SignData,
    SourceData,
    TermData,
    slugify_term,
)

# --- Deterministic YAML ---------------------------------------------------------------------


class FlowList(list):
    """A short list written on one line: [a, b]."""


class FlowDict(dict):
    """A small mapping written on one line: {days_on: 21, days_off: 7}."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as the hand-written files do.
        return super().increase_indent(flow, False)


def _represent_str(dumper, value: str):
    if "\n" in value:
        # A line reading "---" inside the front matter would end it early when read back.
        if any(line.strip() == "---" for line in value.splitlines()):
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
        return dumper.represent_scalar("tag:yaml.org,2002:str", value + "\n", style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_decimal(dumper, value: Decimal):
    text = format(value.normalize(), "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(
    FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(
    FlowDict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)


def dump_yaml(data) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )


# --- Database -> plain data ----------------------------------------------------------------

# The smallest step of DrugSideEffect.figure_percent: the database keeps two decimal places.
FIGURE_STEP = Decimal(1).scaleb(-DrugSideEffect._meta.get_field("figure_percent").decimal_places)


def _by_order(items):
    return sorted(items, key=lambda o: (o.order, o.pk))


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


def monograph_data(drug: Drug) -> MonographData:
    """A drug and its children as plain data (prefetch with Drug.objects.with_monograph())."""

    def keys(obj) -> list[str]:
        return [s.key for s in obj.sources.all()]

    def rules(owner) -> list[HelpRuleData]:
        return [
            HelpRuleData(
                urgency=r.urgency,
                text=r.text,
                sign=r.sign.slug if r.sign else "",
                says=r.timing.phrase if r.timing else "",
                source=r.source.key if r.source else "",
                threshold=r.threshold,
                condition=r.condition,
                escalation_reason=r.escalation_reason,
                escalation_source=r.escalation_source.key if r.escalation_source else "",
            )
            for r in _by_order(owner.help_rules.all())
        ]

    def notes(owner) -> list[DisagreementData]:
        return [
            DisagreementData(topic=d.topic, text=d.text, sources=keys(d))
            for d in _by_order(owner.disagreements.all())
        ]

    sections = _by_order(drug.sections.all())
    return canonical(
        MonographData(
            path=f"{drug.slug}.md",
            slug=drug.slug,
            name=drug.name,
            brand_names=list(drug.brand_names),
            pronunciation=drug.pronunciation,
            treats=drug.treats,
            summary=drug.summary,
            status=drug.status,
            last_reviewed=drug.last_reviewed,
            next_review_due=drug.next_review_due,
            cycle_days_on=drug.cycle_days_on,
            cycle_days_off=drug.cycle_days_off,
            contact=drug.contact,
            editorial_notes=drug.editorial_notes,
            sources=[
                SourceData(
                    key=s.key,
                    publisher=s.publisher,
                    publisher_named=s.publisher_named,
                    title=s.title,
                    date=s.date,
                    date_kind=s.date_kind,
                    next_review=s.next_review,
                    about=s.about,
                    url=s.url,
                    file=s.file,
                )
                for s in _by_order(drug.sources.all())
            ],
            side_effects=[
                SideEffectData(
                    effect=s.effect.slug,
                    band=s.band.reference,
                    heading=s.heading,
                    text=s.text,
                    sources=keys(s),
                    figure_percent=s.figure_percent,
                    figure_text=s.figure_text,
                    help_rules=rules(s),
                    disagreements=notes(s),
                )
                for s in _by_order(drug.side_effects.all())
            ],
            precautions=[
                PrecautionData(
                    kind=p.kind,
                    title=p.title,
                    text=p.text,
                    sources=keys(p),
                    applies_to=p.applies_to,
                    warning=p.warning,
                    help_rules=rules(p),
                    disagreements=notes(p),
                )
                for p in _by_order(drug.precautions.all())
            ],
            sections=[
                SectionData(kind=s.kind, title=s.title, text=s.text, sources=keys(s))
                for s in sections
            ],
            disagreements=[
                DisagreementData(topic=d.topic, text=d.text, sources=keys(d), section=s.kind)
                for s in sections
                for d in _by_order(s.disagreements.all())
            ],
        )
    )


# --- Plain data -> text --------------------------------------------------------------------


def _disagreement(d: DisagreementData) -> dict:
    out = {"topic": d.topic}
    if d.section:
        out["section"] = d.section
    out["sources"] = FlowList(d.sources)
    out["text"] = d.text
    return out


def monograph_text(data: MonographData) -> str:
    """The monograph file for one drug: YAML front matter, then one `##` section each."""
    front: dict = {"slug": data.slug, "name": data.name}
    if data.brand_names:
        front["brand_names"] = FlowList(data.brand_names)
    if data.pronunciation:
        front["pronunciation"] = data.pronunciation
    front |= {
        "treats": data.treats,
        "summary": data.summary,
        "status": data.status,
        "last_reviewed": data.last_reviewed,
        "next_review_due": data.next_review_due,
    }
    if data.cycle_days_on is not None:
        front["cycle"] = FlowDict(days_on=data.cycle_days_on, days_off=data.cycle_days_off)
    if data.contact != DEFAULT_CONTACT:
        front["contact"] = data.contact
    if data.editorial_notes:
        front["editorial_notes"] = data.editorial_notes
    front["sources"] = [_source(s) for s in data.sources]
    if data.side_effects:
        front["side_effects"] = [_side_effect(s) for s in data.side_effects]
    if data.precautions:
        front["precautions"] = [_precaution(p) for p in data.precautions]
    if data.disagreements:
        front["disagreements"] = [_disagreement(d) for d in data.disagreements]

    parts = ["---\n", dump_yaml(front), "---\n"]
    for section in data.sections:
        attrs = f"#{section.kind} sources={','.join(section.sources)}"
        parts.append(f"## {section.title} {{{attrs}}}\n\n{section.text.strip()}\n\n")
    return "".join(parts).rstrip("\n") + "\n"


def _source(s: SourceData) -> dict:
    out = {"id": s.key, "publisher": s.publisher}
    if not s.publisher_named:
        out["publisher_named"] = False
    out["title"] = s.title
    if s.date:
        out["date"] = s.date
    if s.date_kind != SourceDateKind.UPDATED:
        out["date_kind"] = s.date_kind
    if s.next_review:
        out["next_review"] = s.next_review
    if s.about:
        out["about"] = s.about
    if s.url:
        out["url"] = s.url
    if s.file:
        out["file"] = s.file
    return out


def _rule(r: HelpRuleData, entry_sources: list[str]) -> dict:
    out = {"sign": r.sign, "when": r.text}
    if r.threshold:
        out["threshold"] = r.threshold
    if r.condition:
        out["condition"] = r.condition
    out |= {"urgency": r.urgency, "says": r.says}
    # An entry with one source names it once; the rule then takes it by default.
    if r.source and entry_sources != [r.source]:
        out["source"] = r.source
    if r.escalation_reason or r.escalation_source:
        out["escalation"] = {"reason": r.escalation_reason, "source": r.escalation_source}
    return out


def _side_effect(s: SideEffectData) -> dict:
    out = {"effect": s.effect}
    if s.heading:
        out["heading"] = s.heading
    out["band"] = s.band
    figure = FlowDict()
    if s.figure_percent is not None:
        figure["percent"] = s.figure_percent
    if s.figure_text:
        figure["natural"] = s.figure_text
    if figure:
        out["figure"] = figure
    out["sources"] = FlowList(s.sources)
    out["text"] = s.text
    if s.help_rules:
        out["get_help"] = [_rule(r, s.sources) for r in s.help_rules]
    if s.disagreements:
        out["disagreements"] = [_disagreement(d) for d in s.disagreements]
    return out


def _precaution(p: PrecautionData) -> dict:
    out = {"kind": p.kind}
    if p.applies_to != AppliesTo.EVERYONE:
        out["applies_to"] = p.applies_to
    out["title"] = p.title
    if p.warning:
        out["warning"] = True
    out["sources"] = FlowList(p.sources)
    out["text"] = p.text
    if p.help_rules:
        out["get_help"] = [_rule(r, p.sources) for r in p.help_rules]
    if p.disagreements:
        out["disagreements"] = [_disagreement(d) for d in p.disagreements]
    return out


def bands_text(bands: list[BandData]) -> str:
    scales: dict[str, list[dict]] = {}
    for b in bands:
        band = {"key": b.key, "label": b.label, "phrase": b.phrase}
        if b.min_per_100 is not None:
            band["min_per_100"] = b.min_per_100
        if b.max_per_100 is not None:
            band["max_per_100"] = b.max_per_100
        if b.standard:
            band["standard"] = b.standard
        scales.setdefault(b.scale, []).append(band)
    return dump_yaml({"scales": [{"scale": s, "bands": rows} for s, rows in scales.items()]})


def effects_text(effects: list[EffectData]) -> str:
    rows = []
    for e in effects:
        row = {"slug": e.slug, "name": e.name}
        if e.also_called:
            row["also_called"] = FlowList(e.also_called)
        if e.lay_names:
            row["lay_names"] = FlowList(e.lay_names)
        if e.synonyms:
            row["synonyms"] = FlowList(e.synonyms)
        rows.append(row)
    return dump_yaml({"side_effects": rows})


def glossary_text(terms: list[TermData]) -> str:
    rows = []
    for t in terms:
        row = {"term": t.term}
        # The slug is made from the term unless the file gives another.
        if t.slug != slugify_term(t.term):
            row["slug"] = t.slug
        if t.aliases:
            row["aliases"] = FlowList(t.aliases)
        row["definition"] = t.definition
        rows.append(row)
    return dump_yaml({"terms": rows})


def vocabulary_text() -> str:
    rows = [
        {"phrase": t.phrase, "means": FlowList(t.means)} for t in LayTerm.objects.order_by("pk")
    ]
    return dump_yaml({"lay_terms": rows})


# --- Shared data ---------------------------------------------------------------------------


def band_data() -> list[BandData]:
    """Bands grouped by scale: the standard scale first, then scales in the order loaded."""
    bands = list(FrequencyBand.objects.select_related("standard").order_by("pk"))
    first_seen: dict[str, int] = {}
    for b in bands:
        first_seen.setdefault(b.scale, b.pk)

    def place(b):
        return (b.scale != STANDARD_SCALE, first_seen[b.scale], b.rank, b.pk)

    return [
        BandData(
            scale=b.scale,
            key=b.key,
            label=b.label,
            phrase=b.phrase,
            rank=b.rank,
            min_per_100=b.min_per_100,
            max_per_100=b.max_per_100,
            standard=b.standard.key if b.standard else "",
        )
        for b in sorted(bands, key=place)
    ]


def effect_data() -> list[EffectData]:
    return [
        EffectData(
            slug=e.slug,
            name=e.name,
            also_called=e.also_called,
            lay_names=e.lay_names,
            synonyms=e.synonyms,
        )
        for e in SideEffect.objects.order_by("pk")
    ]


def sign_data() -> list[SignData]:
    return [
        SignData(slug=g.slug, name=g.name, synonyms=g.synonyms) for g in Sign.objects.order_by("pk")
    ]


def floor_data() -> list[FloorData]:
    return [FloorData(says=f.phrase, floor=f.floor) for f in TimingPhrase.objects.order_by("pk")]


def signs_text(signs: list[SignData]) -> str:
    rows = []
    for g in signs:
        row = {"slug": g.slug, "name": g.name}
        if g.synonyms:
            row["synonyms"] = FlowList(g.synonyms)
        rows.append(row)
    return dump_yaml({"signs": rows})


def floors_text(floors: list[FloorData]) -> str:
    return dump_yaml({"phrases": [{"says": f.says, "floor": f.floor} for f in floors]})


def term_data() -> list[TermData]:
    return [
        TermData(slug=t.slug, term=t.term, aliases=t.aliases, definition=t.definition)
        for t in GlossaryTerm.objects.order_by("pk")
    ]


def drug_text(drug: Drug) -> str:
    """One drug's monograph file, read fresh from the database."""
    return monograph_text(monograph_data(Drug.objects.with_monograph().get(pk=drug.pk)))


def export_all(out: Path) -> list[Path]:
    """Write every drug (not pending revisions) and the shared files into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        BANDS_FILE: bands_text(band_data()),
        SIDE_EFFECTS_FILE: effects_text(effect_data()),
        GLOSSARY_FILE: glossary_text(term_data()),
        SIGNS_FILE: signs_text(sign_data()),
        FLOORS_FILE: floors_text(floor_data()),
    }
    if LayTerm.objects.exists():
        files[VOCABULARY_FILE] = vocabulary_text()
    for drug in Drug.objects.live().with_monograph().order_by("slug"):
        files[f"{drug.slug}.md"] = monograph_text(monograph_data(drug))
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
