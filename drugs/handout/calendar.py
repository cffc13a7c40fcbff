"""The treatment calendar: days on and off, dated or blank, with the pregnancy tests marked."""

import datetime
from dataclasses import dataclass
from itertools import groupby

from drugs.handout.forms import PREGNANCY_TEST_EVERY_DAYS


@dataclass(slots=True)
class Day:
    number: int  # 1 is the first day of treatment
    cycle: int | None
    cycle_day: int | None
    taking: bool | None  # None on a blank grid: the patient fills it in
    date: datetime.date | None = None
    pregnancy_test: bool = False
    # A dated cell shows its month only where one begins (and in the first cell), as on a
    # wall calendar: "3 Jan", "4", "5"... keeps each week on one printed line.
    with_month: bool = False

    @property
    def css(self) -> str:
        if self.taking is None:
            return "blank"
        return ("take" if self.taking else "rest") + (" cycle-start" if self.cycle_day == 1 else "")


def treatment_days(
    days_on: int, days_off: int, cycles: int, first_day: datetime.date | None = None
) -> list[Day]:
    """Every day of the cycles in order, each taking or resting, dated when the start is known."""
    length = days_on + days_off
    one_day = datetime.timedelta(days=1)
    days = []
    date = first_day
    for index in range(length * cycles):
        cycle_day = index % length + 1
        days.append(Day(index + 1, index // length + 1, cycle_day, cycle_day <= days_on, date))
        if date is not None:
            date += one_day
    return days


def blank_days(weeks: int, first_day: datetime.date | None = None) -> list[Day]:
    """A grid of days with no take or rest marked, for the patient to fill in."""
    return [
        Day(
            number=index + 1,
            cycle=None,
            cycle_day=None,
            taking=None,
            date=first_day + datetime.timedelta(days=index) if first_day else None,
        )
        for index in range(weeks * 7)
    ]


def until(days: list[Day], last_day: datetime.date | None) -> list[Day]:
    """The days up to the last day of treatment, when both are dated: nothing to take after it."""
    if last_day is None or not days or days[0].date is None:
        return days
    return [d for d in days if d.date <= last_day]


def pregnancy_test_days(days: list[Day]) -> list[int]:
    """Day numbers of the tests during treatment on this calendar: every 4 weeks from day 1,
    up to the last day taking the drug (or the end of a blank grid)."""
    treatment = [d.number for d in days if d.taking is not False]
    if not treatment:
        return []
    return list(range(1 + PREGNANCY_TEST_EVERY_DAYS, treatment[-1] + 1, PREGNANCY_TEST_EVERY_DAYS))


def mark_tests(days: list[Day], test_days: list[int]) -> list[Day]:
    """The days with their pregnancy tests marked, and months named where they begin."""
    wanted = set(test_days)
    for day in days:
        day.pregnancy_test = day.number in wanted
        day.with_month = day.date is not None and (day.number == 1 or day.date.day == 1)
    return days


def weeks(days: list[Day]) -> list[list[Day | None]]:
    """Rows of 7 from day 1: week 1 is the first 7 days of treatment, whatever the weekday,
    so a row never starts half empty and 3 weeks on, 1 off reads as 3 rows on, 1 row off."""
    cells: list[Day | None] = list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def weekday_names(first_day: datetime.date | None) -> list[str]:
    """The calendar's column headings: the weekdays from the first day's, or none undated."""
    if first_day is None:
        return []
    return [(first_day + datetime.timedelta(days=i)).strftime("%a") for i in range(7)]


def rest_periods(days: list[Day]) -> list[list[Day]]:
    """Each run of consecutive rest days."""
    return [list(run) for taking, run in groupby(days, key=lambda d: d.taking) if taking is False]
