"""Keeps the search documents in step with the content.

One mechanism per way content changes: the importer calls replace_drug_documents() as it writes
(it bulk-creates rows, which sends no signals), and signal handlers here cover
edits made one object at a time, as in the admin. The database's own triggers then keep the
full-text index in step with the documents.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import NamedTuple

from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import post_delete, post_save
from django.utils.html import strip_tags

from drugs.bulk import insert
from drugs.models import (
    AppliesTo,
    Drug,
    DrugSideEffect,
    GlossaryTerm,
    HelpRule,
    Precaution,
    PrecautionKind,
    SearchDocument,
    SearchKind,
    SearchWord,
    Section,
    SectionKind,
    SideEffect,
)
from drugs.pages.anchors import (
    OVERVIEW,
    SECTION_PARTS,
    SIDE_EFFECTS_PART,
    part_url,
    precaution_anchor,
    precaution_part,
    section_anchor,
    side_effect_anchor,
)
from drugs.search.engine import backend
from drugs.search.text import fold, words

# Drugs rebuilt per round of queries in a full rebuild.
CHUNK = 200
MAX_WORD_LENGTH = 120

_paused: ContextVar[bool] = ContextVar("search_index_paused", default=False)


@contextmanager
def paused():
    """Ignore content signals (the importer updates the index itself, once, at the end)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def _delete(queryset) -> None:
    """Delete in one statement. Nothing points at search rows, so no cascade is skipped; and a
    plain delete() would fetch every row to send post_delete (drugs.page_cache listens to all)."""
    queryset._raw_delete(queryset.db)


# The markup the Markdown renderer writes: plain tags with double-quoted attributes, and
# complete character references. Django's strip_tags() parses HTML and costs most of a
# rebuild; for markup this simple, cutting out the tags gives the same text.
TAG_RE = re.compile(r"<[^<>]*>")
SIMPLE_TAG_RE = re.compile(
    r'</?[a-zA-Z][a-zA-Z0-9]*(?:\s+[a-zA-Z][-a-zA-Z0-9]*(?:="[^"<>]*")?)*\s*/?>'
)
UNSAFE_RE = re.compile(r"[<>]|&(?![a-zA-Z][a-zA-Z0-9]*;|#[0-9]+;|#[xX][0-9a-fA-F]+;)")


def plain(html_text: str) -> str:
    """The text patients read, without markup."""
    text = TAG_RE.sub("", html_text)
    if UNSAFE_RE.search(text) or not all(
        SIMPLE_TAG_RE.fullmatch(tag) for tag in TAG_RE.findall(html_text)
    ):
        # Anything unusual goes through the HTML parser.
        text = strip_tags(html_text)
    return " ".join(html.unescape(text).split())


# --- documents ----------------------------------------------------------------------------


class Document(NamedTuple):
    """A row of SearchDocument, written straight to its table (drugs.bulk.insert)."""

    drug_id: int | None
    kind: str
    object_id: int | None
    title: str
    url: str
    names: str
    keywords: str
    body: str


def _insert(docs: list[Document]) -> None:
    with backend().adding_documents(len(docs)):
        insert(SearchDocument, Document._fields, docs)


def drug_documents(
    drug: Drug,
    sections: Iterable[Section],
    precautions: Iterable[Precaution],
    side_effects: Iterable[tuple[DrugSideEffect, SideEffect, list[str]]],
) -> list[Document]:
    """Every document of a drug, from its rows: side effects come with their shared effect
    and the texts of their get-help rules."""
    # reverse() once per part rather than once per document: it is most of a document's cost.
    pages: dict[str, str] = {}

    def doc(kind, object_id, title, anchor, names="", keywords="", body="", part=OVERVIEW):
        if part not in pages:
            pages[part] = part_url(drug.slug, part)
        page = pages[part]
        return Document(
            drug_id=drug.pk,
            # The plain value: a database driver may write an enum member by its name.
            kind=SearchKind(kind).value,
            object_id=object_id,
            title=title[:300],
            url=f"{page}#{anchor}" if anchor else page,
            # Folded so that "can't poo" is indexed as people type it: "cant poo".
            names=fold(names),
            keywords=fold(keywords),
            body=body,
        )

    docs = [
        doc(
            SearchKind.DRUG,
            drug.pk,
            drug.name,
            "",
            names=" ".join([drug.name, *drug.brand_names]),
            keywords=f"It treats {drug.treats}",
            body=drug.summary,
        )
    ]
    docs += [
        doc(
            SearchKind.SECTION,
            s.pk,
            s.title,
            section_anchor(s.kind),
            keywords=f"{s.title}. {SectionKind(s.kind).label}",
            body=plain(s.text_html),
            part=SECTION_PARTS.get(s.kind, OVERVIEW),
        )
        for s in sections
    ]
    docs += [
        doc(
            SearchKind.PRECAUTION,
            p.pk,
            p.title,
            precaution_anchor(p),
            keywords=". ".join(
                [p.title, PrecautionKind(p.kind).label]
                + ([] if p.applies_to == AppliesTo.EVERYONE else [AppliesTo(p.applies_to).label])
            ),
            body=plain(p.text_html),
            part=precaution_part(p.kind),
        )
        for p in precautions
    ]
    docs += [
        doc(
            SearchKind.SIDE_EFFECT,
            s.pk,
            s.heading or effect.name,
            side_effect_anchor(effect.slug),
            names=" ".join([effect.name, s.heading]),
            keywords=". ".join([*effect.also_called, *effect.lay_names, *effect.synonyms]),
            # With its get-help thresholds, which people search for ("temperature 38").
            body=" ".join([plain(s.text_html), *(f"{text}." for text in help_texts)]),
            part=SIDE_EFFECTS_PART,
        )
        for s, effect, help_texts in side_effects
    ]
    return docs


def loaded_drug_documents(drug: Drug) -> list[Document]:
    """drug_documents() of a drug loaded by _drugs(), with its rows prefetched."""
    return drug_documents(
        drug,
        drug.sections.all(),
        drug.precautions.all(),
        [(s, s.effect, [r.text for r in s.help_rules.all()]) for s in drug.side_effects.all()],
    )


def term_document(term: GlossaryTerm) -> Document:
    return Document(
        drug_id=None,
        kind=SearchKind.GLOSSARY.value,
        object_id=term.pk,
        title=term.term,
        url=term.get_absolute_url(),
        names=fold(term.term),
        keywords=fold(". ".join(term.aliases)),
        body=term.definition,
    )


def _drugs(ids: Iterable[int]):
    return (
        Drug.objects.published()
        .filter(pk__in=list(ids))
        .prefetch_related(
            "sections",
            "precautions",
            Prefetch(
                "side_effects",
                queryset=DrugSideEffect.objects.select_related("effect").prefetch_related(
                    "help_rules"
                ),
            ),
        )
    )


def _add_words(docs: list[Document]) -> None:
    found = set()
    for d in docs:
        found.update(words(f"{d.names} {d.keywords} {d.body}"))
    SearchWord.objects.bulk_create(
        [
            SearchWord(word=w)
            for w in sorted(found)
            if 3 <= len(w) <= MAX_WORD_LENGTH and not w.isdigit()
        ],
        ignore_conflicts=True,
        batch_size=500,
    )


def _add_names(drugs: list[Drug]) -> None:
    """Point each generic and brand name (and each word of one) at its drug."""
    names = {}
    for drug in drugs:
        for name in [drug.name, *drug.brand_names]:
            folded = " ".join(words(name))
            for key in {folded, *folded.split()}:
                if 3 <= len(key) <= MAX_WORD_LENGTH:
                    names[key] = drug
    SearchWord.objects.bulk_create(
        [SearchWord(word=w, drug=d) for w, d in names.items()],
        update_conflicts=True,
        unique_fields=["word"],
        update_fields=["drug"],
        batch_size=500,
    )


def replace_drug_documents(documents: dict[int, list[Document]], drugs: list[Drug]) -> None:
    """Make these documents (drug id -> its documents) the drugs' only ones, and point each
    name of the given published drugs at its drug."""
    ids = list(documents)
    _delete(SearchDocument.objects.filter(drug_id__in=ids))
    SearchWord.objects.filter(drug_id__in=ids).update(drug=None)
    docs = [d for drug_docs in documents.values() for d in drug_docs]
    _insert(docs)
    _add_words(docs)
    _add_names(drugs)


def rebuild_drugs(ids: Iterable[int]) -> None:
    """Replace the documents of these drugs; unpublished or deleted drugs end up with none."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        drugs = {drug.pk: drug for drug in _drugs(chunk)}
        replace_drug_documents(
            {pk: loaded_drug_documents(drugs[pk]) if pk in drugs else [] for pk in chunk},
            list(drugs.values()),
        )


def rebuild_terms(ids: Iterable[int] | None = None) -> None:
    """Replace the glossary documents (all, or these terms')."""
    docs = SearchDocument.objects.filter(kind=SearchKind.GLOSSARY)
    terms = GlossaryTerm.objects.all()
    if ids is not None:
        docs = docs.filter(object_id__in=list(ids))
        terms = terms.filter(pk__in=list(ids))
    _delete(docs)
    new = [term_document(t) for t in terms]
    _insert(new)
    _add_words(new)


def rebuild_all() -> None:
    """Start again from nothing: also forgets words no longer used anywhere."""
    _delete(SearchDocument.objects.all())
    _delete(SearchWord.objects.all())
    rebuild_drugs(Drug.objects.published().values_list("pk", flat=True))
    rebuild_terms()


# --- edits one object at a time (the admin) -----------------------------------------------


def _later(drug_id: int | None) -> None:
    # On delete, the drug itself may be going too (a cascade); rebuilding now could write
    # documents for a row about to vanish, so wait for the commit.
    if drug_id is not None:
        transaction.on_commit(partial(rebuild_drugs, [drug_id]))


def _drug_saved(sender, instance, raw=False, **kwargs):
    if not raw and not _paused.get():
        rebuild_drugs([instance.pk])


def _part_saved(sender, instance, raw=False, **kwargs):
    if not raw and not _paused.get():
        rebuild_drugs([instance.drug_id])


def _part_deleted(sender, instance, **kwargs):
    if not _paused.get():
        _later(instance.drug_id)


def _help_rule_changed(sender, instance, raw=False, signal=None, **kwargs):
    if raw or _paused.get():
        return
    # A rule belongs to a side effect or a precaution: either way, to one drug.
    owner = DrugSideEffect if instance.side_effect_id else Precaution
    drug_id = (
        owner.objects.filter(pk=instance.side_effect_id or instance.precaution_id)
        .values_list("drug_id", flat=True)
        .first()
    )
    if signal is post_save:
        rebuild_drugs([drug_id])
    else:
        _later(drug_id)


def _effect_saved(sender, instance, raw=False, **kwargs):
    if not raw and not _paused.get():
        rebuild_drugs(
            DrugSideEffect.objects.filter(effect=instance).values_list("drug_id", flat=True)
        )


def _term_saved(sender, instance, raw=False, **kwargs):
    if not raw and not _paused.get():
        rebuild_terms([instance.pk])


def _term_deleted(sender, instance, **kwargs):
    if not _paused.get():
        _delete(SearchDocument.objects.filter(kind=SearchKind.GLOSSARY, object_id=instance.pk))


def connect() -> None:
    """Keep the documents in step with edits made one object at a time, as in the admin."""
    handlers = [
        (post_save, _drug_saved, [Drug]),
        (post_save, _part_saved, [Section, Precaution, DrugSideEffect]),
        (post_delete, _part_deleted, [Section, Precaution, DrugSideEffect]),
        (post_save, _help_rule_changed, [HelpRule]),
        (post_delete, _help_rule_changed, [HelpRule]),
        (post_save, _effect_saved, [SideEffect]),
        (post_save, _term_saved, [GlossaryTerm]),
        (post_delete, _term_deleted, [GlossaryTerm]),
    ]
    for signal, handler, models in handlers:
        for model in models:
            signal.connect(
                handler,
                sender=model,
                dispatch_uid=f"drugs.search.index.{handler.__name__}.{model._meta.model_name}",
            )
