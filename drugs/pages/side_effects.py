"""The side-effect pages: the A to Z, and one effect as each published drug lists it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from drugs.models import (
    DrugSideEffect,
    SideEffect,
)
from drugs.pages.anchors import side_effect_anchor
from drugs.pages.az import sort_key
from drugs.pages.care import Action, actions_for
from drugs.pages.figures import Figure


def also_called(effect: SideEffect) -> list[str]:
    """The other names patients are shown: each once, and never the effect's own name again."""
    # Only also_called: lay_names and synonyms are words for search ("puking", "bcc") and are
    # never shown. A name already inside the effect's name ("tinnitus" in "Ringing in the ears
    # (tinnitus)") would only repeat it.
    name = sort_key(effect.name)
    shown: list[str] = []
    seen: set[str] = set()
    for other in effect.also_called:
        key = sort_key(other).strip()
        if not key or key in seen or re.search(rf"(?<!\w){re.escape(key)}(?!\w)", name):
            continue
        seen.add(key)
        shown.append(other.strip())
    return shown


@dataclass(frozen=True)
class EffectListing:
    """One line of the side-effects A to Z."""

    effect: SideEffect
    also_called: list[str]
    # The DrugSideEffects of published drugs, by drug name (prefetched as listed_by).
    items: list[DrugSideEffect]


def effect_listings(effects: Iterable[SideEffect]) -> list[EffectListing]:
    listings = [
        EffectListing(e, also_called(e), sorted(e.listed_by, key=lambda i: sort_key(i.drug.name)))
        for e in effects
    ]
    return sorted(listings, key=lambda entry: (sort_key(entry.effect.name), entry.effect.slug))


@dataclass
class EffectAcrossDrugs:
    """One side effect as each published drug lists it (for /side-effects/<slug>/)."""

    item: DrugSideEffect
    figure: Figure | None
    actions: list[Action]

    @property
    def anchor(self) -> str:
        return side_effect_anchor(self.item.effect.slug)


def effect_entries(items: Iterable[DrugSideEffect]) -> list[EffectAcrossDrugs]:
    return [
        EffectAcrossDrugs(
            item=item,
            figure=Figure.of(item),
            actions=actions_for(item.help_rules.all(), item.drug.contact),
        )
        for item in items
    ]


def rules_differ(entries: list[EffectAcrossDrugs]) -> bool:
    """Whether the drugs give different advice for the same effect (e.g. 37.5°C or 38°C)."""
    advice = {tuple((r.urgency, r.text) for a in e.actions for r in a.rules) for e in entries}
    return len(entries) > 1 and len(advice) > 1


# Search results show about this many characters of a title.
TITLE_MAX = 60


def effect_title(name: str) -> str:
    """The side-effect page's title: the name and what the page offers, shortened to fit."""
    full = f"{name}: medicines and what to do"
    if len(full) <= TITLE_MAX:
        return full
    if len(name) <= TITLE_MAX:
        return name
    return name[: TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:(") + "\u2026"
