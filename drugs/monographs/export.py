"""The database -> plain data: the exact inverse of the importer (drugs.monographs.importer)."""

from __future__ import annotations

from pathlib import Path

from drugs.models import (
    STANDARD_SCALE,
    Drug,
    FrequencyBand,
    GlossaryTerm,
    LayTerm,
    SideEffect,
    Sign,
    TimingPhrase,
)
from drugs.monographs.data import (
    BandData,
    DisagreementData,
    EffectData,
    FloorData,
    HelpRuleData,
    LayTermData,
    MonographData,
    PrecautionData,
    SectionData,
    SideEffectData,
    SignData,
    SourceData,
    TermData,
    canonical,
)
from drugs.monographs.shared_files import (
    BANDS_FILE,
    FLOORS_FILE,
    GLOSSARY_FILE,
    SIDE_EFFECTS_FILE,
    SIGNS_FILE,
    VOCABULARY_FILE,
)
from drugs.monographs.write import (
    bands_text,
    effects_text,
    floors_text,
    glossary_text,
    monograph_text,
    signs_text,
    vocabulary_text,
)


def _by_order(items):
    return sorted(items, key=lambda o: (o.order, o.pk))


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


def term_data() -> list[TermData]:
    return [
        TermData(slug=t.slug, term=t.term, aliases=t.aliases, definition=t.definition)
        for t in GlossaryTerm.objects.order_by("pk")
    ]


def sign_data() -> list[SignData]:
    return [
        SignData(slug=g.slug, name=g.name, synonyms=g.synonyms) for g in Sign.objects.order_by("pk")
    ]


def floor_data() -> list[FloorData]:
    return [FloorData(says=f.phrase, floor=f.floor) for f in TimingPhrase.objects.order_by("pk")]


def lay_term_data() -> list[LayTermData]:
    return [LayTermData(phrase=t.phrase, means=t.means) for t in LayTerm.objects.order_by("pk")]


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
        files[VOCABULARY_FILE] = vocabulary_text(lay_term_data())
    for drug in Drug.objects.live().with_monograph().order_by("slug"):
        files[f"{drug.slug}.md"] = monograph_text(monograph_data(drug))
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
