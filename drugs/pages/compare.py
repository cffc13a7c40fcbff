"""The compare page: drugs' side effects side by side, ordered by the common scale."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from drugs.models import (
    Drug,
    DrugSideEffect,
    FrequencyBand,
)
from drugs.pages.anchors import side_effect_anchor
from drugs.pages.figures import Figure

# More columns than this no longer fit side by side on a phone or on paper.
COMPARE_MAX = 4
TOO_FEW = "Tick 2 or more medicines to compare"


@dataclass(frozen=True)
class CompareChoice:
    """The medicines a reader asked to compare, checked against the published ones."""

    chosen: list[str]
    missing: list[str]
    too_many: bool
    # Shown in the error summary and beside the checkboxes; "" when there is nothing to say.
    error: str

    @classmethod
    def of(cls, values: Iterable[str], published: set[str], *, submitted: bool) -> CompareChoice:
        """values: ?drugs=a,b or drugs=a&drugs=b (the form); submitted: the form was sent."""
        wanted: list[str] = []
        for value in values:
            for slug in value.split(","):
                slug = slug.strip().lower()
                if slug and slug not in wanted:
                    wanted.append(slug)
        known = [slug for slug in wanted if slug in published]
        # Only when there are 2 to choose from: otherwise no choice could put the error right.
        too_few = (submitted or bool(wanted)) and len(known) < 2 and len(published) >= 2
        return cls(
            chosen=known[:COMPARE_MAX],
            missing=[slug for slug in wanted if slug not in published],
            too_many=len(known) > COMPARE_MAX,
            error=TOO_FEW if too_few else "",
        )

    @property
    def ready(self) -> bool:
        return len(self.chosen) >= 2


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
