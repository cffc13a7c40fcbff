"""Readability of patient text: Flesch scores, long sentences and medical words with no glossary entry.

Plain functions over text, so the content report and the admin show the same figures.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

import textstat

from drugs.markdown import render_markdown
from drugs.models import SectionKind, Urgency

# content-style.md: sentences of 20 words or fewer.
MAX_SENTENCE_WORDS = 20

# Medical words a patient may not know. Each one used in patient text needs a glossary entry
# (its term or one of its aliases). Lower case; a plural "s" is matched too.
MEDICAL_TERMS = frozenset({
    "abdomen", "abdominal", "acetaminophen", "acute leukaemia", "acute myeloid leukaemia",
    "allergic reaction", "allopurinol", "aml", "anaemia", "anaemic", "anaphylaxis",
    "antiangiogenic", "anticoagulant", "antineoplastic", "aspirin", "basal cell",
    "basal cell skin cancer", "bcg", "biological therapy", "blood pressure", "cell cycle",
    "blood transfusion", "bone marrow", "calcium", "cataract", "chemotherapy", "cholera",
    "cholesterol", "chronic lymphocytic leukaemia", "clinical trial", "cll", "combined pill",
    "contraception", "contraceptive", "contraceptive pill", "coronavirus", "covid",
    "cytokine", "cytolytic", "deep vein thrombosis", "dehydration", "dexamethasone",
    "drip", "dvt", "ecg", "emc", "embolism", "fertility", "flank pain",
    "half-life", "heart attack", "heart rhythm", "heartburn", "hepatitis", "hepatitis b",
    "hormone", "hypersensitivity", "hypothyroidism", "immune system", "immunisation",
    "immunomodulatory", "implant", "indigestion", "inflamed", "inflammation", "interferon",
    "interleukin", "lactose", "lactose intolerance", "laxative", "leukaemia", "libido",
    "live vaccine", "lymph node", "lymphoma", "mantle cell lymphoma", "mcl", "mds",
    "medication guide", "melphalan", "metabolised", "mhra", "mmr", "mouth ulcer", "mumps",
    "measles", "myelodysplastic syndromes", "myeloid", "myeloma", "natural killer cell",
    "neutropenia", "oestrogen", "oral vaccine", "paracetamol", "patient information leaflet",
    "peripheral neuropathy", "petechiae", "pharmacology", "plasma", "platelet",
    "platelet transfusion", "pneumonia", "polio", "potassium", "progesterone",
    "progesterone-only pill", "proinflammatory", "pulmonary embolism", "rasburicase",
    "red blood cell", "rems", "rigors", "rubella", "semen", "shingles", "sodium", "spf",
    "steroid", "stoma", "stroke", "t-cell", "targeted therapy", "thalidomide", "thrombosis",
    "thyroid", "tinnitus", "tls", "transfusion", "tremor", "tumour", "tumour flare",
    "tumour lysis syndrome", "typhoid", "ulcer", "vaccine", "white blood cell",
    "yellow fever", "zostavax",
})  # fmt: skip

# Where one block of text ends: each paragraph, list item, heading or cell is its own sentence.
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Report:
    """Readability figures for one piece of text."""

    words: int
    sentences: int
    reading_ease: float
    grade: float
    long_sentences: tuple[str, ...]
    unexplained_terms: tuple[str, ...]


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def html_to_text(markup: str) -> str:
    """Plain text of HTML. A block without closing punctuation ends with a full stop, so a
    list is read as a list of sentences rather than one long one."""
    blocks = []
    for chunk in _BLOCK_END.split(markup or ""):
        text = collapse(html.unescape(_TAG.sub(" ", chunk)))
        blocks.append(as_sentence(text))
    return " ".join(b for b in blocks if b)


def markdown_to_text(markdown_text: str) -> str:
    return html_to_text(render_markdown(markdown_text))


def as_sentence(text: str) -> str:
    """The text as one sentence. Headings, list items and the line that introduces a list
    ("Signs include:") each count as a sentence of their own."""
    text = text.strip().rstrip(":;").rstrip()
    if text and text[-1] not in ".!?":
        text += "."
    return text


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(collapse(text)) if s]


def long_sentences(text: str, limit: int = MAX_SENTENCE_WORDS) -> list[str]:
    return [s for s in sentences(text) if textstat.lexicon_count(s) > limit]


def _term_pattern() -> re.Pattern:
    # Longest first, so "tumour lysis syndrome" wins over "tumour".
    alternatives = "|".join(re.escape(t) for t in sorted(MEDICAL_TERMS, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})s?(?![\w-])", re.IGNORECASE)


_TERMS = _term_pattern()


def medical_terms_in(text: str) -> set[str]:
    """The medical words (from MEDICAL_TERMS) that the text uses, in lower case."""
    return {m.group(1).lower() for m in _TERMS.finditer(text)}


def glossary_words(terms: Iterable[tuple[str, Iterable[str]]]) -> set[str]:
    """Lower-case words a glossary explains, from (term, aliases) pairs."""
    words = set()
    for term, aliases in terms:
        words.add(term.lower())
        words.update(a.lower() for a in aliases)
    return words


def is_explained(term: str, explained: set[str]) -> bool:
    return term in explained or f"{term}s" in explained or term.rstrip("s") in explained


def unexplained_terms(text: str, explained: set[str]) -> list[str]:
    return sorted(t for t in medical_terms_in(text) if not is_explained(t, explained))


def report_for_text(text: str, explained: set[str]) -> Report:
    """Readability of plain text; `explained` is the glossary's words (see glossary_words)."""
    return Report(
        words=textstat.lexicon_count(text),
        sentences=textstat.sentence_count(text) if text else 0,
        reading_ease=round(textstat.flesch_reading_ease(text), 1) if text else 0.0,
        grade=round(textstat.flesch_kincaid_grade(text), 1) if text else 0.0,
        long_sentences=tuple(long_sentences(text)),
        unexplained_terms=tuple(unexplained_terms(text, explained)),
    )


# --- A drug's page as blocks of text ----------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One part of a drug page, as plain text."""

    label: str
    text: str
    patient_facing: bool = True


def _notes(disagreements) -> list[str]:
    return [html_to_text(note.text_html) for note in disagreements.all()]


def section_text(section) -> str:
    return " ".join(
        [
            as_sentence(section.title),
            html_to_text(section.text_html),
            *_notes(section.disagreements),
        ]
    )


def help_rules_text(rules) -> list[str]:
    """Help rules as their cards show them: one heading per urgency, then each rule."""
    lines, heading = [], None
    for rule in sorted(rules, key=lambda r: Urgency.rank(r.urgency)):
        if rule.level_label != heading:
            heading = rule.level_label
            lines.append(as_sentence(f"{heading} if"))
        lines.append(as_sentence(rule.text))
    return lines


def side_effect_text(item) -> str:
    band = as_sentence(f"{item.band.label}: {item.band.phrase}")
    rules = help_rules_text(item.help_rules.all())
    return " ".join(
        [
            as_sentence(item.effect.name),
            band,
            html_to_text(item.text_html),
            *rules,
            *_notes(item.disagreements),
        ]
    )


def precaution_text(precaution) -> str:
    return " ".join(
        [
            as_sentence(precaution.title),
            html_to_text(precaution.text_html),
            *_notes(precaution.disagreements),
        ]
    )


def drug_blocks(drug) -> list[Block]:
    """The page in parts: each prose section, the side effects, the precautions.

    Expects a drug from Drug.objects.with_monograph(), so this runs no further queries.
    """
    blocks = [
        Block(
            section.title,
            section_text(section),
            patient_facing=section.kind != SectionKind.PROFESSIONALS,
        )
        for section in drug.sections.all()
    ]
    blocks.append(
        Block("Side effects", " ".join(side_effect_text(i) for i in drug.side_effects.all()))
    )
    blocks.append(
        Block("Precautions", " ".join(precaution_text(p) for p in drug.precautions.all()))
    )
    return blocks


def patient_facing_text(blocks: Iterable[Block]) -> str:
    """Everything a patient reads: all blocks except the section for health professionals."""
    return " ".join(b.text for b in blocks if b.patient_facing and b.text)
