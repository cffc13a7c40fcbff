"""How often an effect happens, as the source says it: words, percentage, icon array."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from drugs.models import (
    DrugSideEffect,
)

ICONS_PER_ROW = 10


def format_percent(value: Decimal | None) -> str:
    """25.00 -> "25", 30.50 -> "30.5": the source's figure, without trailing zeros."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class IconArray:
    """100 people in a 10 by 10 grid, the first `filled` of them shaded (one SVG, few nodes)."""

    filled: int
    exact: bool

    @property
    def label(self) -> str:
        about = "" if self.exact else "About "
        people = "person" if self.filled == 1 else "people"
        return f"{about}{self.filled} in every 100 {people}".capitalize()

    @property
    def rects(self) -> list[tuple[int, int, int, int, str]]:
        """(x, y, width, height, class) of the shaded and unshaded areas, in a 100-unit box."""
        rows, rest = divmod(self.filled, ICONS_PER_ROW)
        cell = 100 // ICONS_PER_ROW
        shapes = []
        if rows:
            shapes.append((0, 0, 100, rows * cell, "on"))
        if rest:
            shapes.append((0, rows * cell, rest * cell, cell, "on"))
            shapes.append((rest * cell, rows * cell, 100 - rest * cell, cell, "off"))
            rows += 1
        if rows < ICONS_PER_ROW:
            shapes.append((0, rows * cell, 100, 100 - rows * cell, "off"))
        return shapes


# A natural frequency with no words around it ("1 in 4", "1 out of 5", "25 in every 100"):
# only these can be checked against a percentage.
PLAIN_FREQUENCY = re.compile(r"(\d+) (?:in|out of|in every) (\d+)(?: people| person)?")


def says_the_same(natural: str, percent: Decimal | None) -> bool:
    """Whether words such as "1 in 4" state exactly the percentage given (25)."""
    match = PLAIN_FREQUENCY.fullmatch(natural)
    if percent is None or not match or int(match[2]) == 0:
        return False
    return Decimal(match[1]) * 100 / Decimal(match[2]) == percent


@dataclass(frozen=True)
class Figure:
    """A source's figure as a natural frequency in its own words, with the percentage."""

    natural: str
    percent: str
    icons: IconArray | None
    # False when the words and the percentage say different things ("just under 1 in 5",
    # 20%): the page then shows both as the source gave them, without making either exact.
    consistent: bool = True

    @classmethod
    def of(cls, item: DrugSideEffect) -> Figure | None:
        if item.figure_percent is None and not item.figure_text:
            return None
        percent = format_percent(item.figure_percent)
        natural = item.figure_text.strip()
        if natural and not any(w in natural.lower() for w in ("people", "person")):
            natural = f"{natural} people"
        icons = None
        if item.figure_percent is not None:
            filled = int(item.figure_percent.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
            if filled >= 1:
                icons = IconArray(filled=filled, exact=filled == item.figure_percent)
        if not natural and icons and icons.exact:
            # "25 in every 100 people" says exactly what 25% says, in the friendlier form.
            natural = icons.label[0].lower() + icons.label[1:]
        consistent = not (natural and percent) or says_the_same(natural, item.figure_percent)
        return cls(natural=natural, percent=percent, icons=icons, consistent=consistent)

    @property
    def percent_note(self) -> str:
        """The percentage beside the words: "(25%)", or "(the source says 20%)" when they differ."""
        if not (self.natural and self.percent):
            return ""
        if self.consistent:
            return f"({self.percent}%)"
        return f"(the source says {self.percent}%)"

    @property
    def text(self) -> str:
        """The whole figure as plain words, for places that show it on one line."""
        if not self.natural:
            return f"{self.percent}% of people"
        return f"{self.natural} {self.percent_note}".strip()
