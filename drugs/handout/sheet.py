"""What the handout shows for one patient: the warnings that apply, the sheet, the caches."""

import datetime
from dataclasses import dataclass
from functools import lru_cache

import segno
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from drugs.handout.calendar import (
    Day,
    blank_days,
    mark_tests,
    pregnancy_test_days,
    treatment_days,
    until,
    weekday_names,
    weeks,
)
from drugs.handout.excerpts import Printed, printed
from drugs.handout.forms import BLANK_GRID_WEEKS, DEFAULT_CYCLES, CalendarKind, WhoFor
from drugs.handout.help import PREGNANCY_TESTS, help_cards
from drugs.models import AppliesTo, Drug, Precaution, PrecautionKind, SectionKind
from drugs.page_cache import LocalPages, content_version

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


# Keyed by the content version, like the page cache: a publish makes every entry unreachable.
monographs = LocalPages(32)
sheets = LocalPages(128)


def published_monograph(slug: str) -> Drug | None:
    """The published drug with everything a handout shows, loaded once per content version."""
    version = content_version()

    def load():
        drug = Drug.objects.published().with_monograph().filter(slug=slug).first()
        if drug is not None:
            # What its shared sheets are kept by: read once per request, not once per cache.
            drug.content_version = version
        return drug

    return monographs.get_or_make((version, slug), load)


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
    return sheets.get_or_make((version, drug.pk, who, guide_url), make)


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
