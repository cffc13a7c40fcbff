"""Parse one monograph file into MonographData: front matter, help rules, sections."""

from __future__ import annotations

import re
from pathlib import Path

from drugs.models import (
    DEFAULT_CONTACT,
    AppliesTo,
    PrecautionKind,
    SectionKind,
    SourceDateKind,
    Status,
    Urgency,
)
from drugs.monographs.data import (
    DisagreementData,
    HelpRuleData,
    MonographData,
    PrecautionData,
    Problem,
    SectionData,
    SideEffectData,
    SourceData,
)
from drugs.monographs.lined_yaml import Fields, load_yaml, unique

BAND_REF_RE = re.compile(r"^([a-z0-9-]+):([a-z0-9-]+)$")
# "## Heading text {#kind sources=a,b}"
SECTION_RE = re.compile(r"^##(?!#)\s*(?P<title>.*?)\s*\{(?P<attrs>[^}]*)\}\s*$")
SECTION_ATTRS_RE = re.compile(r"^#(?P<kind>[a-z-]+)(?:\s+sources=(?P<sources>[A-Za-z0-9_,-]*))?$")


MONOGRAPH_FIELDS = {
    "slug", "name", "brand_names", "pronunciation", "treats", "summary", "status",
    "last_reviewed", "next_review_due", "cycle", "contact", "editorial_notes", "sources",
    "side_effects", "precautions", "disagreements",
}  # fmt: skip


def split_front_matter(
    text: str, path: str, problems: list[Problem]
) -> tuple[str, str, int] | None:
    """Return (front matter, body, line the body starts on) or None with a problem recorded."""
    if not text.strip():
        problems.append(Problem(path, 1, "file", "the file is empty"))
        return None
    lines = text.splitlines()
    if lines[0].strip() != "---":
        problems.append(
            Problem(
                path,
                1,
                "front matter",
                "the file must start with a line `---` opening the front matter",
            )
        )
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    problems.append(
        Problem(path, 1, "front matter", "no closing `---` line after the front matter")
    )
    return None


def parse_monograph(
    path: Path | str, text: str | None = None
) -> tuple[MonographData | None, list[Problem]]:
    """Parse one monograph file; returns its data (or None) and every problem found."""
    path = str(path)
    problems: list[Problem] = []
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Problem(path, 1, "file", f"cannot read: {exc}")]
    parts = split_front_matter(text, path, problems)
    if parts is None:
        return None, problems
    front, body, body_line = parts
    root = load_yaml(front, path, 2, problems)
    if problems:
        return None, problems
    if root is None:
        return None, [Problem(path, 2, "front matter", "the front matter is empty")]

    f = Fields(root, "", path, problems)
    if not f.ok:
        return None, problems
    f.only(MONOGRAPH_FIELDS)
    data = MonographData(
        path=path,
        slug=f.slug("slug"),
        name=f.text("name", max_length=120),
        brand_names=f.strings("brand_names"),
        pronunciation=f.text("pronunciation", required=False, max_length=120),
        treats=f.text("treats", max_length=300),
        summary=f.text("summary"),
        status=f.choice("status", Status.values),
        last_reviewed=f.date("last_reviewed"),
        next_review_due=f.date("next_review_due"),
        contact=f.text("contact", required=False, max_length=200) or DEFAULT_CONTACT,
        editorial_notes=f.text("editorial_notes", required=False),
        line=f.line_of("slug"),
    )
    if data.last_reviewed and data.next_review_due and data.next_review_due < data.last_reviewed:
        f.fail(f.line_of("next_review_due"), "next_review_due", "is before last_reviewed")

    cycle = f.raw("cycle", required=False)
    if cycle is not None:
        c = Fields(cycle, "cycle", path, problems)
        if c.ok:
            c.only({"days_on", "days_off"})
            data.cycle_days_on = c.integer("days_on", 1, 366)
            data.cycle_days_off = c.integer("days_off", 0, 366)

    for node, where in f.mappings("sources", required=True):
        s = Fields(node, where, path, problems)
        if not s.ok:
            continue
        s.only(
            {
                "id", "publisher", "publisher_named", "title", "date", "date_kind",
                "next_review", "about", "url", "file",
            }
        )  # fmt: skip
        data.sources.append(
            SourceData(
                key=s.slug("id"),
                publisher=s.text("publisher", max_length=200),
                publisher_named=not s.raw("publisher_named", False) or s.boolean("publisher_named"),
                title=s.text("title", max_length=300),
                date=s.date("date", required=False),
                date_kind=s.choice("date_kind", SourceDateKind.values, SourceDateKind.UPDATED),
                next_review=s.date("next_review", required=False),
                about=s.text("about", required=False, max_length=300),
                url=s.text("url", required=False),
                file=s.text("file", required=False, max_length=200),
                line=node.line,
            )
        )
    source_keys = unique(data.sources, "key", "sources", "id", path, problems)

    def source_list(fields: Fields, minimum: int = 1) -> list[str]:
        keys = fields.strings("sources", required=True)
        for key in keys:
            if key not in source_keys:
                fields.fail(
                    fields.line_of("sources"),
                    fields.name("sources"),
                    f"unknown source id {key!r}; declared: {', '.join(sorted(source_keys)) or 'none'}",
                )
        if len(set(keys)) != len(keys):
            fields.fail(
                fields.line_of("sources"), fields.name("sources"), "a source is listed twice"
            )
        if keys and len(set(keys)) < minimum:
            fields.fail(
                fields.line_of("sources"),
                fields.name("sources"),
                f"name at least {minimum} different sources",
            )
        return keys

    def disagreements(fields: Fields, key: str, top_level: bool) -> list[DisagreementData]:
        found = []
        for node, where in fields.mappings(key):
            d = Fields(node, where, path, problems)
            if not d.ok:
                continue
            d.only(
                {"topic", "sources", "text", "section"}
                if top_level
                else {"topic", "sources", "text"}
            )
            found.append(
                DisagreementData(
                    topic=d.text("topic", max_length=200),
                    text=d.text("text"),
                    sources=source_list(d, minimum=2),
                    section=d.choice("section", SectionKind.values) if top_level else "",
                    line=node.line,
                )
            )
        return found

    def help_rules(fields: Fields, entry_sources: list[str]) -> list[HelpRuleData]:
        found = []
        for node, where in fields.mappings("get_help"):
            r = Fields(node, where, path, problems)
            if not r.ok:
                continue
            r.only(
                {
                    "sign", "when", "threshold", "condition", "urgency", "says", "source",
                    "escalation",
                }
            )  # fmt: skip
            rule = HelpRuleData(
                sign=r.slug("sign"),
                urgency=r.choice("urgency", Urgency.values),
                text=r.text("when", max_length=300),
                threshold=r.text("threshold", required=False, max_length=80),
                condition=r.text("condition", required=False, max_length=120),
                # Lower-case, as the floors table keeps its phrases.
                says=r.phrase("says", 60),
                source=r.slug("source", required=len(entry_sources) != 1),
                line=node.line,
            )
            if rule.threshold and rule.text and rule.threshold not in rule.text:
                # The page shows the rule's words; the threshold must be among them.
                r.fail(
                    r.line_of("threshold"),
                    r.name("threshold"),
                    f"{rule.threshold!r} is not in the rule's `when` text",
                )
            if not rule.source and len(entry_sources) == 1:
                rule.source = entry_sources[0]
            elif rule.source and rule.source not in entry_sources:
                r.fail(
                    r.line_of("source"),
                    r.name("source"),
                    f"{rule.source!r} is not one of this entry's sources "
                    f"({', '.join(entry_sources)}): the source that says it must be cited",
                )
            escalation = r.raw("escalation", required=False)
            if escalation is not None:
                e = Fields(escalation, r.name("escalation"), path, problems)
                if e.ok:
                    e.only({"reason", "source"})
                    rule.escalation_reason = e.text("reason")
                    rule.escalation_source = e.slug("source")
                    if rule.escalation_source and rule.escalation_source not in source_keys:
                        e.fail(
                            e.line_of("source"),
                            e.name("source"),
                            f"unknown source id {rule.escalation_source!r}; declared: "
                            f"{', '.join(sorted(source_keys)) or 'none'}",
                        )
            found.append(rule)
        return found

    for node, where in f.mappings("side_effects"):
        s = Fields(node, where, path, problems)
        if not s.ok:
            continue
        s.only(
            {"effect", "heading", "band", "figure", "sources", "text", "get_help", "disagreements"}
        )
        item = SideEffectData(
            effect=s.slug("effect"),
            heading=s.text("heading", required=False, max_length=120),
            band=s.text("band"),
            text=s.text("text"),
            sources=source_list(s),
            line=node.line,
        )
        if item.band and not BAND_REF_RE.match(item.band):
            s.fail(
                s.line_of("band"),
                s.name("band"),
                f"{item.band!r} must look like <scale>:<band>, e.g. cruk:common",
            )
        figure = s.raw("figure", required=False)
        if figure is not None:
            fg = Fields(figure, s.name("figure"), path, problems)
            if fg.ok:
                fg.only({"percent", "natural"})
                item.figure_percent = fg.number("percent", low=0, high=100)
                item.figure_text = fg.text("natural", required=False, max_length=80)
                if (
                    item.figure_percent is None
                    and not item.figure_text
                    and "percent" not in figure.value
                ):
                    fg.fail(figure.line, fg.name("natural"), "give percent, natural or both")
        item.help_rules = help_rules(s, item.sources)
        item.disagreements = disagreements(s, "disagreements", top_level=False)
        data.side_effects.append(item)
    unique(
        data.side_effects,
        "effect",
        "side_effects",
        "effect",
        path,
        problems,
        "side effect listed twice for this drug",
    )

    for node, where in f.mappings("precautions"):
        p = Fields(node, where, path, problems)
        if not p.ok:
            continue
        p.only(
            {
                "kind", "applies_to", "title", "warning", "sources", "text", "get_help",
                "disagreements",
            }
        )  # fmt: skip
        sources = source_list(p)
        data.precautions.append(
            PrecautionData(
                kind=p.choice("kind", PrecautionKind.values),
                applies_to=p.choice("applies_to", AppliesTo.values, default=AppliesTo.EVERYONE),
                title=p.text("title", max_length=200),
                warning=p.boolean("warning"),
                sources=sources,
                text=p.text("text"),
                help_rules=help_rules(p, sources),
                disagreements=disagreements(p, "disagreements", top_level=False),
                line=node.line,
            )
        )
    unique(data.precautions, "title", "precautions", "title", path, problems)

    problems += sign_contradictions(data)
    data.disagreements = disagreements(f, "disagreements", top_level=True)
    data.sections = _parse_sections(body, body_line, path, source_keys, problems)
    section_kinds = {s.kind for s in data.sections}
    for d in data.disagreements:
        if d.section and d.section not in section_kinds:
            problems.append(
                Problem(
                    path,
                    d.line,
                    "disagreements.section",
                    f"there is no {d.section!r} section in the body",
                )
            )

    return (None if problems else data), problems


def sign_contradictions(data: MonographData) -> list[Problem]:
    """One sign on two levels of one drug, unless each rule states what separates them."""
    by_sign: dict[str, list[tuple[str, HelpRuleData]]] = {}
    for where, rule in data.rules():
        if rule.sign and rule.urgency:
            by_sign.setdefault(rule.sign, []).append((where, rule))
    problems = []
    for sign, rules in by_sign.items():
        if len({rule.urgency for _, rule in rules}) < 2:
            continue
        for where, rule in rules:
            others = [(w, r) for w, r in rules if r.urgency != rule.urgency and r is not rule]
            if not rule.condition:
                problems.append(
                    Problem(
                        data.path,
                        rule.line,
                        f"{where}.condition",
                        f"sign {sign!r} is also on another level (line "
                        f"{', '.join(str(r.line) for _, r in others)}): give each rule the "
                        'condition that separates them, e.g. "with a temperature"',
                    )
                )
            elif any(r.condition == rule.condition for _, r in others):
                problems.append(
                    Problem(
                        data.path,
                        rule.line,
                        f"{where}.condition",
                        f"sign {sign!r} has the same condition on two levels",
                    )
                )
    return problems


def _parse_sections(
    body: str, first_line: int, path: str, source_keys: set[str], problems: list[Problem]
) -> list[SectionData]:
    sections: list[SectionData] = []
    current: SectionData | None = None
    lines: list[str] = []
    in_fence = False

    def close():
        if current is not None:
            current.text = "\n".join(lines).strip()
            if not current.text:
                problems.append(
                    Problem(
                        path, current.line, f"section {current.kind}", "the section has no text"
                    )
                )
            sections.append(current)

    for offset, line in enumerate(body.splitlines()):
        number = first_line + offset
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and re.match(r"^##(?!#)", line):
            close()
            lines = []
            current = _section_heading(line, number, path, source_keys, problems)
            continue
        if current is None:
            if line.strip():
                problems.append(
                    Problem(
                        path,
                        number,
                        "body",
                        "text before the first `## Heading {#kind sources=...}` line",
                    )
                )
                current = SectionData(kind="", title="", text="", sources=[], line=number)
            continue
        lines.append(line)
    close()
    sections = [s for s in sections if s.kind]
    unique(sections, "kind", "section", "kind", path, problems, "section kind used twice")
    return sections


def _section_heading(
    line: str, number: int, path: str, source_keys: set[str], problems: list[Problem]
) -> SectionData:
    match = SECTION_RE.match(line)
    attrs = SECTION_ATTRS_RE.match(match.group("attrs").strip()) if match else None
    if not match or not attrs or not match.group("title"):
        problems.append(
            Problem(
                path, number, "section", "a heading must look like `## Title {#kind sources=id,id}`"
            )
        )
        return SectionData(kind="", title="", text="", sources=[], line=number)
    kind = attrs.group("kind")
    if kind not in SectionKind.values:
        problems.append(
            Problem(
                path,
                number,
                "section",
                f"{kind!r} is not a section kind; use one of: {', '.join(SectionKind.values)}",
            )
        )
    sources = [s for s in (attrs.group("sources") or "").split(",") if s]
    if not sources:
        problems.append(
            Problem(
                path,
                number,
                f"section {kind}.sources",
                "name the section's sources: {#kind sources=id}",
            )
        )
    for key in sources:
        if key not in source_keys:
            problems.append(
                Problem(path, number, f"section {kind}.sources", f"unknown source id {key!r}")
            )
    return SectionData(
        kind=kind if kind in SectionKind.values else "",
        title=match.group("title"),
        text="",
        sources=sources,
        line=number,
    )
