"""The compare page: drugs' side effects side by side, ordered by the common scale."""

from __future__ import annotations

from dataclasses import dataclass

from drugs.models import (
    Drug,
    DrugSideEffect,
    FrequencyBand,
)
from drugs.pages.anchors import side_effect_anchor
from drugs.pages.figures import Figure


def gives_numbers(band: FrequencyBand) -> bool:
    """Whether the band's source puts a number on it (Macmillan's bands, for one, do not)."""
    return band.min_per_100 is not None or band.max_per_100 is not None


@dataclass
class CompareCell:
    drug: Drug
    item: DrugSideEffect | None
    figure: Figure | None

    @property
    def band_phrase(self) -> str:
        """The source's own meaning of its band, only where the source gives numbers."""
        if self.item is None or not gives_numbers(self.item.band):
            return ""
        return self.item.band.phrase


@dataclass
class CompareRow:
    effect_name: str
    effect_slug: str
    cells: list[CompareCell]

    @property
    def anchor(self) -> str:
        return side_effect_anchor(self.effect_slug)


@dataclass
class CompareGroup:
    # The standard band, which only puts the rows in order: its heading shows its label and
    # never its numbers, which most of the sources' bands do not give (or give per list).
    band: FrequencyBand
    rows: list[CompareRow]


def compare_groups(drugs: list[Drug]) -> list[CompareGroup]:
    """Each effect any of the drugs lists, one row per effect, ordered by the most common
    standard band any of the drugs gives it; each cell shows that drug's own band and figure."""
    by_effect: dict[int, dict[int, DrugSideEffect]] = {}
    effects = {}
    for column, drug in enumerate(drugs):
        for item in drug.side_effects.all():
            by_effect.setdefault(item.effect_id, {})[column] = item
            effects[item.effect_id] = item.effect
    groups: dict[int, CompareGroup] = {}
    rows = []
    for effect_id, items in by_effect.items():
        top = min(
            (item.band for item in items.values()), key=lambda band: band.sort_key
        ).standard_band
        cells = []
        for column in range(len(drugs)):
            item = items.get(column)
            cells.append(
                CompareCell(drug=drugs[column], item=item, figure=Figure.of(item) if item else None)
            )
        rows.append((top, effects[effect_id], cells))
    for top, effect, cells in sorted(rows, key=lambda r: (r[0].rank, r[1].name.lower())):
        group = groups.setdefault(top.pk, CompareGroup(band=top, rows=[]))
        group.rows.append(CompareRow(effect_name=effect.name, effect_slug=effect.slug, cells=cells))
    return list(groups.values())
