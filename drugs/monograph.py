"""Read and validate monograph files into plain data, with a line number for every error.

Knows nothing of the database: the importer turns this data into models, and the
exporter writes it back. See content/README.md for the format.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from drugs.models import (
    DEFAULT_CONTACT,
    AppliesTo,
    PrecautionKind,
    SectionKind,
    SourceDateKind,
    Status,
    Urgency,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BAND_REF_RE = re.compile(r"^([a-z0-9-]+):([a-z0-9-]+)$")
# "## Heading text {#kind sources=a,b}"
SECTION_RE = re.compile(r"^##(?!#)\s*(?P<title>.*?)\s*\{(?P<attrs>[^}]*)\}\s*$")
SECTION_ATTRS_RE = re.compile(r"^#(?P<kind>[a-z-]+)(?:\s+sources=(?P<sources>[A-Za-z0-9_,-]*))?$")

BANDS_FILE = "frequency-bands.yaml"
SIDE_EFFECTS_FILE = "side-effects.yaml"
GLOSSARY_FILE = "glossary.yaml"
VOCABULARY_FILE = "vocabulary.yaml"
SIGNS_FILE = "signs.yaml"
FLOORS_FILE = "urgency-floors.yaml"
SHARED_FILES = (
    BANDS_FILE,
    SIDE_EFFECTS_FILE,
    GLOSSARY_FILE,
    VOCABULARY_FILE,
    SIGNS_FILE,
    FLOORS_FILE,
)


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


# --- Plain data -------------------------------------------------------------------------


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


# --- YAML with line numbers ---------------------------------------------------------------


STR_TAG = "tag:yaml.org,2002:str"


class Node:
    """A YAML value with the line it starts on (1-based, in the file)."""

    __slots__ = ("value", "line", "key_lines")

    def __init__(self, value, line, key_lines=None):
        self.value = value
        self.line = line
        self.key_lines = key_lines or {}


def _load_yaml(text: str, path: str, first_line: int, problems: list[Problem]) -> Node | None:
    """Parse YAML into Nodes; line numbers are offset so they point into the whole file."""
    # libyaml's parser when PyYAML has it: the same nodes and marks, about six times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, line, "yaml", f"YAML syntax error: {reason}"))
        return None
    finally:
        loader.dispose()
    if root is None:
        return None

    seen: set[int] = set()

    def convert(node, used_at: int = 0) -> Node:
        line = first_line + node.start_mark.line
        if id(node) in seen:
            # An alias: a few of them can nest into millions of values (an "alias bomb").
            # Its node is the anchor's, so the line is where the alias is used.
            raise _AliasFound(used_at or line)
        seen.add(id(node))
        if node.tag == STR_TAG and isinstance(node, yaml.ScalarNode):
            # Most of a monograph is plain text: take it as is rather than through the
            # constructor's general machinery (the same value, several times faster).
            return Node(node.value, line)
        if isinstance(node, yaml.MappingNode):
            value, key_lines = {}, {}
            for key_node, value_node in node.value:
                if key_node.tag == STR_TAG and isinstance(key_node, yaml.ScalarNode):
                    key = key_node.value
                else:
                    key = loader.construct_object(key_node, deep=True)
                key_line = first_line + key_node.start_mark.line
                if not isinstance(key, str):
                    problems.append(Problem(path, key_line, str(key), "field names must be text"))
                    continue
                if key in value:
                    problems.append(Problem(path, key_line, key, "field given twice"))
                    continue
                value[key] = convert(value_node, key_line)
                key_lines[key] = key_line
            return Node(value, line, key_lines)
        if isinstance(node, yaml.SequenceNode):
            return Node([convert(item, line) for item in node.value], line)
        try:
            return Node(loader.construct_object(node, deep=True), line)
        except (yaml.YAMLError, ValueError):
            # e.g. an impossible date: keep the text so the field's own check names it.
            return Node(node.value, line)

    try:
        return convert(root)
    except _AliasFound as found:
        problems.append(
            Problem(
                path,
                found.line,
                "yaml",
                "YAML anchors and aliases (&name, *name) are not allowed: write the value out",
            )
        )
        return None


class _AliasFound(Exception):
    def __init__(self, line: int):
        self.line = line


class Fields:
    """Reads the fields of one YAML mapping, recording a problem for each bad one."""

    def __init__(self, node: Node, where: str, path: str, problems: list[Problem]):
        self.node, self.where, self.path, self.problems = node, where, path, problems
        self.ok = isinstance(node.value, dict)
        if not self.ok:
            self.fail(node.line, where or "front matter", "must be a set of `field: value` lines")

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, name, message))

    def line_of(self, key: str) -> int:
        return self.node.key_lines.get(key, self.node.line) if self.ok else self.node.line

    def only(self, allowed: set[str]) -> None:
        if not self.ok:
            return
        for key in self.node.value:
            if key not in allowed:
                self.fail(
                    self.line_of(key),
                    self.name(key),
                    f"unknown field; allowed: {', '.join(sorted(allowed))}",
                )

    def raw(self, key: str, required: bool) -> Node | None:
        if not self.ok:
            return None
        node = self.node.value.get(key)
        if node is None or node.value is None or node.value == "" or node.value == []:
            if required:
                self.fail(self.node.line, self.name(key), "required field is missing or empty")
            return None
        return node

    def text(self, key: str, required: bool = True, max_length: int | None = None) -> str:
        node = self.raw(key, required)
        if node is None:
            return ""
        if isinstance(node.value, bool) or not isinstance(node.value, str | int | float):
            self.fail(node.line, self.name(key), "must be text")
            return ""
        value = str(node.value).strip()
        if max_length and len(value) > max_length:
            self.fail(node.line, self.name(key), f"longer than {max_length} characters")
        return value

    def slug(self, key: str, required: bool = True) -> str:
        value = self.text(key, required)
        if value and not SLUG_RE.match(value):
            self.fail(
                self.line_of(key),
                self.name(key),
                f"{value!r} is not a slug: use a-z, 0-9 and single hyphens",
            )
        return value

    def choice(self, key: str, choices: list[str], default: str = "") -> str:
        value = self.text(key, required=not default) or default
        if value and value not in choices:
            self.fail(
                self.line_of(key), self.name(key), f"{value!r} is not one of: {', '.join(choices)}"
            )
        return value

    def date(self, key: str, required: bool = True) -> datetime.date | None:
        node = self.raw(key, required)
        if node is None:
            return None
        value = node.value
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(node.line, self.name(key), f"{value!r} is not a date: use YYYY-MM-DD")
            return None

    def boolean(self, key: str) -> bool:
        node = self.raw(key, required=False)
        if node is None:
            return False
        if not isinstance(node.value, bool):
            self.fail(node.line, self.name(key), "must be true or false")
            return False
        return node.value

    def number(self, key: str, required: bool = False, low=None, high=None) -> Decimal | None:
        node = self.raw(key, required)
        if node is None:
            return None
        if isinstance(node.value, bool):
            self.fail(node.line, self.name(key), "must be a number")
            return None
        try:
            value = Decimal(str(node.value).strip().rstrip("%"))
        except InvalidOperation:
            self.fail(node.line, self.name(key), f"{node.value!r} is not a number")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(node.line, self.name(key), f"{value} is outside {low} to {high}")
            return None
        return value

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.number(key, required=True, low=low, high=high)
        if value is not None and value != int(value):
            self.fail(self.line_of(key), self.name(key), "must be a whole number")
            return None
        return None if value is None else int(value)

    def strings(self, key: str, required: bool = False) -> list[str]:
        node = self.raw(key, required)
        if node is None:
            return []
        items = node.value if isinstance(node.value, list) else None
        if items is None or any(not isinstance(i.value, str) or not i.value.strip() for i in items):
            self.fail(node.line, self.name(key), "must be a list of text, e.g. [a, b]")
            return []
        return [i.value.strip() for i in items]

    def mappings(self, key: str, required: bool = False) -> list[tuple[Node, str]]:
        node = self.raw(key, required)
        if node is None:
            return []
        if not isinstance(node.value, list):
            self.fail(node.line, self.name(key), "must be a list of entries starting with `- `")
            return []
        return [(item, f"{self.name(key)}[{i}]") for i, item in enumerate(node.value)]


# --- Monographs ---------------------------------------------------------------------------

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
    root = _load_yaml(front, path, 2, problems)
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
    source_keys = _unique(data.sources, "key", "sources", "id", path, problems)

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
                says=_phrase(r, "says", 60),
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
    _unique(
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
    _unique(data.precautions, "title", "precautions", "title", path, problems)

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
    _unique(sections, "kind", "section", "kind", path, problems, "section kind used twice")
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


def _unique(items, attr, where, field_name, path, problems, message=None) -> set:
    seen = set()
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if not value:
            continue
        if value in seen:
            problems.append(
                Problem(
                    path,
                    item.line,
                    f"{where}[{i}].{field_name}",
                    message or f"{value!r} is used twice",
                )
            )
        seen.add(value)
    return seen


# --- Shared files -------------------------------------------------------------------------


def _load_shared(path: str, top_key: str, problems: list[Problem]) -> list[tuple[Node, str]] | None:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, "file", f"cannot read: {exc}"))
        return None
    if not text.strip():
        problems.append(Problem(path, 1, "file", "the file is empty"))
        return None
    root = _load_yaml(text, path, 1, problems)
    if root is None:
        return None
    f = Fields(root, "", path, problems)
    f.only({top_key})
    return f.mappings(top_key, required=True)


def parse_bands(path: str) -> tuple[list[BandData], list[Problem]]:
    problems: list[Problem] = []
    bands: list[BandData] = []
    for node, where in _load_shared(path, "scales", problems) or []:
        s = Fields(node, where, path, problems)
        if not s.ok:
            continue
        s.only({"scale", "source", "bands"})
        scale = s.slug("scale")
        for rank, (band_node, band_where) in enumerate(s.mappings("bands", required=True), start=1):
            b = Fields(band_node, band_where, path, problems)
            if not b.ok:
                continue
            b.only({"key", "label", "phrase", "min_per_100", "max_per_100", "standard"})
            band = BandData(
                scale=scale,
                key=b.slug("key"),
                label=b.text("label", max_length=80),
                phrase=b.text("phrase", max_length=200),
                rank=rank,
                min_per_100=b.number("min_per_100", low=0, high=100),
                max_per_100=b.number("max_per_100", low=0, high=100),
                standard=b.slug("standard", required=scale != "standard"),
                line=band_node.line,
            )
            if scale == "standard" and band.standard:
                b.fail(
                    b.line_of("standard"),
                    b.name("standard"),
                    "bands on the standard scale do not map",
                )
            if (
                band.min_per_100 is not None
                and band.max_per_100 is not None
                and band.min_per_100 > band.max_per_100
            ):
                b.fail(band_node.line, b.name("min_per_100"), "is greater than max_per_100")
            bands.append(band)
    _unique(bands, "reference", "scales", "key", path, problems)
    standard = {b.key for b in bands if b.scale == "standard"}
    if bands and not standard:
        problems.append(Problem(path, 1, "scales", "there must be a `standard` scale"))
    for band in bands:
        if band.standard and standard and band.standard not in standard:
            problems.append(
                Problem(
                    path,
                    band.line,
                    f"{band.reference}.standard",
                    f"unknown standard band {band.standard!r}",
                )
            )
    return bands, problems


def _parse_list(path: str, top_key: str, fields: set[str], build, unique: str):
    """A shared file's list of entries: each read by build(Fields, node), unique by `unique`."""
    problems: list[Problem] = []
    items = []
    for node, where in _load_shared(path, top_key, problems) or []:
        f = Fields(node, where, path, problems)
        if not f.ok:
            continue
        f.only(fields)
        items.append(build(f, node))
    _unique(items, unique, top_key, unique, path, problems)
    return items, problems


def parse_effects(path: str) -> tuple[list[EffectData], list[Problem]]:
    return _parse_list(
        path,
        "side_effects",
        {"slug", "name", "also_called", "lay_names", "synonyms"},
        lambda e, node: EffectData(
            slug=e.slug("slug"),
            name=e.text("name", max_length=120),
            also_called=e.strings("also_called"),
            lay_names=e.strings("lay_names"),
            synonyms=e.strings("synonyms"),
            line=node.line,
        ),
        "slug",
    )


def _term(t: Fields, node: Node) -> TermData:
    term = t.text("term", max_length=120)
    return TermData(
        slug=t.slug("slug", required=False) or slugify_term(term),
        term=term,
        aliases=t.strings("aliases"),
        definition=t.text("definition"),
        line=node.line,
    )


def parse_glossary(path: str) -> tuple[list[TermData], list[Problem]]:
    return _parse_list(path, "terms", {"term", "slug", "aliases", "definition"}, _term, "slug")


def _phrase(f: Fields, key: str, max_length: int) -> str:
    """Lower-case with single spaces: queries and rules are matched against it that way."""
    return " ".join(f.text(key, max_length=max_length).lower().split())


def parse_vocabulary(path: str) -> tuple[list[LayTermData], list[Problem]]:
    return _parse_list(
        path,
        "lay_terms",
        {"phrase", "means"},
        lambda t, node: LayTermData(
            phrase=_phrase(t, "phrase", 80),
            means=t.strings("means", required=True),
            line=node.line,
        ),
        "phrase",
    )


def parse_signs(path: str) -> tuple[list[SignData], list[Problem]]:
    return _parse_list(
        path,
        "signs",
        {"slug", "name", "synonyms"},
        lambda g, node: SignData(
            slug=g.slug("slug"),
            name=g.text("name", max_length=120),
            synonyms=g.strings("synonyms"),
            line=node.line,
        ),
        "slug",
    )


def parse_floors(path: str) -> tuple[list[FloorData], list[Problem]]:
    return _parse_list(
        path,
        "phrases",
        {"says", "floor"},
        lambda f, node: FloorData(
            says=_phrase(f, "says", 60),
            floor=f.choice("floor", Urgency.values),
            line=node.line,
        ),
        "says",
    )


def slugify_term(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


# --- A set of files -----------------------------------------------------------------------


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Turn folders into the monographs and shared files they hold, in a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.glob("*.md") if p.name.lower() != "readme.md")
            files += [path / name for name in SHARED_FILES if (path / name).is_file()]
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 0, "path", "no such file or folder"))
    return files, problems


def read_content(files: list[Path], progress=None) -> tuple[ContentSet, list[Problem]]:
    """Parse every file and check what can be checked without a database."""
    content = ContentSet()
    problems: list[Problem] = []
    for number, path in enumerate(files, start=1):
        name = path.name
        if name == BANDS_FILE:
            content.bands, found = parse_bands(str(path))
        elif name == SIDE_EFFECTS_FILE:
            content.effects, found = parse_effects(str(path))
        elif name == GLOSSARY_FILE:
            content.terms, found = parse_glossary(str(path))
        elif name == VOCABULARY_FILE:
            content.vocabulary, found = parse_vocabulary(str(path))
        elif name == SIGNS_FILE:
            content.signs, found = parse_signs(str(path))
        elif name == FLOORS_FILE:
            content.floors, found = parse_floors(str(path))
        elif path.suffix.lower() in (".md", ".markdown"):
            data, found = parse_monograph(path)
            if data:
                content.monographs.append(data)
        else:
            found = [
                Problem(
                    str(path),
                    0,
                    "path",
                    f"not a monograph (.md) or one of {', '.join(SHARED_FILES)}",
                )
            ]
        problems += found
        if progress:
            progress(number, len(files))

    by_slug: dict[str, MonographData] = {}
    for data in content.monographs:
        if data.slug in by_slug:
            first = by_slug[data.slug]
            problems.append(
                Problem(data.path, 2, "slug", f"{data.slug!r} is also the slug of {first.path}")
            )
        else:
            by_slug[data.slug] = data
    return content, problems


def check_references(
    content: ContentSet,
    known_bands: set[str],
    known_effects: set[str],
    known_signs: set[str] = frozenset(),
    known_floors: dict[str, str] | None = None,
) -> list[Problem]:
    """Check what monographs name exists (in these files or already loaded), and that no help
    rule is less urgent than its source's words allow or more urgent without a stated reason."""
    bands = {b.reference for b in content.bands} if content.bands is not None else known_bands
    effects = {e.slug for e in content.effects} if content.effects is not None else known_effects
    signs = {g.slug for g in content.signs} if content.signs is not None else known_signs
    floors = (
        {f.says: f.floor for f in content.floors}
        if content.floors is not None
        else (known_floors or {})
    )
    problems = []
    for data in content.monographs:
        for line, where, band, effect in data.refs():
            if band and BAND_REF_RE.match(band) and band not in bands:
                problems.append(
                    Problem(
                        data.path,
                        line,
                        f"{where}.band",
                        f"unknown frequency band {band!r}; see {BANDS_FILE}",
                    )
                )
            if effect and effect not in effects:
                problems.append(
                    Problem(
                        data.path,
                        line,
                        f"{where}.effect",
                        f"unknown side effect {effect!r}; add it to {SIDE_EFFECTS_FILE}",
                    )
                )
        for where, rule in data.rules():
            problems += _check_rule(data.path, where, rule, signs, floors)
    return problems


def _check_rule(path, where, rule: HelpRuleData, signs, floors) -> list[Problem]:
    found = []
    if rule.sign and rule.sign not in signs:
        found.append(
            Problem(
                path,
                rule.line,
                f"{where}.sign",
                f"unknown sign {rule.sign!r}; add it to {SIGNS_FILE}",
            )
        )
    if not rule.says or not rule.urgency:
        return found
    floor = floors.get(rule.says)
    if floor is None:
        found.append(
            Problem(
                path,
                rule.line,
                f"{where}.says",
                f"{rule.says!r} is not in {FLOORS_FILE}; use the source's own words about "
                f"timing from that table: {', '.join(sorted(floors)) or 'none loaded'}",
            )
        )
        return found
    if Urgency.weaker(rule.urgency, floor):
        found.append(
            Problem(
                path,
                rule.line,
                f"{where}.urgency",
                f"{rule.urgency!r} is less urgent than the source's {rule.says!r} allows "
                f"(at least {floor!r}); never lower a level",
            )
        )
    elif Urgency.weaker(floor, rule.urgency):
        if not rule.escalation_reason or not rule.escalation_source:
            found.append(
                Problem(
                    path,
                    rule.line,
                    f"{where}.escalation",
                    f"{rule.urgency!r} is more urgent than the source's {rule.says!r} "
                    f"({floor!r}): give escalation.reason and escalation.source (a source that "
                    "supports acting sooner)",
                )
            )
    elif rule.escalation_reason or rule.escalation_source:
        found.append(
            Problem(
                path,
                rule.line,
                f"{where}.escalation",
                f"{rule.urgency!r} is what the source's {rule.says!r} asks for: this is not an "
                "escalation, so remove it",
            )
        )
    return found
