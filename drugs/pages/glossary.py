"""The glossary page: terms A to Z under letter headings, in the same order on every database."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

from drugs.models import GlossaryTerm
from drugs.pages.az import OTHER, letter_of, sort_key


def letter_anchor(letter: str) -> str:
    # Prefixed, so a heading's id can never be the same as a term's (a term's id is its slug).
    return f"letter-{letter.lower()}"


@dataclass(frozen=True)
class LetterGroup:
    letter: str
    terms: list[GlossaryTerm]

    @property
    def anchor(self) -> str:
        return letter_anchor(self.letter)


@dataclass(frozen=True)
class JumpLink:
    """One letter of the A to Z row; letters with no terms are shown but not linked."""

    letter: str
    anchor: str | None


@dataclass(frozen=True)
class GlossaryIndex:
    groups: list[LetterGroup]
    jump_links: list[JumpLink]

    @classmethod
    def of(cls, terms: Iterable[GlossaryTerm]) -> GlossaryIndex:
        ordered = sorted(terms, key=lambda t: (sort_key(t.term), t.term, t.slug))
        by_letter: dict[str, list[GlossaryTerm]] = {}
        for term in ordered:
            by_letter.setdefault(letter_of(term.term), []).append(term)
        letters = [*string.ascii_uppercase, OTHER]
        groups = [
            LetterGroup(letter, by_letter[letter]) for letter in letters if letter in by_letter
        ]
        jump_links = [
            JumpLink(letter, letter_anchor(letter) if letter in by_letter else None)
            for letter in string.ascii_uppercase
        ]
        if OTHER in by_letter:
            jump_links.append(JumpLink(OTHER, letter_anchor(OTHER)))
        return cls(groups=groups, jump_links=jump_links)
