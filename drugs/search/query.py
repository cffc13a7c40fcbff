"""A search query as plain data: parsed from what someone typed, before any backend sees it."""

import re
from dataclasses import dataclass, field

from drugs.search.text import STOPWORDS, keywords, words
from drugs.search.vocabulary import Vocabulary

# Only this many parts of a query are searched for: enough for a whole question, and it keeps a
# pasted paragraph from building a huge index query.
MAX_GROUPS = 10
# "a phrase", -excluded, -"excluded phrase", or a run of other characters.
CHUNK_RE = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"?|(?P<plain>[^\s"]+)')


@dataclass
class Group:
    """One part of a query: a hit on any alternative counts; each alternative needs all its words."""

    label: str
    alternatives: list[tuple[str, ...]]
    # The first alternative is a quoted phrase: its words must come in order.
    phrase: bool = False
    # A lone word that is not in the index and may be a misspelling.
    correctable: str = ""

    def add(self, alternative: tuple[str, ...]) -> None:
        if alternative and alternative not in self.alternatives:
            self.alternatives.append(alternative)

    def options(self):
        """(alternative, is a phrase) pairs."""
        return [(a, self.phrase and i == 0) for i, a in enumerate(self.alternatives)]

    def words(self) -> set[str]:
        return {w for a in self.alternatives for w in a}


@dataclass
class Query:
    text: str
    groups: list[Group] = field(default_factory=list)
    excluded: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class Hit:
    """One matching search document, as a backend returns it."""

    id: int
    kind: str
    title: str
    url: str
    drug_slug: str | None
    drug_name: str | None
    snippet: str = ""


def parse(text: str, vocabulary: Vocabulary) -> Query:
    """Split the text into groups: quoted phrases, lay phrases with their meanings, lone words."""
    query = Query(text)
    plain: list[str] = []
    for chunk in CHUNK_RE.finditer(text):
        if chunk["plain"] is not None:
            raw = chunk["plain"]
            if raw.startswith("-") and len(raw) > 1:
                query.excluded += [(w,) for w in keywords(raw)]
            else:
                plain += words(raw)
            continue
        phrase = tuple(words(chunk["phrase"]))
        if not phrase:
            continue
        if chunk["neg"]:
            query.excluded.append(phrase)
        elif len(phrase) == 1:
            plain += phrase
        else:
            query.groups.append(Group(" ".join(phrase), [phrase], phrase=True))

    i = 0
    while i < len(plain):
        size, means = vocabulary.match(plain, i)
        if size:
            label = " ".join(plain[i : i + size])
            group = Group(label, [])
            group.add(tuple(keywords(label)))
            for meaning in means:
                group.add(tuple(w for w in meaning if w not in STOPWORDS) or meaning)
            if group.alternatives:
                query.groups.append(group)
            i += size
            continue
        word = plain[i]
        i += 1
        if word in STOPWORDS or len(word) < 2:
            continue
        if any(g.alternatives == [(word,)] for g in query.groups):
            continue
        query.groups.append(Group(word, [(word,)], correctable=word))
    query.groups = query.groups[:MAX_GROUPS]
    query.excluded = query.excluded[:MAX_GROUPS]
    return query
