"""The handout's form: only the team's number is required; everything else has a default."""

import datetime
import re

from django import forms
from django.utils import timezone

from drugs.models import AppliesTo, Drug

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
