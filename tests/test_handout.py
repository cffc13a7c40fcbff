import datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from drugs import handouts
from drugs.handouts import (
    CalendarForm,
    HandoutForm,
    pregnancy_test_days,
    rest_periods,
    treatment_days,
    weeks,
)
from drugs.models import AppliesTo, PrecautionKind, SectionKind, Status, Urgency
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    HelpRuleFactory,
    PrecautionFactory,
    SectionFactory,
)

# Drug.objects.with_monograph(): the drug and its prefetched sources, sections, side effects,
# help rules (of side effects and of precautions), precautions and notes. Nothing else queries, however much content there is.
HANDOUT_QUERIES = 13
# A bare form URL may come from the page cache, which first reads the content version.
FORM_QUERIES = HANDOUT_QUERIES + 1
TODAY = datetime.date(2026, 11, 22)
MONDAY = datetime.date(2026, 12, 7)
VALID = {
    "phone": "01234 567890",
    "patient_name": "Sam Jones",
    "first_day": MONDAY.isoformat(),
    "days_on": "21",
    "days_off": "7",
    "cycles": "2",
    "pregnancy": "can-get-pregnant",
}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Pin "today" so the allowed date range, and the dates tests expect, never drift."""
    monkeypatch.setattr(handouts.timezone, "localdate", lambda *args: TODAY)
    return TODAY


def params(**changes):
    data = {**VALID, **changes}
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def drug(db):
    drug = DrugFactory(slug="lenalidomide", name="Lenalidomide", cycle_days_on=21, cycle_days_off=7)
    SectionFactory(drug=drug, kind=SectionKind.HOW_TO_TAKE, text="Swallow the capsule whole.")
    SectionFactory(
        drug=drug, kind=SectionKind.MISSED_DOSES, title="Missed", text="Skip it after 12 hours."
    )
    PrecautionFactory(
        drug=drug, kind=PrecautionKind.HANDLING, title="Touching capsules", text="Wash hands."
    )
    PrecautionFactory(
        drug=drug,
        kind=PrecautionKind.PREGNANCY_PREVENTION,
        applies_to=AppliesTo.CAN_GET_PREGNANT,
        title="Contraception for you",
        text="Use contraception.",
        warning=True,
    )
    PrecautionFactory(
        drug=drug,
        kind=PrecautionKind.PREGNANCY_PREVENTION,
        applies_to=AppliesTo.COULD_MAKE_PREGNANT,
        title="Condoms",
        text="Use a condom.",
    )
    PrecautionFactory(drug=drug, kind=PrecautionKind.BLOOD_DONATION, title="Giving blood")
    fever = DrugSideEffectFactory(drug=drug, effect__name="Infection")
    HelpRuleFactory(side_effect=fever, urgency=Urgency.URGENT, text="your temperature is high")
    allergy = DrugSideEffectFactory(drug=drug, effect__name="Allergic reaction")
    HelpRuleFactory(side_effect=allergy, urgency=Urgency.IMMEDIATE, text="your throat swells")
    DrugSideEffectFactory(drug=drug, effect__name="Dry skin")
    return drug


def handout_url(slug="lenalidomide"):
    return reverse("drugs:handout", kwargs={"slug": slug})


def calendar_url(slug="lenalidomide"):
    return reverse("drugs:calendar", kwargs={"slug": slug})


class TestForm:
    def test_it_accepts_a_complete_handout(self):
        form = HandoutForm(params(phone=" 0044 (0)20 7946-0000 ", first_day="07/12/2026"))
        assert form.is_valid(), form.errors
        assert form.cleaned_data["phone"] == "0044 (0)20 7946-0000"
        assert form.cleaned_data["first_day"] == MONDAY

    def test_it_needs_no_first_day_or_name(self):
        form = HandoutForm(params(first_day=None, patient_name=None, pregnancy=None))
        assert form.is_valid(), form.errors
        assert form.cleaned_data["first_day"] is None
        # Not knowing who it is for shows every pregnancy point.
        assert form.cleaned_data["pregnancy"] == "all"

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"phone": None}, "phone", "Enter the 24-hour phone number"),
            ({"phone": "0123 call me"}, "phone", "Use only digits, spaces, +, - and brackets"),
            ({"phone": "<script>1234567"}, "phone", "Use only digits"),
            ({"phone": "12345"}, "phone", "this one has 5"),
            ({"phone": "1" * 16}, "phone", "this one has 16"),
            ({"phone": "1" * 31}, "phone", "at most 30 characters"),
            ({"first_day": "2026-02-30"}, "first_day", "real date"),
            ({"first_day": "next monday"}, "first_day", "real date"),
            ({"first_day": "2025-11-21"}, "first_day", "between 1 year ago and 2 years"),
            ({"first_day": "2028-11-23"}, "first_day", "between 1 year ago and 2 years"),
            ({"days_on": None}, "days_on", "Enter how many days"),
            ({"days_on": "0"}, "days_on", "at least 1"),
            ({"days_on": "43"}, "days_on", "42 or fewer"),
            ({"days_on": "2.5"}, "days_on", "whole number"),
            ({"days_off": "-1"}, "days_off", "cannot be below 0"),
            ({"days_off": "43"}, "days_off", "42 or fewer"),
            ({"days_off": "x"}, "days_off", "whole number"),
            ({"cycles": "0"}, "cycles", "at least 1"),
            ({"cycles": "13"}, "cycles", "12 cycles or fewer"),
            ({"cycles": "99999999999999999999"}, "cycles", "12 cycles or fewer"),
            ({"pregnancy": "maybe"}, "pregnancy", "Choose one of the pregnancy options"),
            ({"patient_name": "x" * 81}, "patient_name", "at most 80 characters"),
        ],
    )
    def test_it_rejects_bad_input_with_a_clear_message(self, changes, field, message):
        form = HandoutForm(params(**changes))
        assert not form.is_valid()
        assert message in " ".join(form.errors[field])

    def test_it_rejects_a_calendar_too_long_to_print(self):
        form = HandoutForm(params(days_on="28", days_off="14", cycles="5"))
        assert not form.is_valid()
        assert "210 days" in form.non_field_errors()[0]

    def test_it_allows_a_calendar_of_exactly_26_weeks(self):
        assert HandoutForm(params(days_on="21", days_off="5", cycles="7")).is_valid()

    def test_the_calendar_file_needs_a_first_day(self):
        form = CalendarForm(params(first_day=None))
        assert not form.is_valid()
        assert "first day of treatment to make a calendar file" in form.errors["first_day"][0]
        # The handout form keeps its own message: it was not changed by the subclass.
        assert HandoutForm(params(first_day=None)).is_valid()


class TestCalendar:
    def test_it_counts_treatment_and_rest_days(self):
        days = treatment_days(21, 7, 2, MONDAY)
        assert len(days) == 56
        assert [d.number for d in days if not d.taking] == [*range(22, 29), *range(50, 57)]
        assert days[28].cycle == 2 and days[28].cycle_day == 1 and days[28].taking
        assert days[-1].date == datetime.date(2027, 1, 31)

    def test_it_dates_pregnancy_tests_every_4_weeks_and_4_weeks_after_the_last_dose(self):
        # Last dose is day 49; day 57 would be after it, so the next test is day 49 + 28.
        assert pregnancy_test_days(treatment_days(21, 7, 2)) == [29, 77]
        assert pregnancy_test_days(treatment_days(28, 0, 3)) == [29, 57, 84 + 28]

    def test_it_lays_out_weeks_from_monday(self):
        wednesday = datetime.date(2026, 12, 9)
        rows = weeks(treatment_days(3, 4, 1, wednesday))
        assert [[d.number if d else None for d in row] for row in rows] == [
            [None, None, 1, 2, 3, 4, 5],
            [6, 7, None, None, None, None, None],
        ]

    def test_it_numbers_weeks_from_day_1_without_a_date(self):
        rows = weeks(treatment_days(5, 2, 2))
        assert [d.number for d in rows[1]] == [8, 9, 10, 11, 12, 13, 14]

    def test_it_finds_each_rest_period(self):
        periods = rest_periods(treatment_days(21, 7, 2, MONDAY))
        assert [(p[0].date, len(p)) for p in periods] == [
            (datetime.date(2026, 12, 28), 7),
            (datetime.date(2027, 1, 25), 7),
        ]


class TestHandoutPage:
    def test_it_shows_the_form_prefilled_with_the_sources_cycle(
        self, client, drug, django_assert_num_queries
    ):
        with django_assert_num_queries(FORM_QUERIES):
            response = client.get(handout_url())
        assert response.status_code == 200
        form = response.context["form"]
        assert not form.is_bound
        assert form.initial["days_on"] == 21 and form.initial["days_off"] == 7
        html = response.content.decode()
        assert 'type="tel"' in html and 'type="date"' in html and 'method="get"' in html
        assert response.context["handout"] is None

    def test_it_never_invents_a_cycle(self, client, db):
        DrugFactory(slug="pomalidomide", name="Pomalidomide")
        response = client.get(handout_url("pomalidomide"))
        form = response.context["form"]
        assert "days_on" not in form.initial
        assert 'name="days_on" min="1" max="42" required' in response.content.decode()
        assert "Our sources give no cycle for pomalidomide" in response.content.decode()

    @pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW])
    def test_it_hides_unpublished_drugs(self, client, db, status):
        DrugFactory(slug="draftamide", status=status)
        assert client.get(handout_url("draftamide")).status_code == 404
        assert client.get(calendar_url("draftamide"), params()).status_code == 404

    def test_it_builds_the_handout(self, client, drug, django_assert_num_queries):
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = client.get(handout_url(), params())
        assert response.status_code == 200
        html = response.content.decode()
        handout = response.context["handout"]
        assert "Sam Jones" in html
        assert "Monday 7 December 2026" in html
        assert html.count("01234 567890") >= 2  # the header and the 24-hour card
        assert "Swallow the capsule whole." in html and "Skip it after 12 hours." in html
        assert "Touching capsules" in html
        assert "Contraception for you" in html and "Condoms" not in html
        assert "Giving blood" not in html
        assert [c.heading for c in handout.cards] == [
            "Call 999 if:",
            "Call your team now if:",
        ]
        assert [e.name for e in handout.action_effects] == ["Allergic reaction", "Infection"]
        assert "Dry skin" not in html
        assert html.count(">Take</span>") == 42 and html.count(">Rest</span>") == 14
        assert html.count('class="test"') == 1  # day 29; day 77 is after the calendar
        assert "4 Jan 2027, 21 Feb 2027" in html
        assert response.context["calendar_url"].startswith(calendar_url() + "?")
        assert "Printed on 22 November 2026" in html
        assert "Next review due: 1 November 2099" in html
        assert "http://testserver" + handout_url() + "?" in html
        assert "private" in response["Cache-Control"]

    def test_it_keeps_a_fixed_number_of_queries(self, client, drug, django_assert_num_queries):
        for n in range(5):
            effect = DrugSideEffectFactory(drug=drug)
            HelpRuleFactory(side_effect=effect, urgency=Urgency.TELL, text=f"rule {n}")
            PrecautionFactory(drug=drug, kind=PrecautionKind.STORAGE)
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = client.get(handout_url(), params())
        assert len(response.context["handout"].action_effects) == 7

    def test_it_shows_the_pregnancy_points_for_the_person(self, client, drug):
        html = client.get(handout_url(), params(pregnancy="could-make-pregnant")).content.decode()
        assert "Condoms" in html and "Contraception for you" not in html
        assert "Pregnancy tests" not in html and 'class="test"' not in html

    def test_it_shows_every_pregnancy_point_labelled_when_unsure(self, client, drug):
        html = client.get(handout_url(), params(pregnancy="all")).content.decode()
        assert "(people who can get pregnant)" in html
        assert "(people who could make someone pregnant)" in html
        assert "Pregnancy tests" not in html

    def test_it_counts_days_without_a_first_day(self, client, drug):
        response = client.get(handout_url(), params(first_day=None))
        html = response.content.decode()
        assert "Day 1</span>" in html and "Day 56</span>" in html
        assert "day 29, day 77" in html
        assert "calendar_url" not in response.context

    def test_it_escapes_the_patients_name(self, client, drug):
        html = client.get(handout_url(), params(patient_name="<b>Sam</b>")).content.decode()
        assert "&lt;b&gt;Sam&lt;/b&gt;" in html and "<b>Sam</b>" not in html

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"phone": "call 0123"}, "Use only digits, spaces, +, - and brackets"),
            ({"first_day": "2031-01-01"}, "between 1 year ago and 2 years"),
            ({"first_day": "31/31/2026"}, "real date"),
            ({"days_on": "0"}, "at least 1"),
            ({"days_off": "100"}, "42 or fewer"),
            ({"cycles": "many"}, "whole number"),
            ({"cycles": "12"}, "The calendar fits 26 weeks"),
            ({"pregnancy": "x"}, "Choose one of the pregnancy options"),
        ],
    )
    def test_it_shows_the_form_again_on_bad_input(
        self, client, drug, changes, message, django_assert_num_queries
    ):
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = client.get(handout_url(), params(**changes))
        assert response.status_code == 400
        assert response.context["handout"] is None
        html = response.content.decode()
        assert "There is a problem" in html and message in html
        assert 'class="handout"' not in html

    def test_a_stray_parameter_alone_shows_a_blank_form(self, client, drug):
        response = client.get(handout_url(), {"utm_source": "email"})
        assert response.status_code == 200
        assert not response.context["form"].is_bound


class TestCalendarFile:
    def get_calendar(self, client, **changes):
        response = client.get(calendar_url(), params(**changes))
        assert response.status_code == 200, response.content[:500]
        return response, Calendar.from_ical(response.content)

    def test_it_is_a_valid_icalendar_file(self, client, drug, django_assert_num_queries):
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = client.get(calendar_url(), params())
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == (
            'attachment; filename="lenalidomide-treatment.ics"'
        )
        assert "no-store" in response["Cache-Control"]
        cal = Calendar.from_ical(response.content)
        assert cal["VERSION"] == "2.0"
        assert "Myeloma medication guide" in str(cal["PRODID"])
        assert b"\r\n" in response.content  # RFC 5545 line endings
        events = cal.walk("VEVENT")
        uids = [str(e["UID"]) for e in events]
        assert len(uids) == len(set(uids))
        assert all("DTSTAMP" in e for e in events)

    def test_it_has_an_event_per_treatment_day_and_per_rest_period(self, client, drug):
        _, cal = self.get_calendar(client, pregnancy="could-make-pregnant")
        events = cal.walk("VEVENT")
        assert len(events) == 44
        take = [e for e in events if str(e["SUMMARY"]).startswith("Take")]
        rest = [e for e in events if str(e["SUMMARY"]).startswith("Rest")]
        first, second = MONDAY, MONDAY + datetime.timedelta(days=28)
        expected = [first + datetime.timedelta(days=i) for i in range(21)]
        expected += [second + datetime.timedelta(days=i) for i in range(21)]
        assert [e.decoded("DTSTART") for e in take] == expected
        assert all(
            e.decoded("DTEND") - e.decoded("DTSTART") == datetime.timedelta(days=1) for e in take
        )
        assert str(take[0]["SUMMARY"]) == "Take lenalidomide (cycle 1, day 1)"
        assert str(take[-1]["SUMMARY"]) == "Take lenalidomide (cycle 2, day 21)"
        assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in rest] == [
            (datetime.date(2026, 12, 28), datetime.date(2027, 1, 4)),
            (datetime.date(2027, 1, 25), datetime.date(2027, 2, 1)),
        ]
        assert "01234 567890" in str(take[0]["DESCRIPTION"])

    def test_it_adds_pregnancy_tests_for_people_who_can_get_pregnant(self, client, drug):
        _, cal = self.get_calendar(client)
        events = cal.walk("VEVENT")
        assert len(events) == 46
        tests = [e.decoded("DTSTART") for e in events if "Pregnancy" in str(e["SUMMARY"])]
        assert tests == [datetime.date(2027, 1, 4), datetime.date(2027, 2, 21)]

    def test_its_uids_stay_the_same_when_downloaded_again(self, client, drug):
        _, first = self.get_calendar(client)
        _, again = self.get_calendar(client, patient_name="Another name")
        assert [str(e["UID"]) for e in first.walk("VEVENT")] == [
            str(e["UID"]) for e in again.walk("VEVENT")
        ]

    def test_it_leaves_out_the_patients_name(self, client, drug):
        response, cal = self.get_calendar(client)
        assert "Sam" not in response.content.decode().replace("\r\n ", "")
        assert "patient_name" not in str(cal.walk("VEVENT")[0]["DESCRIPTION"])

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"first_day": None}, "first day of treatment to make a calendar file"),
            ({"first_day": "1999-01-01"}, "between 1 year ago and 2 years"),
            ({"phone": "999"}, "this one has 3"),
            ({"cycles": "-2"}, "at least 1"),
        ],
    )
    def test_it_shows_the_form_on_bad_input(self, client, drug, changes, message):
        response = client.get(calendar_url(), params(**changes))
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode()

    def test_the_handout_links_to_it(self, client, drug):
        response = client.get(handout_url(), params())
        link = response.context["calendar_url"]
        assert "patient_name" not in link
        assert f'href="{link.replace("&", "&amp;")}"' in response.content.decode()
        assert client.get(link).status_code == 200
