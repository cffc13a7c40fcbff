"""The lay vocabulary: everyday phrases patients type, and the words monographs use instead."""

from dataclasses import dataclass
from functools import lru_cache

from drugs.models import LayTerm
from drugs.search.text import words


@dataclass(frozen=True)
class Vocabulary:
    # Each phrase as a tuple of folded words -> the alternatives, each a tuple of words.
    entries: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    longest: int

    @classmethod
    def load(cls) -> "Vocabulary":
        """Read the vocabulary in one query; it is small (tens of rows)."""
        rows = tuple((p, tuple(m)) for p, m in LayTerm.objects.values_list("phrase", "means"))
        return _parsed(rows)

    def match(self, tokens: list[str], start: int) -> tuple[int, tuple[tuple[str, ...], ...]]:
        """The longest phrase starting at tokens[start]: (its length, its meanings), or (0, ())."""
        for size in range(min(self.longest, len(tokens) - start), 0, -1):
            means = self.entries.get(tuple(tokens[start : start + size]))
            if means is not None:
                return size, means
        return 0, ()


@lru_cache(maxsize=4)
def _parsed(rows: tuple[tuple[str, tuple[str, ...]], ...]) -> Vocabulary:
    # Keyed by the rows themselves, so an edit in the admin shows at the next search.
    entries = {}
    for phrase, means in rows:
        key = tuple(words(phrase))
        if key:
            entries[key] = tuple(w for w in (tuple(words(m)) for m in means) if w)
    return Vocabulary(entries, max((len(k) for k in entries), default=0))
