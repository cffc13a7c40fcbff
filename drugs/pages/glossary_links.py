"""Mark the first use of each glossary word on a page, linked to its definition at the page's end."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from drugs.models import GlossaryTerm

# A tag of sanitised HTML. Attribute values are always quoted and may hold ">".
_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")
# Text inside these is left alone: a link inside a link is invalid, and headings, code
# and abbreviations read badly with a link in them.
_SKIP = {"a", "abbr", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "dfn"}
_VOID = {"br", "hr", "img", "wbr"}


def definition_anchor(term_slug: str) -> str:
    """The id of a word's entry in the page's "Words used on this page" list."""
    return f"word-{term_slug}"


def use_anchor(term_slug: str) -> str:
    """The id of a word's first (linked) use on the page, where its definition links back to."""
    return f"term-{term_slug}"


def _trie_pattern(words) -> str:
    """One regular expression for many words, sharing their prefixes.

    A plain alternation of 100+ words is tried word by word at every position; a trie is
    several times faster. Longer words win, because each optional tail is greedy.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{group})?" if "" in node else group

    return build(trie)


@lru_cache(maxsize=4)
def _compiled(words: tuple[str, ...]) -> re.Pattern:
    """The pattern for a glossary, built once per process while the glossary stays the same."""
    # Entities are matched first and kept whole, so "&amp;" never yields "amp".
    return re.compile(rf"(&#?\w+;)|(?<!\w)({_trie_pattern(words)})(?!\w)", re.IGNORECASE)


class GlossaryMarker:
    """Marks the first use on a page of each term or alias, across fragments given in page order.

    The mark links to the word's definition in the page's own "Words used on this page" list
    (`#word-<slug>`), which links back to it (`#term-<slug>`): the reader never leaves the page
    and needs no JavaScript. Only the first use is linked, which keeps the tab stops few.
    `used` lists the terms marked, in the order they were first used.
    """

    def __init__(
        self,
        terms: Iterable[GlossaryTerm],
        href: Callable[[GlossaryTerm], str] | None = None,
    ):
        self.href = href or (lambda term: f"#{definition_anchor(term.slug)}")
        self._used_slugs: set[str] = set()
        self.used: list[GlossaryTerm] = []
        self._by_word: dict[str, GlossaryTerm] = {}
        for term in terms:
            for word in [term.term, *term.aliases]:
                word = word.strip()
                if word:
                    self._by_word.setdefault(word.lower(), term)
        self._term_count = len({term.slug for term in self._by_word.values()})
        self._pattern = None
        if self._by_word:
            self._pattern = _compiled(tuple(sorted(self._by_word)))

    def mark(self, html: str) -> SafeString:
        """Return the HTML with the first use of each not-yet-used term linked."""
        if not html or self._pattern is None or len(self._used_slugs) == self._term_count:
            return mark_safe(html or "")
        out: list[str] = []
        skipping: list[str] = []
        position = 0
        for tag in _TAG.finditer(html):
            out.append(self._mark_text(html[position : tag.start()], skipping))
            out.append(tag.group(0))
            closing, name = tag.group(1), tag.group(2).lower()
            if name in _SKIP:
                if closing:
                    if name in skipping:
                        del skipping[len(skipping) - 1 - skipping[::-1].index(name)]
                elif name not in _VOID:
                    skipping.append(name)
            position = tag.end()
        out.append(self._mark_text(html[position:], skipping))
        return mark_safe("".join(out))

    def _mark_text(self, text: str, skipping: list[str]) -> str:
        if not text or skipping:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        word = match.group(2)
        if word is None:
            return match.group(0)
        term = self._by_word[word.lower()]
        if term.slug in self._used_slugs:
            return word
        self._used_slugs.add(term.slug)
        self.used.append(term)
        return (
            f'<a class="term" id="{use_anchor(term.slug)}" href="{escape(self.href(term))}">'
            f"{word}</a>"
        )
