"""The shared files: frequency bands, side effects, glossary, vocabulary, signs, urgency floors."""

from __future__ import annotations

import re
from pathlib import Path

from drugs.models import (
    Urgency,
)
from drugs.monographs.data import (
    BandData,
    EffectData,
    FloorData,
    LayTermData,
    Problem,
    SignData,
    TermData,
)
from drugs.monographs.lined_yaml import Fields, Node, load_yaml, unique

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


def _load_shared(path: str, top_key: str, problems: list[Problem]) -> list[tuple[Node, str]] | None:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, "file", f"cannot read: {exc}"))
        return None
    if not text.strip():
        problems.append(Problem(path, 1, "file", "the file is empty"))
        return None
    root = load_yaml(text, path, 1, problems)
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
    unique(bands, "reference", "scales", "key", path, problems)
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


def _parse_list(path: str, top_key: str, fields: set[str], build, key: str):
    """A shared file's list of entries: each read by build(Fields, node), unique by `key`."""
    problems: list[Problem] = []
    items = []
    for node, where in _load_shared(path, top_key, problems) or []:
        f = Fields(node, where, path, problems)
        if not f.ok:
            continue
        f.only(fields)
        items.append(build(f, node))
    unique(items, key, top_key, key, path, problems)
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


def parse_vocabulary(path: str) -> tuple[list[LayTermData], list[Problem]]:
    return _parse_list(
        path,
        "lay_terms",
        {"phrase", "means"},
        lambda t, node: LayTermData(
            phrase=t.phrase("phrase", 80),
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
            says=f.phrase("says", 60),
            floor=f.choice("floor", Urgency.values),
            line=node.line,
        ),
        "says",
    )


def slugify_term(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")
