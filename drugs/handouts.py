"""The nurse's handout: its form, the treatment calendar and the .ics file, as plain code."""

import datetime
import re
from dataclasses import dataclass, replace
from itertools import groupby

from django import forms
from django.utils import timezone
from icalendar import Calendar, Event

from drugs.models import AppliesTo, Drug, PrecautionKind, SectionKind, Urgency
from drugs.pages.care import CareCard, build_care_cards
from drugs.pages.drug import HANDLING_KINDS

# Bounds for the form. Days on/off cover every myeloma schedule we know of with room to
# spare; the calendar length cap keeps the calendar on one printed A4 page.
MAX_DAYS_ON = 42
MAX_DAYS_OFF = 42
MAX_CYCLES = 12
MAX_CALENDAR_WEEKS = 26
DAYS_BACK = 365
DAYS_AHEAD = 730
# Phone numbers: E.164 allows at most 15 digits; fewer than 6 is not a 24-hour line.
MIN_PHONE_DIGITS = 6
MAX_PHONE_DIGITS = 15
PHONE_RE = re.compile(r"^[0-9 +\-()]+$")
# Both lenalidomide and pomalidomide sources: a pregnancy test every 4 weeks during
# treatment and 4 weeks after it ends.
PREGNANCY_TEST_EVERY_DAYS = 28
PREGNANCY_TEST_AFTER_DAYS = 28
UID_DOMAIN = "handout.myeloma-medication-guide"


class WhoFor:
    """Which pregnancy-prevention points the handout carries."""

    ALL = "all"
    CAN_GET_PREGNANT = AppliesTo.CAN_GET_PREGNANT.value
    COULD_MAKE_PREGNANT = AppliesTo.COULD_MAKE_PREGNANT.value
    CHOICES = [
        (CAN_GET_PREGNANT, "The patient can get pregnant"),
        (COULD_MAKE_PREGNANT, "The patient could make someone pregnant"),
        (ALL, "Not sure, or neither: show all pregnancy points"),
    ]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        # The date picker sends ISO dates; keep the value in that format when redisplayed.
        super().__init__(format="%Y-%m-%d")


class HandoutForm(forms.Form):
    """What the nurse enters; checked in full before the database is touched."""

    phone = forms.CharField(
        label="Your team's 24-hour phone number",
        max_length=30,
        help_text="Digits, spaces, +, - and brackets only. It goes on the care cards.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={"required": "Enter the 24-hour phone number for the patient to call."},
    )
    patient_name = forms.CharField(
        label="Patient's name (optional)",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    first_day = forms.DateField(
        label="First day of treatment (optional)",
        required=False,
        help_text="With a date, the calendar shows dates and a phone calendar file is offered.",
        widget=DateInput(),
        # The date picker sends ISO dates; browsers without it let people type UK dates.
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": "Enter the first day as a real date, like 31/12/2026."},
    )
    days_on = forms.IntegerField(
        label="Days taking the medicine in each cycle",
        min_value=1,
        max_value=MAX_DAYS_ON,
        error_messages={
            "required": "Enter how many days the patient takes the medicine in each cycle.",
            "invalid": "Enter the days taking the medicine as a whole number.",
            "min_value": "Days taking the medicine must be at least 1.",
            "max_value": f"Days taking the medicine must be {MAX_DAYS_ON} or fewer.",
        },
    )
    days_off = forms.IntegerField(
        label="Rest days in each cycle",
        min_value=0,
        max_value=MAX_DAYS_OFF,
        error_messages={
            "required": "Enter how many rest days each cycle has (0 if none).",
            "invalid": "Enter the rest days as a whole number.",
            "min_value": "Rest days cannot be below 0.",
            "max_value": f"Rest days must be {MAX_DAYS_OFF} or fewer.",
        },
    )
    cycles = forms.IntegerField(
        label="Number of cycles on the calendar",
        min_value=1,
        max_value=MAX_CYCLES,
        error_messages={
            "required": "Enter how many cycles to show.",
            "invalid": "Enter the number of cycles as a whole number.",
            "min_value": "Show at least 1 cycle.",
            "max_value": f"Show {MAX_CYCLES} cycles or fewer.",
        },
    )
    pregnancy = forms.ChoiceField(
        label="Pregnancy prevention",
        choices=WhoFor.CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the pregnancy options."},
    )

    def clean_phone(self) -> str:
        phone = " ".join(self.cleaned_data["phone"].split())
        if not PHONE_RE.match(phone):
            raise forms.ValidationError(
                "Use only digits, spaces, +, - and brackets in the phone number."
            )
        digits = sum(c.isdigit() for c in phone)
        if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
            raise forms.ValidationError(
                f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits;"
                f" this one has {digits}."
            )
        return phone

    def clean_first_day(self) -> datetime.date | None:
        day = self.cleaned_data["first_day"]
        if day is None:
            return None
        today = timezone.localdate()
        earliest = today - datetime.timedelta(days=DAYS_BACK)
        latest = today + datetime.timedelta(days=DAYS_AHEAD)
        if not earliest <= day <= latest:
            raise forms.ValidationError(
                "The first day must be between 1 year ago and 2 years from today"
                f" ({earliest:%d/%m/%Y} to {latest:%d/%m/%Y})."
            )
        return day

    def clean_pregnancy(self) -> str:
        # Not chosen means not known: show every pregnancy point rather than too few.
        return self.cleaned_data["pregnancy"] or WhoFor.ALL

    def clean(self):
        data = super().clean()
        on, off, cycles = data.get("days_on"), data.get("days_off"), data.get("cycles")
        if None not in (on, off, cycles) and (on + off) * cycles > MAX_CALENDAR_WEEKS * 7:
            raise forms.ValidationError(
                f"That is {(on + off) * cycles} days. The calendar fits {MAX_CALENDAR_WEEKS}"
                f" weeks ({MAX_CALENDAR_WEEKS * 7} days): show fewer cycles and print a new"
                " handout later."
            )
        return data


class CalendarForm(HandoutForm):
    """The .ics file needs real dates, so the first day is required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first_day = self.fields["first_day"]
        first_day.required = True
        first_day.error_messages["required"] = (
            "Enter the first day of treatment to make a calendar file."
        )


def bound_form(form_class, query):
    """Bind the form only when some of its fields were sent, so a bare URL shows a blank form."""
    if any(name in query for name in form_class.base_fields):
        return form_class(query)
    return None


def initial_for(drug: Drug) -> dict:
    """Prefill the cycle from the monograph only where a source gives one; never guess."""
    initial = {"pregnancy": WhoFor.ALL}
    if drug.cycle_days_on is not None:
        initial.update(days_on=drug.cycle_days_on, days_off=drug.cycle_days_off)
    return initial


# --- The calendar -------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    number: int  # 1 is the first day of treatment
    cycle: int
    cycle_day: int
    taking: bool
    date: datetime.date | None = None
    pregnancy_test: bool = False


def treatment_days(
    days_on: int, days_off: int, cycles: int, first_day: datetime.date | None = None
) -> list[Day]:
    """Every day of the cycles in order, each taking or resting, dated when the start is known."""
    days = []
    length = days_on + days_off
    for index in range(length * cycles):
        cycle_day = index % length + 1
        days.append(
            Day(
                number=index + 1,
                cycle=index // length + 1,
                cycle_day=cycle_day,
                taking=cycle_day <= days_on,
                date=first_day + datetime.timedelta(days=index) if first_day else None,
            )
        )
    return days


def pregnancy_test_days(days: list[Day]) -> list[int]:
    """Day numbers of the tests: every 4 weeks while taking the drug, and 4 weeks after."""
    taking = [d.number for d in days if d.taking]
    if not taking:
        return []
    last_dose = taking[-1]
    during = range(1 + PREGNANCY_TEST_EVERY_DAYS, last_dose + 1, PREGNANCY_TEST_EVERY_DAYS)
    return [*during, last_dose + PREGNANCY_TEST_AFTER_DAYS]


def mark_tests(days: list[Day], test_days: list[int]) -> list[Day]:
    wanted = set(test_days)
    return [replace(d, pregnancy_test=True) if d.number in wanted else d for d in days]


def weeks(days: list[Day]) -> list[list[Day | None]]:
    """Rows of 7: Monday to Sunday when dated (blank cells pad the ends), else days 1-7, 8-14."""
    if not days:
        return []
    lead = days[0].date.weekday() if days[0].date else 0
    cells: list[Day | None] = [None] * lead + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def rest_periods(days: list[Day]) -> list[list[Day]]:
    """Each run of consecutive rest days."""
    return [list(run) for taking, run in groupby(days, key=lambda d: d.taking) if not taking]


# --- Content for the handout --------------------------------------------------------------

# The handout has room only for cards that ask for action before the next visit.
CARD_LEVELS = (Urgency.IMMEDIATE, Urgency.URGENT, Urgency.TELL)


def care_cards(drug: Drug) -> list[CareCard]:
    """The drug's help rules as the patient pages' cards (needs with_monograph())."""
    owners = [(e.title, "", e.help_rules.all()) for e in drug.side_effects.all()]
    owners += [(p.title, "", p.help_rules.all()) for p in drug.precautions.all()]
    return [c for c in build_care_cards(owners, drug.contact) if c.urgency in CARD_LEVELS]


@dataclass
class ActionEffect:
    name: str
    urgency: str


def action_side_effects(drug: Drug) -> list[ActionEffect]:
    """Side effects with a help rule, most urgent first, then in monograph order."""
    effects = [
        ActionEffect(effect.title, effect.urgency)
        for effect in drug.side_effects.all()
        if effect.help_rules.all()
    ]
    return sorted(effects, key=lambda e: Urgency.rank(e.urgency))


def pregnancy_applies(applies_to: str, who: str) -> bool:
    if who == WhoFor.ALL:
        return True
    return applies_to in (AppliesTo.EVERYONE, AppliesTo.CARERS, who)


class Handout:
    """Everything the printed handout shows, from a drug loaded with_monograph()."""

    def __init__(self, drug: Drug, data: dict, today: datetime.date | None = None):
        self.drug = drug
        self.phone = data["phone"]
        self.patient_name = data.get("patient_name", "")
        self.first_day = data.get("first_day")
        self.days_on = data["days_on"]
        self.days_off = data["days_off"]
        self.cycles = data["cycles"]
        self.who = data.get("pregnancy") or WhoFor.ALL
        self.today = today or timezone.localdate()

        sections = {s.kind: s for s in drug.sections.all()}
        self.how_to_take = sections.get(SectionKind.HOW_TO_TAKE)
        self.missed_doses = sections.get(SectionKind.MISSED_DOSES)
        precautions = list(drug.precautions.all())
        self.handling = [p for p in precautions if p.kind in HANDLING_KINDS]
        self.pregnancy = [
            p
            for p in precautions
            if p.kind == PrecautionKind.PREGNANCY_PREVENTION
            and pregnancy_applies(p.applies_to, self.who)
        ]
        self.show_applies_to = self.who == WhoFor.ALL
        self.action_effects = action_side_effects(drug)
        self.cards = care_cards(drug)

        days = treatment_days(self.days_on, self.days_off, self.cycles, self.first_day)
        self.tests_shown = self.who == WhoFor.CAN_GET_PREGNANT
        test_days = pregnancy_test_days(days) if self.tests_shown else []
        self.days = mark_tests(days, test_days)
        self.weeks = weeks(self.days)
        # Listed under the calendar too: the last test falls after the calendar ends.
        self.test_days = test_days
        self.test_dates = [self._date_of(n) for n in test_days]

    def _date_of(self, number: int) -> datetime.date | None:
        if self.first_day is None:
            return None
        return self.first_day + datetime.timedelta(days=number - 1)

    @property
    def cycle_length(self) -> int:
        return self.days_on + self.days_off


# --- The .ics file ------------------------------------------------------------------------


def _event(uid: str, start: datetime.date, days: int, summary: str, description: str, stamp):
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    # All-day events end on the day after, exclusively (RFC 5545 3.6.1).
    event.add("dtend", start + datetime.timedelta(days=days))
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


def build_ics(handout: Handout, url: str, stamp: datetime.datetime | None = None) -> bytes:
    """One all-day event per treatment day, one per rest period, one per pregnancy test."""
    drug = handout.drug
    stamp = stamp or timezone.now()
    start = handout.first_day
    # Same handout, same UIDs: importing it again updates the events instead of doubling them.
    prefix = f"{drug.slug}-{start:%Y%m%d}-{handout.days_on}-{handout.days_off}"
    footer = f"24-hour line: {handout.phone}\n{url}"
    name = drug.name.lower()

    cal = Calendar()
    cal.add("prodid", "-//Myeloma medication guide//Treatment handout//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{drug.name} treatment")

    for day in handout.days:
        if day.taking:
            cal.add_component(
                _event(
                    f"{prefix}-take-{day.date:%Y%m%d}@{UID_DOMAIN}",
                    day.date,
                    1,
                    f"Take {name} (cycle {day.cycle}, day {day.cycle_day})",
                    f"Take your {name} today.\n{footer}",
                    stamp,
                )
            )
    for period in rest_periods(handout.days):
        first = period[0]
        cal.add_component(
            _event(
                f"{prefix}-rest-{first.date:%Y%m%d}@{UID_DOMAIN}",
                first.date,
                len(period),
                f"Rest from {name} (cycle {first.cycle}, {len(period)} days)",
                f"No {name} on these days.\n{footer}",
                stamp,
            )
        )
    for date in handout.test_dates:
        cal.add_component(
            _event(
                f"{prefix}-pregnancy-test-{date:%Y%m%d}@{UID_DOMAIN}",
                date,
                1,
                "Pregnancy test due",
                f"A pregnancy test is due around this day. Check the date with your team.\n{footer}",
                stamp,
            )
        )
    return cal.to_ical()
