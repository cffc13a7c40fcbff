"""A side effect's own page: how each published drug lists it, and what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from drugs.models import (
    DrugSideEffect,
)
from drugs.pages.anchors import side_effect_anchor
from drugs.pages.care import Action, actions_for
from drugs.pages.figures import Figure


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
