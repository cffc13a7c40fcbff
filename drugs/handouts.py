"""The nurse's handout: its form, what it shows for one patient, its calendar, QR code and .ics."""

import datetime
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby

import segno
from django import forms
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from icalendar import Calendar, Event

from drugs.markdown import render_markdown
from drugs.models import AppliesTo, Drug, Precaution, PrecautionKind, SectionKind, Urgency
from drugs.page_cache import content_version
from drugs.pages.care import CareCard, build_care_cards

# Bounds for the form. Days on/off cover every myeloma schedule we know of with room to
# spare. The calendar cap is what still prints on 2 A4 pages at 11 pt with everything else
# (tests/browser/test_handout_pdf.py prints the longest one); the nurse prints a new handout
# for the next weeks.
MAX_DAYS_ON = 42
MAX_DAYS_OFF = 42
MAX_CYCLES = 12
DEFAULT_CYCLES = 2
MAX_CALENDAR_WEEKS = 8
# Without a cycle from the sources or the nurse, a grid of this many weeks to fill in by hand;
# a length of paper, not a claim about the treatment.
BLANK_GRID_WEEKS = 6
DAYS_BACK = 365
DAYS_AHEAD = 730
LAST_DAY_AHEAD = 5 * 365
# E.164 allows at most 15 digits; fewer than 6 is no phone number a patient can call.
MIN_PHONE_DIGITS = 6
MAX_PHONE_DIGITS = 15
# A number, then optionally the extension or menu option to choose: "0161 555 0123 option 2",
# "020 7946 0000, ext 123". Anything else (words, markup) is refused.
PHONE_RE = re.compile(
    r"^(?P<number>\+?[0-9(][0-9 ()\-]*[0-9])"
    r"(?:\s*,?\s*(?P<kind>ext\.?|extension|x|option|opt\.?)\s*(?P<extra>[0-9]{1,6}))?$",
    re.IGNORECASE,
)
PHONE_EXTRA_WORDS = {
    "ext": "ext",
    "extension": "ext",
    "x": "ext",
    "option": "option",
    "opt": "option",
}
PHONE_EXAMPLE = "0161 555 0123"
PREGNANCY_TEST_EVERY_DAYS = 28
UID_DOMAIN = "handout.myeloma-medication-guide"


class WhoFor:
    """Which pregnancy points the handout carries."""

    ALL = "all"
    CAN_GET_PREGNANT = AppliesTo.CAN_GET_PREGNANT.value
    COULD_MAKE_PREGNANT = AppliesTo.COULD_MAKE_PREGNANT.value
    CHOICES = [
        (CAN_GET_PREGNANT, "The patient can get pregnant"),
        (COULD_MAKE_PREGNANT, "The patient could make someone pregnant"),
        (ALL, "Not sure, or neither: show all pregnancy points"),
    ]


class CalendarChoice:
    SHOW = "show"
    NONE = "none"
    CHOICES = [
        (SHOW, "Show a calendar (a blank grid to fill in by hand when there is no cycle)"),
        (NONE, "No calendar"),
    ]


class CalendarKind:
    """What the calendar on a handout is."""

    CYCLE = "cycle"  # take and rest days from a cycle
    BLANK = "blank"  # a grid to fill in by hand
    NONE = "none"


DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        # The date picker sends ISO dates; keep the value in that format when redisplayed.
        super().__init__(format="%Y-%m-%d")

    def format_value(self, value):
        if isinstance(value, str):
            # A date input can hold only an ISO date: a typed UK date comes back as one, and
            # anything else as blank, beside its error message.
            for pattern in DATE_INPUT_FORMATS:
                try:
                    return datetime.datetime.strptime(value.strip(), pattern).date().isoformat()
                except ValueError:
                    continue
            return None
        return super().format_value(value)


def date_field(label: str, help_text: str, what: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=DateInput(),
        # The date picker sends ISO dates; browsers without it let people type UK dates.
        input_formats=DATE_INPUT_FORMATS,
        error_messages={"invalid": f"Enter the {what} as a real date, like 31/12/2026."},
    )


def whole_number(label: str, what: str, low: int, high: int, low_message: str, help_text=""):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        help_text=help_text,
        error_messages={
            "invalid": f"Enter the {what} as a whole number, like {max(low, 2)}.",
            "min_value": low_message,
            "max_value": f"Enter {high} or fewer {what}.",
        },
    )


def normalise_phone(raw: str) -> str:
    """The number with single spaces, and "ext" or "option" spelt one way; raises if not a phone."""
    phone = " ".join(raw.split())
    match = PHONE_RE.match(phone)
    if not match:
        raise forms.ValidationError(
            f"Enter the phone number in digits, like {PHONE_EXAMPLE}. You can add an"
            " extension or option after it, like “ext 123” or “option 2”."
        )
    number = match["number"]
    digits = sum(c.isdigit() for c in number)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        raise forms.ValidationError(
            f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits;"
            f" this one has {digits}. Check it and enter it again."
        )
    if match["kind"]:
        word = PHONE_EXTRA_WORDS[match["kind"].lower().rstrip(".")]
        return f"{number} {word} {match['extra']}"
    return number


class HandoutForm(forms.Form):
    """What the nurse enters: only the phone number is needed; checked in full before use."""

    phone = forms.CharField(
        label="Your team's phone number",
        max_length=40,
        help_text=f"For example {PHONE_EXAMPLE}, or {PHONE_EXAMPLE} option 2. It goes on the"
        " help cards.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={
            "required": f"Enter the phone number the patient should call, like {PHONE_EXAMPLE}.",
            "max_length": "Enter the phone number in 40 characters or fewer.",
        },
    )
    patient_name = forms.CharField(
        label="Patient's name (optional)",
        max_length=80,
        required=False,
        help_text="Printed on the handout only; it is not kept or sent anywhere else.",
        # The browser must not offer one patient's name on the next patient's form.
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"max_length": "Enter the name in 80 characters or fewer."},
    )
    first_day = date_field(
        "First day of treatment (optional)",
        "With a date, the calendar shows dates and a phone calendar file is offered.",
        "first day",
    )
    last_day = date_field(
        "Last day of treatment (optional)",
        "Only if the team has set an end date. It dates the last pregnancy test."
        " Leave it blank if treatment goes on for as long as it works.",
        "last day",
    )
    days_on = whole_number(
        "Days taking the medicine in each cycle",
        "days taking the medicine",
        1,
        MAX_DAYS_ON,
        "Enter at least 1 day taking the medicine.",
    )
    days_off = whole_number(
        "Rest days in each cycle", "rest days", 0, MAX_DAYS_OFF, "Enter 0 or more rest days."
    )
    cycles = whole_number(
        "Number of cycles on the calendar",
        "cycles",
        1,
        MAX_CYCLES,
        "Show at least 1 cycle.",
        help_text=f"{DEFAULT_CYCLES} if you leave it blank.",
    )
    calendar = forms.ChoiceField(
        label="Calendar",
        choices=CalendarChoice.CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose whether to show a calendar."},
    )
    pregnancy = forms.ChoiceField(
        label="Pregnancy points",
        choices=WhoFor.CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the pregnancy options."},
    )
    large_print = forms.BooleanField(
        label="Large print (16 point text; it may take more than 2 pages)", required=False
    )

    def __init__(self, *args, cycle: tuple[int, int] | None = None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # The cycle the drug's own sources give, used when the nurse leaves the days blank.
        self.source_cycle = cycle

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean_first_day(self) -> datetime.date | None:
        return self._in_range("first_day", "The first day", DAYS_AHEAD, "2 years")

    def clean_last_day(self) -> datetime.date | None:
        return self._in_range("last_day", "The last day", LAST_DAY_AHEAD, "5 years")

    def _in_range(self, name: str, what: str, ahead: int, ahead_words: str):
        day = self.cleaned_data[name]
        if day is None:
            return None
        today = timezone.localdate()
        earliest = today - datetime.timedelta(days=DAYS_BACK)
        latest = today + datetime.timedelta(days=ahead)
        if not earliest <= day <= latest:
            raise forms.ValidationError(
                f"{what} must be between 1 year ago and {ahead_words} from today"
                f" ({earliest:%d/%m/%Y} to {latest:%d/%m/%Y}). Check the date and enter it again."
            )
        return day

    def clean_calendar(self) -> str:
        return self.cleaned_data["calendar"] or CalendarChoice.SHOW

    def clean_pregnancy(self) -> str:
        # Not chosen means not known: show every pregnancy point rather than too few.
        return self.cleaned_data["pregnancy"] or WhoFor.ALL

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error(
                "last_day",
                f"The last day must be on or after the first day ({first:%d/%m/%Y}).",
            )
        if self.errors:
            return data
        on, off = data.get("days_on"), data.get("days_off")
        if (on is None) != (off is None):
            missing = "days_off" if off is None else "days_on"
            self.add_error(
                missing,
                "Enter both the days taking the medicine and the rest days (0 if none),"
                " or leave both blank.",
            )
            return data
        if on is None and self.source_cycle:
            on, off = self.source_cycle
        data["days_on"], data["days_off"] = on, off
        data["cycles"] = data.get("cycles") or DEFAULT_CYCLES
        if data["calendar"] == CalendarChoice.NONE:
            data["calendar_kind"] = CalendarKind.NONE
        elif on is None:
            data["calendar_kind"] = CalendarKind.BLANK
        else:
            data["calendar_kind"] = CalendarKind.CYCLE
            days = (on + off) * data["cycles"]
            if days > MAX_CALENDAR_WEEKS * 7:
                self.add_error(
                    "cycles",
                    f"That is {days} days. The calendar fits {MAX_CALENDAR_WEEKS} weeks"
                    f" ({MAX_CALENDAR_WEEKS * 7} days): show fewer cycles, and print a new"
                    " handout for the weeks after.",
                )
        return data


class CalendarForm(HandoutForm):
    """The .ics file needs real dates and a cycle, so the first day is required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first_day = self.fields["first_day"]
        first_day.required = True
        first_day.error_messages["required"] = (
            "Enter the first day of treatment to make a calendar file."
        )

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("calendar_kind") != CalendarKind.CYCLE:
            self.add_error(
                "days_on", "Enter the cycle (days taking it and rest days) to make a calendar file."
            )
        return data


def initial_for(drug: Drug) -> dict:
    """Prefill the cycle from the monograph only where a source gives one; never guess."""
    initial = {"pregnancy": WhoFor.ALL, "calendar": CalendarChoice.SHOW, "cycles": DEFAULT_CYCLES}
    if drug.cycle_days_on is not None:
        initial.update(days_on=drug.cycle_days_on, days_off=drug.cycle_days_off)
    return initial


def source_cycle(drug: Drug) -> tuple[int, int] | None:
    if drug.cycle_days_on is None:
        return None
    return (drug.cycle_days_on, drug.cycle_days_off)


# --- The calendar -------------------------------------------------------------------------


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


# --- Pregnancy tests, as each drug's sources give them ------------------------------------


@dataclass(frozen=True)
class TestSchedule:
    """What a drug's sources say about pregnancy tests for people who can get pregnant."""

    before: str  # the tests before the first dose, in the source's terms
    # "once": 1 test 4 weeks after treatment finishes; "until": tests go on for 4 weeks after.
    after: str
    after_days: int = 28


# Keyed by slug because the monograph keeps these facts in prose; tests/test_handout.py checks
# each against the imported monograph's own words, so a content change cannot leave it stale.
PREGNANCY_TESTS = {
    # The drug database: 2 negative tests before starting; Cancer Research UK: every 4 weeks
    # during treatment and 4 weeks afterwards (review 2.5).
    "lenalidomide": TestSchedule(before="2 tests that show you are not pregnant", after="once"),
    # Macmillan: a test before starting, repeated every 4 weeks during treatment and for
    # 4 weeks after treatment finishes.
    "pomalidomide": TestSchedule(before="1 test", after="until"),
}


# --- What to do: the help rules by level, with the nurse's number -------------------------


@dataclass(frozen=True)
class ProseRule:
    """A general rule a monograph gives only in a section's prose, not as a help rule.

    Printed only while the monograph still says `sentence`, word for word, in that section.
    """

    section: str
    sentence: str
    urgency: str
    sign: str  # as it reads on the card


PROSE_RULES = (
    # Cancer Research UK, lenalidomide: "straight away" is "Call your team now" (review 3.1).
    ProseRule(
        SectionKind.SIDE_EFFECTS,
        "If any side effect becomes severe, tell your doctor or nurse straight away.",
        Urgency.URGENT,
        "Any side effect that becomes severe",
    ),
    # Macmillan, pomalidomide: no timing given, so "Tell your team".
    ProseRule(
        SectionKind.SIDE_EFFECTS,
        "Always tell your team about any side effects.",
        Urgency.TELL,
        "Any side effect",
    ),
)
# A rule that sends the reader to signs "listed above" on the drug page: on paper, the
# handout names the entry in the full guide that lists them.
POINTS_ABOVE = re.compile(r"\blisted above\b")


@dataclass
class HelpSign:
    """One warning sign on a card: its plain name, with the thresholds and conditions its rules
    give (the full guide has each rule in full)."""

    name: str
    details: list[str]
    see: str = ""  # the full guide's entry that lists signs a rule points to


@dataclass
class HelpCard:
    urgency: str
    heading: str  # "Call your team now if:"
    signs: list[HelpSign]

    @property
    def calls_999(self) -> bool:
        return self.urgency == Urgency.IMMEDIATE


def _owners(drug: Drug) -> list[tuple[str, str, list]]:
    owners = [(e.title, "", e.help_rules.all()) for e in drug.side_effects.all()]
    return owners + [(p.title, "", p.help_rules.all()) for p in drug.precautions.all()]


def care_cards(drug: Drug) -> list[CareCard]:
    """The drug's help rules as the patient pages' cards (needs with_monograph())."""
    return build_care_cards(_owners(drug), drug.contact)


def squash(text: str) -> str:
    return " ".join(text.split())


def prose_rules(drug: Drug, sections: dict) -> list[ProseRule]:
    """The general rules whose sentence the monograph's section still says."""
    return [
        rule
        for rule in PROSE_RULES
        if rule.section in sections and rule.sentence in squash(sections[rule.section].text)
    ]


def _sign(group, thresholds: dict) -> HelpSign:
    details, see = [], []
    for item in group.items:
        for part in (*thresholds.get((item.text, item.condition), ()), item.condition):
            # "Not pooing for over 2 days" needs no "(over 2 days)" after it.
            if part and part not in details and part.lower() not in group.name.lower():
                details.append(part)
        if POINTS_ABOVE.search(item.text):
            see += [title for title, _ in item.entries if title not in see]
    return HelpSign(group.name, details, ", ".join(see))


def help_cards(drug: Drug, sections: dict) -> list[HelpCard]:
    """Every help rule by level, most urgent first, as its signs; with the general prose rules.

    A sign's name, threshold and condition say when to act at that level; two levels of one
    sign always differ by their condition (the importer refuses them otherwise).
    """
    owners = _owners(drug)
    thresholds: dict[tuple[str, str], list[str]] = {}
    for _, _, rules in owners:
        for rule in rules:
            found = thresholds.setdefault((rule.text, rule.condition), [])
            if rule.threshold and rule.threshold not in found:
                found.append(rule.threshold)
    cards = [
        HelpCard(card.urgency, card.heading, [_sign(g, thresholds) for g in card.signs])
        for card in build_care_cards(owners, drug.contact)
    ]
    for rule in prose_rules(drug, sections):
        heading = f"{Urgency(rule.urgency).label} if:"
        card = next((c for c in cards if c.heading == heading), None)
        if card is None:
            card = HelpCard(rule.urgency, heading, [])
            cards.append(card)
            cards.sort(key=lambda c: Urgency.rank(c.urgency))
        card.signs.insert(0, HelpSign(rule.sign, []))
    return cards


# --- Entries too long for 2 pages, shortened ----------------------------------------------


@dataclass(frozen=True)
class Excerpt:
    """The parts of one monograph entry that the 2-page handout prints, word for word."""

    parts: tuple[str, ...]  # Markdown copied from the monograph
    # Whether the entry's "Sources differ" notes still apply to what is printed.
    notes: bool = True


# At 12 pt the whole of these entries would push the handout past 2 sheets. Keyed by (drug
# slug, precaution title or section kind). Each part must still be in the monograph word for
# word, or the whole entry is printed instead; a shortened entry says so and points to the
# full guide (tests/test_handout.py checks every part against content/).
EXCERPTS = {
    ("lenalidomide", SectionKind.HOW_TO_TAKE): Excerpt(
        (
            """Lenalidomide comes as capsules. You usually take it once a day.

- Swallow the capsules whole with a glass of water.
- Do not open, break or chew them.
- You can take them with or without food.
- Take them at the same time every day.""",
            # The cycle note is the calendar's business: the nurse enters the patient's cycle.
        ),
        notes=False,
    ),
    ("lenalidomide", "Preventing pregnancy: for everyone"): Excerpt(
        (
            "Lenalidomide can cause birth defects.",
            """You must not get pregnant or make someone
pregnant while you take it. It must never be taken in pregnancy.""",
            """You must agree to use contraception:

- for 4 weeks before treatment starts
- all through treatment
- for 4 weeks after treatment ends""",
        )
    ),
    ("lenalidomide", "If you can get pregnant"): Excerpt(
        # The tests are in the handout's own dated list; a late period is on the help cards.
        ("Lenalidomide may stop the contraceptive pill working so well.",),
        # Its note answers the drug database's warning, which is not printed.
        notes=False,
    ),
    ("lenalidomide", "If you could make someone pregnant"): Excerpt(
        # Its note gives the drug database's condom rule too.
        (
            """Your partner may be able to get pregnant.
If so, use a condom when you have sex during treatment. Keep using condoms for 1 week
after treatment ends.""",
        )
    ),
    ("lenalidomide", "Handling the capsules"): Excerpt(
        (
            """- Do not open, break or chew the capsules. Touch them as little as you can.""",
            """- If you are pregnant, or could get pregnant, do not touch the capsules. Do not breathe
  in dust from a broken capsule.
- If powder from a capsule gets on your skin, wash it off with soap and water.
- Everyone should wash their hands well after touching the capsules.""",
        )
    ),
    ("lenalidomide", "Vaccines"): Excerpt(
        (
            """Do not have live vaccines during treatment. Wait at least 6 months after it ends. In
the UK, live vaccines include:

- MMR, for measles, mumps and rubella
- BCG
- Zostavax, for shingles
- yellow fever""",
        ),
        # Its note is about being near people who had a live vaccine, which is not printed.
        notes=False,
    ),
    ("pomalidomide", SectionKind.HOW_TO_TAKE): Excerpt(
        (
            """- Swallow the capsules whole with a glass of water.
- Do not chew, open or crush them.
- You can take them with or without food.
- Take them at the same time each day.
- If you are sick soon after taking them, contact the hospital. Do not take another dose.""",
        )
    ),
    ("pomalidomide", "Preventing pregnancy: for everyone"): Excerpt(
        (
            """You must not get pregnant or make someone pregnant while you take pomalidomide. It may
cause severe abnormalities in a developing baby.""",
            "You will be part of a pregnancy prevention programme during treatment.",
        )
    ),
    ("pomalidomide", "If you can get pregnant"): Excerpt(
        # The tests are in the handout's own dated list; a possible pregnancy is on the cards.
        (
            """Use a type of contraception that works well, such as:

- an implant
- an injection
- the progesterone-only pill

The combined pill is not advised. It raises your risk of blood clots.

Use contraception:

- for 4 weeks before treatment
- all through treatment
- for 4 weeks after treatment ends""",
        )
    ),
    ("pomalidomide", "Vaccines"): Excerpt(
        (
            "If your immune system is weak, do not have live vaccines. They can make you unwell.",
            """Ask your team before you have any vaccine. They can tell you which ones are right for
you, and the best time to have them.""",
        )
    ),
}


@dataclass
class Printed:
    """A section or precaution as the handout prints it: whole, or shortened from EXCERPTS."""

    item: object  # the Section or Precaution
    html: SafeString
    notes: list
    shortened: bool = False

    @property
    def audience(self) -> str:
        """Whom a precaution is for, where its title does not say so already."""
        applies_to = getattr(self.item, "applies_to", AppliesTo.EVERYONE)
        if applies_to == AppliesTo.EVERYONE:
            return ""
        who = self.item.get_applies_to_display().lower()
        return "" if who.removeprefix("people who ") in self.item.title.lower() else who


def printed(slug: str, key: str, item) -> Printed:
    notes = list(item.disagreements.all())
    excerpt = EXCERPTS.get((slug, key))
    text = squash(item.text)
    if excerpt is None or not all(squash(part) in text for part in excerpt.parts):
        return Printed(item, mark_safe(item.text_html), notes)
    # render_markdown sanitises, as it does for every stored entry.
    html = mark_safe("".join(render_markdown(part) for part in excerpt.parts))
    return Printed(item, html, notes if excerpt.notes else [], shortened=True)


# --- Warnings chosen for the patient ------------------------------------------------------

# The precautions the handout prints, in groups in the drug page's order; the rest are named
# in the "also in your full guide" line, never dropped silently.
WARNING_GROUPS = (
    ("Handling and storage", (PrecautionKind.HANDLING, PrecautionKind.STORAGE)),
    (
        "Pregnancy and breastfeeding",
        (
            PrecautionKind.PREGNANCY_PREVENTION,
            PrecautionKind.SPERM_DONATION,
            PrecautionKind.BREASTFEEDING,
        ),
    ),
    ("Giving blood and vaccines", (PrecautionKind.BLOOD_DONATION, PrecautionKind.VACCINATION)),
)
HANDOUT_KINDS = {kind for _, kinds in WARNING_GROUPS for kind in kinds}
# Parts of the drug page the handout never prints, named in its "also in your full guide" line.
GUIDE_ONLY = "what it is, how it works and all its side effects"


def applies(precaution: Precaution, who: str) -> bool:
    if who == WhoFor.ALL:
        return True
    return precaution.applies_to in (AppliesTo.EVERYONE, AppliesTo.CARERS, who)


@dataclass
class WarningGroup:
    title: str
    precautions: list[Printed]
    pregnancy: bool = False  # the group the pregnancy tests are listed in


def lower_first(title: str) -> str:
    # "Other medicines" reads as "other medicines" mid-sentence; "MMR" stays as it is.
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


# --- The handout --------------------------------------------------------------------------


class HandoutContent:
    """What a handout shows for one drug and audience: the same for every patient, so cacheable.

    From a drug loaded with_monograph(); nothing here queries again.
    """

    def __init__(self, drug: Drug, who: str):
        self.drug = drug
        self.who = who
        # Only where the drug's own sources give a 24-hour line (Drug.contact says whom to call).
        self.round_the_clock = "24-hour" in drug.contact
        self.number_label = "Your 24-hour number" if self.round_the_clock else "Your team's number"

        sections = {s.kind: s for s in drug.sections.all()}
        self.how_to_take = self._section(sections, SectionKind.HOW_TO_TAKE)
        self.missed_doses = self._section(sections, SectionKind.MISSED_DOSES)
        self.cards = help_cards(drug, sections)

        precautions = list(drug.precautions.all())
        shown = {p.pk for p in precautions if p.kind in HANDOUT_KINDS and applies(p, who)}
        groups = [
            WarningGroup(
                title,
                [
                    printed(drug.slug, p.title, p)
                    for p in precautions
                    if p.kind in kinds and p.pk in shown
                ],
                pregnancy=PrecautionKind.PREGNANCY_PREVENTION in kinds,
            )
            for title, kinds in WARNING_GROUPS
        ]
        self.warning_groups = [g for g in groups if g.precautions]
        self.has_pregnancy_group = any(g.pregnancy for g in self.warning_groups)
        self.show_applies_to = who == WhoFor.ALL
        self.left_out = [GUIDE_ONLY] + [
            lower_first(p.title)
            + (f" (for {p.get_applies_to_display().lower()})" if p.kind in HANDOUT_KINDS else "")
            for p in precautions
            if p.pk not in shown
        ]

        tests_shown = who in (WhoFor.CAN_GET_PREGNANT, WhoFor.ALL) and any(
            p.kind == PrecautionKind.PREGNANCY_PREVENTION
            and p.applies_to == AppliesTo.CAN_GET_PREGNANT
            for p in precautions
        )
        self.test_schedule = PREGNANCY_TESTS.get(drug.slug) if tests_shown else None
        # Tests are marked on the calendar only for a patient who can get pregnant.
        self.tests_marked = self.test_schedule is not None and who == WhoFor.CAN_GET_PREGNANT

    def _section(self, sections: dict, kind: str) -> Printed | None:
        section = sections.get(kind)
        return printed(self.drug.slug, kind, section) if section else None


class Handout:
    """One patient's handout: the shared content, with the nurse's number and the calendar."""

    def __init__(self, content: HandoutContent, data: dict, today: datetime.date | None = None):
        self.content = content
        self.drug = content.drug
        self.who = content.who
        self.test_schedule = content.test_schedule
        self.tests_marked = content.tests_marked
        self.number_label = content.number_label
        self.phone = data["phone"]
        self.patient_name = data.get("patient_name", "")
        self.first_day = data.get("first_day")
        self.last_day = data.get("last_day")
        self.days_on = data.get("days_on")
        self.days_off = data.get("days_off")
        self.cycles = data.get("cycles") or DEFAULT_CYCLES
        self.calendar_kind = data.get("calendar_kind") or (
            CalendarKind.CYCLE if self.days_on is not None else CalendarKind.BLANK
        )
        self.large_print = bool(data.get("large_print"))
        self.today = today or timezone.localdate()

        days = self._calendar_days()
        self.test_days = pregnancy_test_days(days) if self.tests_marked else []
        self.days = mark_tests(days, self.test_days)
        self.weeks = weeks(self.days)
        self.weekdays = weekday_names(self.first_day)
        self.test_dates = [self._date_of(n) for n in self.test_days] if self.first_day else []

    def _calendar_days(self) -> list[Day]:
        if self.calendar_kind == CalendarKind.CYCLE:
            days = treatment_days(self.days_on, self.days_off, self.cycles, self.first_day)
        elif self.calendar_kind == CalendarKind.BLANK:
            days = blank_days(BLANK_GRID_WEEKS, self.first_day)
        else:
            return []
        return until(days, self.last_day)

    def _date_of(self, number: int) -> datetime.date:
        return self.first_day + datetime.timedelta(days=number - 1)

    @property
    def cycle_length(self) -> int | None:
        if self.days_on is None:
            return None
        return self.days_on + self.days_off

    @property
    def last_test_date(self) -> datetime.date | None:
        """The date of the test after treatment (or when tests end), only from an entered last day."""
        if self.test_schedule is None or self.last_day is None:
            return None
        return self.last_day + datetime.timedelta(days=self.test_schedule.after_days)

    @property
    def rows(self) -> list[SafeString]:
        """The calendar's rows as HTML, built here: 56 cells through the template engine cost
        more than the rest of the page."""
        return [
            mark_safe(
                f'<tr><th scope="row" class="week-col">Week {number}</th>'
                + "".join(cell_html(day) for day in week)
                + "</tr>"
            )
            for number, week in enumerate(self.weeks, start=1)
        ]


TICK = mark_safe('<span aria-hidden="true">&#9744;</span>&nbsp;')
# As Django's "M" gives them in en-GB, without a locale lookup for each of 56 cells.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def cell_html(day: Day | None) -> SafeString:
    if day is None:
        return mark_safe('<td class="empty"></td>')
    if day.date is None:
        label = f"Day {day.number}"
    elif day.with_month:
        label = f"{day.date.day} {MONTHS[day.date.month - 1]}"
    else:
        label = str(day.date.day)
    notes = ""
    if day.cycle_day == 1:
        notes += f' <span class="note">Cycle {day.cycle}</span>'
    if day.pregnancy_test:
        notes += ' <span class="note test">Test</span>'
    if day.taking is None:
        ticks = f'<span class="tick">{TICK}Take</span> <span class="tick">{TICK}Rest</span>'
    else:
        word = "Take" if day.taking else "Rest"
        ticks = f'<span class="tick">{TICK}<span class="word">{word}</span></span>'
    # Every part is fixed text, a number or a month's name: nothing here needs escaping.
    return mark_safe(f'<td class="{day.css}"><span class="date">{label}</span>{notes} {ticks}</td>')


# --- Caches: the monograph and its shared sheet, never anything personal -------------------


class Recent:
    """The most recently used values in this process, keyed by the content version.

    A key names one content version, so an entry can only ever hold what that version shows:
    a publish makes every entry unreachable at once, as for the page cache (drugs.page_cache).
    """

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()

    def get(self, key, make):
        try:
            value = self.entries[key]
            self.entries.move_to_end(key)
            return value
        except KeyError:
            value = self.entries[key] = make()
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
            return value

    def clear(self) -> None:
        self.entries.clear()


monographs = Recent(32)
sheets = Recent(128)


def published_monograph(slug: str) -> Drug | None:
    """The published drug with everything a handout shows, loaded once per content version."""
    version = content_version()

    def load():
        drug = Drug.objects.published().with_monograph().filter(slug=slug).first()
        if drug is not None:
            # What its shared sheets are kept by: read once per request, not once per cache.
            drug.content_version = version
        return drug

    return monographs.get((version, slug), load)


# Holes in the shared sheet for each patient's own parts. Private-use characters: no
# monograph or template text contains them.
SLOTS = {
    name: mark_safe(f"\ue000{name}\ue000")
    for name in ("large", "header", "phone", "tests", "calendar", "printed")
}


def shared_sheet(drug: Drug, who: str, guide_url: str) -> tuple[HandoutContent, str]:
    """The content and the rendered sheet for a drug and audience, with SLOTS to fill in."""

    def make():
        content = HandoutContent(drug, who)
        context = {
            "drug": drug,
            "content": content,
            "guide_url": guide_url,
            "qr": qr_svg(guide_url),
            "slots": SLOTS,
        }
        return content, render_to_string("drugs/handout/sheet.html", context)

    version = getattr(drug, "content_version", None)
    if version is None:  # not from published_monograph(): nothing says which version it shows
        return make()
    return sheets.get((version, drug.pk, who, guide_url), make)


class PrivateHTML(SafeString):
    """HTML with a patient's details in it. Its repr, which is what a debug log line or an
    error report shows of a template's context, says only what it is."""

    def __repr__(self) -> str:
        return "<PrivateHTML: not shown>"


def render_sheet(drug: Drug, data: dict, guide_url: str) -> tuple[Handout, PrivateHTML]:
    """One patient's handout: the shared sheet with their own parts rendered into its holes."""
    content, html = shared_sheet(drug, data.get("pregnancy") or WhoFor.ALL, guide_url)
    handout = Handout(content, data)
    context = {"drug": drug, "handout": handout}
    parts = {
        "large": " large-print" if handout.large_print else "",
        "header": render_to_string("drugs/handout/header.html", context),
        "phone": escape(handout.phone),
        "tests": render_to_string("drugs/handout/tests.html", context),
        "calendar": render_to_string("drugs/handout/calendar.html", context),
        "printed": escape(date_format(handout.today, "j M Y")),
    }
    for name, value in parts.items():
        html = html.replace(SLOTS[name], value)
    # The shared sheet was autoescaped when rendered, and every part above is escaped.
    return handout, PrivateHTML(html)


# --- The QR code to the full guide ----------------------------------------------------------


@lru_cache(maxsize=64)
def qr_svg(url: str) -> SafeString:
    """The URL as an inline SVG QR code, black on white so any printer keeps it readable."""
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=2, dark="#000", light="#fff", omitsize=True, svgclass="qr"
    )
    label = escape(f"QR code: scan it with a phone camera to open {url}")
    # Segno's own markup, with a name for screen readers (url is escaped above).
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


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
    footer = f"{handout.number_label}: {handout.phone}\nYour full guide: {url}"
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
    tests = list(handout.test_dates)
    # A dated test after treatment only where a source gives one ("until" sources give a span).
    if handout.tests_marked and handout.last_test_date and handout.test_schedule.after == "once":
        tests.append(handout.last_test_date)
    for date in tests:
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
