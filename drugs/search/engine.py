"""The search engine: parse the query, correct it, find the drug it names, rank with the backend."""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass, field

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from drugs.models import Drug, SearchDocument, SearchKind, SearchWord
from drugs.search.answers import SignAnswer, sign_answers, without_temperature
from drugs.search.query import Group, Hit, Query, parse
from drugs.search.text import CONTROL_RE, STOPWORDS, words
from drugs.search.vocabulary import Vocabulary

MAX_QUERY_LENGTH = 200
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# Pages of results reached by ?page=: far more than anyone reads, and it bounds the offset.
MAX_PAGE = 50
# How alike (difflib ratio) a misspelt word must be to a known one to search for it too...
CORRECTION_RATIO = 0.75
# ...and to a drug's name for the name alone to take someone straight to the drug's page.
DRUG_NAME_RATIO = 0.8
# Shorter words are too easy to "correct" into something else.
MIN_CORRECTABLE = 4
# Results with every word of the query that are enough not to look for partial matches.
ENOUGH = 5
# Words of a question about what a word means, not part of the word asked about.
DEFINITION_WORDS = frozenset(["mean", "means", "meaning", "define", "definition", "word", "term"])
# Snippet highlight markers, chosen because they never occur in indexed text.
START, STOP = "\x02", "\x03"


class QueryError(ValueError):
    """A query that cannot be searched for; the message is fit to show to the person."""


@dataclass
class Result:
    title: str
    url: str
    kind: str
    drug: str | None
    drug_name: str | None
    snippet: SafeString

    @property
    def kind_label(self) -> str:
        return SearchKind(self.kind).label

    @property
    def heading(self) -> str:
        """The title with its drug's name, so that two drugs' "Constipation" differ."""
        if self.drug_name and self.kind != SearchKind.DRUG:
            return f"{self.title} - {self.drug_name}"
        return self.title

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "heading": self.heading,
            "url": self.url,
            "drug": self.drug,
            "kind": self.kind,
            "snippet": str(self.snippet),
        }


@dataclass
class SearchResponse:
    query: str
    results: list[Result] = field(default_factory=list)
    # Misspelt word -> the word searched for as well.
    corrections: dict[str, str] = field(default_factory=dict)
    # Warning signs the query names, with what each drug says to do: shown first.
    answers: list[SignAnswer] = field(default_factory=list)
    # Words of the query that no document has: the sources do not mention them, and no loose
    # match on the query's other words is shown instead.
    not_mentioned: list[str] = field(default_factory=list)
    # No document has every part of the query: the results have some of them.
    partial: bool = False
    # Published drugs whose guides have nothing that matches, when another's has (names).
    unmatched_drugs: list[str] = field(default_factory=list)
    # How many documents match in all, and which page of them `results` is.
    total: int = 0
    page: int = 1
    per_page: int = DEFAULT_LIMIT

    @property
    def first(self) -> int:
        """The position of the first result shown (1-based), 0 when none is."""
        return (self.page - 1) * self.per_page + 1 if self.results else 0

    @property
    def last(self) -> int:
        return self.first + len(self.results) - 1 if self.results else 0

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def not_mentioned_text(self) -> str:
        """The words no source mentions, as a phrase: "hair", "grapefruit or juice"."""
        return " or ".join(self.not_mentioned)


def install(executor) -> None:
    """Create the backend's full-text tables, triggers and indexes (idempotent)."""
    for statement in backend().SCHEMA:
        executor.execute(statement)


def backend():
    """The backend for the database in use."""
    if connection.vendor == "postgresql":
        from drugs.search import postgres

        return postgres
    from drugs.search import sqlite

    return sqlite


def clean(raw: str | None) -> str:
    """The query as it will be searched: control characters (NUL too) and extra spaces gone."""
    text = " ".join(CONTROL_RE.sub(" ", raw or "").split())
    if not text:
        raise QueryError("Type a word or two to search for, for example “feeling sick”.")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"That search is too long. Use a few words (at most {MAX_QUERY_LENGTH} characters)."
        )
    return text


def highlight(snippet: str) -> SafeString:
    """Escape the snippet, then mark the matched words."""
    return mark_safe(  # noqa: S308 - escaped just above; only <mark> is added.
        escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")
    )


def _best(word: str, candidates, ratio: float, drugs_only=False, same_start=False):
    """The candidate most like `word`, if alike enough: (word, drug id)."""
    scored = [
        (difflib.SequenceMatcher(None, word, w).ratio(), w, drug_id)
        for w, drug_id in candidates
        if w != word
        and (drug_id is not None or not drugs_only)
        and (not same_start or _could_be_a_typo_of(word, w))
    ]
    scored = [s for s in scored if s[0] >= ratio]
    if not scored:
        return None
    _, w, drug_id = max(scored, key=lambda s: (s[0], s[1] is not None))
    return w, drug_id


def _could_be_a_typo_of(word: str, known: str) -> bool:
    """Whether `word` could be `known` mistyped. People rarely mistype a first letter, and a word
    that is another with letters in front is a different word: "hair" is not "air", "degrees"
    not "agrees", "unused" not "used". Nor is any word a mistyped stopword ("beer", "been")."""
    return (
        word[:1] == known[:1]
        and not (len(word) > len(known) and word.endswith(known))
        and known not in STOPWORDS
    )


def _resolve(
    query: Query, similar_words, name: str
) -> tuple[dict[str, str], set[int], list[Group], dict[str, int | None]]:
    """Correct unknown words and find the drugs named: (corrections, drug ids, drug groups, the
    words of the index looked up, the whole query as one word among them)."""
    lookup = {w for g in query.groups for w in g.words()}
    if _could_be_a_word(name):
        lookup.add(name)
    known = dict(SearchWord.objects.filter(word__in=lookup).values_list("word", "drug_id"))
    corrections = {}
    for group in query.groups:
        word = group.correctable
        if not word or word in known or len(word) < MIN_CORRECTABLE or not word.isalpha():
            continue
        best = _best(word, similar_words(word), CORRECTION_RATIO, same_start=True)
        if best:
            corrections[word] = best[0]
            known[best[0]] = best[1]
            group.add((best[0],))
    drug_ids, drug_groups = set(), []
    for group in query.groups:
        named = {known.get(a[0]) for a in group.alternatives if len(a) == 1} - {None}
        if named and group.correctable:
            drug_ids |= named
            drug_groups.append(group)
    return corrections, drug_ids, drug_groups, known


def search(raw: str, limit: int = DEFAULT_LIMIT, page: int = 1) -> SearchResponse:
    """One page of the documents that best answer the query, best first, with how many match
    in all. Raises QueryError on bad input."""
    text = clean(raw)
    limit = max(1, min(limit, MAX_LIMIT))
    page = max(1, min(page, MAX_PAGE))
    response = SearchResponse(text, answers=sign_answers(text), page=page, per_page=limit)
    # A temperature is answered by the answer box: its number and unit are no words to find.
    query = parse(without_temperature(text), Vocabulary.load())
    # "what does neutropenia mean": the word asked about, not "mean".
    asked = [g for g in query.groups if g.label not in DEFINITION_WORDS]
    if asked:
        query.groups = asked
    if not query.groups:
        return response
    engine = backend()
    # The drug-name check and the corrections may ask about the same word: ask the index once.
    similar_words = functools.cache(engine.similar_words)
    name = _name(text)
    response.corrections, drug_ids, drug_groups, known = _resolve(query, similar_words, name)
    found = Found()
    offset = (page - 1) * limit
    rest = [g for g in query.groups if g not in drug_groups]
    if drug_ids and rest:
        # "revlimid rash": the rash of that drug, not every drug's rash.
        found = _find(engine, Query(text, rest, query.excluded), limit, offset, sorted(drug_ids))
    if not found.total:
        found = _find(engine, query, limit, offset)
    hits = found.hits
    named_id = _named_drug_id(name, known, similar_words)
    named = Drug.objects.published().filter(pk=named_id).first() if named_id else None
    if named is not None and page == 1:
        hits = _drug_first(named, hits)[:limit]
    response.results = [
        Result(h.title, h.url, h.kind, h.drug_slug, h.drug_name, highlight(h.snippet)) for h in hits
    ]
    response.total = max(found.total, len(response.results))
    response.partial = found.partial
    response.not_mentioned = found.missing
    if page == 1 and hits and not found.partial and found.total <= limit and not drug_ids:
        # Every match is on this page, so the drugs without one are known for certain; a query
        # that names a drug is about that drug only.
        response.unmatched_drugs = _unmatched_drugs({h.drug_slug for h in hits} - {None})
    return response


def _unmatched_drugs(matched: set[str]) -> list[str]:
    """The names of the published drugs with no match, when some drug has one."""
    if not matched:
        return []
    drugs = Drug.objects.published().order_by("name").values_list("slug", "name")
    return [name for slug, name in drugs if slug not in matched]


@dataclass
class Found:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    partial: bool = False
    # The labels of the query's groups that no document matches.
    missing: list[str] = field(default_factory=list)


def defined_term(text: str) -> str:
    """The words a glossary entry's name must be for the entry to be what the query asks for:
    "what does neutropenia mean" asks for Neutropenia, "fever" for Fever (not Yellow fever)."""
    return " ".join(w for w in words(text) if w not in STOPWORDS and w not in DEFINITION_WORDS)


def _is_number(group: Group) -> bool:
    return all(w.isdigit() for w in group.words())


def _find(engine, query: Query, limit: int, offset: int, drug_ids=None) -> Found:
    """Documents with every part of the query. If too few have them all, and every word of
    the query is in some document, those with the rarer parts, most weight first; a word in no
    document means the guides do not mention it, and nothing is found."""
    term = defined_term(query.text)
    hits, total = engine.find(query, limit, drug_ids, offset=offset, term=term)
    if total >= min(limit, ENOUGH) or (total and len(query.groups) == 1):
        engine.add_snippets(query, hits, True)
        return Found(hits, total)
    if len(query.groups) == 1:
        counts, documents = [0], 0
    else:
        # Ranking every document with any one word is what costs at scale: only when needed.
        counts, documents = engine.group_counts(query, drug_ids)
    missing = [g for g, n in zip(query.groups, counts, strict=True) if not n]
    if any(not _is_number(g) for g in missing):
        return Found(missing=[g.label for g in missing if not _is_number(g)])
    if missing:
        # A number no document has ("take 21") is left out, not reported.
        kept = [g for g in query.groups if g not in missing]
        if not kept:
            return Found()
        return _find(engine, Query(query.text, kept, query.excluded), limit, offset, drug_ids)
    # Each part weighs by how rare it is (inverse document frequency), and a result needs at
    # least half the query's weight: a document with only "drink" is no answer to "can I
    # drink alcohol", and "loss" never comes before "hair".
    weights = [math.log(1 + documents / n) for n in counts]
    hits, found = engine.find(query, limit, drug_ids, offset=offset, term=term, weights=weights)
    engine.add_snippets(query, hits, False)
    return Found(hits, found, partial=total == 0)


def _drug_first(drug: Drug, hits: list[Hit]) -> list[Hit]:
    """Put the drug's own document first, fetching it if the search missed it."""
    own = [h for h in hits if h.kind == SearchKind.DRUG and h.drug_slug == drug.slug]
    if not own:
        doc = SearchDocument.objects.filter(drug=drug, kind=SearchKind.DRUG).first()
        if doc is None:
            return hits
        summary = doc.body if len(doc.body) <= 200 else doc.body[:200].rsplit(" ", 1)[0] + " …"
        own = [Hit(doc.pk, doc.kind, doc.title, doc.url, drug.slug, drug.name, summary)]
    return own + [h for h in hits if h is not own[0]]


def _name(text: str) -> str:
    """The query as one word, as a drug's name would be written in the index."""
    return " ".join(words(text))


def _could_be_a_word(name: str) -> bool:
    # The index holds single words only: a name with a space can never be one of them.
    return bool(name) and len(name) <= 60 and " " not in name


def _named_drug_id(name: str, known: dict[str, int | None], similar_words) -> int | None:
    """The drug this name (allowing a typo) is of, given what the index says of the name."""
    if not _could_be_a_word(name):
        return None
    if name in known:
        # A word of the index that names no drug ("contraception") is no misspelt name.
        return known[name]
    if len(name) < 5 or not name.isalpha():
        return None
    best = _best(name, similar_words(name), DRUG_NAME_RATIO, drugs_only=True)
    return best[1] if best else None


def exact_drug_match(raw: str) -> Drug | None:
    """The published drug whose generic or brand name this is (allowing a typo), or None."""
    try:
        text = clean(raw)
    except QueryError:
        return None
    name = _name(text)
    if not _could_be_a_word(name):
        return None
    known = dict(SearchWord.objects.filter(word=name).values_list("word", "drug_id"))
    drug_id = _named_drug_id(name, known, backend().similar_words)
    return Drug.objects.published().filter(pk=drug_id).first() if drug_id else None
