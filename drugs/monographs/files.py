"""A set of files: folders expanded, every file parsed, and the checks across files."""

from __future__ import annotations

from pathlib import Path

from drugs.models import (
    Urgency,
)
from drugs.monographs.data import ContentSet, HelpRuleData, MonographData, Problem
from drugs.monographs.parse import BAND_REF_RE, parse_monograph
from drugs.monographs.shared_files import (
    BANDS_FILE,
    FLOORS_FILE,
    GLOSSARY_FILE,
    SHARED_FILES,
    SIDE_EFFECTS_FILE,
    SIGNS_FILE,
    VOCABULARY_FILE,
    parse_bands,
    parse_effects,
    parse_floors,
    parse_glossary,
    parse_signs,
    parse_vocabulary,
)


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
