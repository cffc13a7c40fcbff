"""Plain data -> monograph and shared files, deterministic, so reading them back gives the same data.

Reading what this writes gives back the same data, so import -> export -> import -> export
produces byte-identical files. See content/README.md for the format.
"""

from __future__ import annotations

from decimal import Decimal

import yaml

from drugs.models import (
    DEFAULT_CONTACT,
    AppliesTo,
    SourceDateKind,
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
    SideEffectData,
    SignData,
    SourceData,
    TermData,
)
from drugs.monographs.shared_files import slugify_term


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


def vocabulary_text(terms: list[LayTermData]) -> str:
    rows = [{"phrase": t.phrase, "means": FlowList(t.means)} for t in terms]
    return dump_yaml({"lay_terms": rows})
