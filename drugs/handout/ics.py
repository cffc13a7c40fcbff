"""The .ics calendar file: treatment days and tests as events, with no name in it."""

import datetime

from django.utils import timezone
from icalendar import Calendar, Event

from drugs.handout.calendar import rest_periods
from drugs.handout.forms import UID_DOMAIN
from drugs.handout.sheet import Handout


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
