import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from drugs.handout import excerpts, sheet
from drugs.handout.calendar import (
    blank_days,
    pregnancy_test_days,
    rest_periods,
    treatment_days,
    until,
    weekday_names,
    weeks,
)
from drugs.handout.excerpts import EXCERPTS
from drugs.handout.forms import MAX_CALENDAR_WEEKS, CalendarForm, HandoutForm
from drugs.handout.help import PREGNANCY_TESTS, PROSE_RULES, squash
from drugs.models import AppliesTo, Drug, PrecautionKind, SectionKind, Status, Urgency
from tests.conftest import cache_contents
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    HelpRuleFactory,
    PrecautionFactory,
    SectionFactory,
    SignFactory,
)

# The content version, then Drug.objects.with_monograph(): the drug and its prefetched sources,
# sections, side effects, help rules (of side effects and of precautions), precautions and
# notes. Nothing else queries, however much content there is. A POST never reads the page cache.
HANDOUT_QUERIES = 14
# Once loaded, the monograph and its shared sheet are kept for that content version.
WARM_QUERIES = 1
# The blank form is a GET, so the page cache reads the content version first.
FORM_QUERIES = HANDOUT_QUERIES + 1
TODAY = datetime.date(2026, 11, 22)
MONDAY = datetime.date(2026, 12, 7)
NAME = "Samira Quigley-Jones"
PHONE = "0161 555 0123 option 2"
FULL = {
    "phone": PHONE,
    "patient_name": NAME,
    "first_day": MONDAY.isoformat(),
    "days_on": "21",
    "days_off": "7",
    "cycles": "2",
    "pregnancy": "can-get-pregnant",
}
AUDIENCES = ["all", "can-get-pregnant", "could-make-pregnant"]


@pytest.fixture(autouse=True)
def fresh_handout_caches():
    """Each test starts with no monograph or shared sheet kept from another."""
    sheet.monographs.clear()
    sheet.sheets.clear()
    yield
    sheet.monographs.clear()
    sheet.sheets.clear()


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Pin "today" so the allowed date range, and the dates tests expect, never drift."""
    monkeypatch.setattr(sheet.timezone, "localdate", lambda *args: TODAY)
    return TODAY


def data(**changes):
    merged = {**FULL, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def form_for(cycle=(21, 7), **changes):
    return HandoutForm(data(**changes), cycle=cycle)


@pytest.fixture
def drug(db):
    """A small lenalidomide: every kind of entry the handout prints or names, for each audience."""
    drug = DrugFactory(
        slug="lenalidomide",
        name="Lenalidomide",
        cycle_days_on=21,
        cycle_days_off=7,
        contact="your treatment centre, on the contact number your nurse gave you",
    )
    SectionFactory(drug=drug, kind=SectionKind.HOW_TO_TAKE, text="Swallow the capsule whole.")
    SectionFactory(
        drug=drug, kind=SectionKind.MISSED_DOSES, title="Missed", text="Skip it after 12 hours."
    )
    SectionFactory(
        drug=drug,
        kind=SectionKind.SIDE_EFFECTS,
        title="About side effects",
        text="Some are mild.\n\nIf any side effect becomes severe, tell your doctor or nurse\n"
        "straight away.",
    )
    for kind, applies_to, title in [
        (PrecautionKind.HANDLING, AppliesTo.EVERYONE, "Touching capsules"),
        (PrecautionKind.STORAGE, AppliesTo.EVERYONE, "Keeping capsules"),
        (PrecautionKind.PREGNANCY_PREVENTION, AppliesTo.EVERYONE, "No pregnancy for anyone"),
        (PrecautionKind.PREGNANCY_PREVENTION, AppliesTo.CAN_GET_PREGNANT, "Contraception for you"),
        (PrecautionKind.PREGNANCY_PREVENTION, AppliesTo.COULD_MAKE_PREGNANT, "Condoms"),
        (PrecautionKind.SPERM_DONATION, AppliesTo.COULD_MAKE_PREGNANT, "Giving sperm"),
        (PrecautionKind.BREASTFEEDING, AppliesTo.EVERYONE, "Breastfeeding"),
        (PrecautionKind.BLOOD_DONATION, AppliesTo.EVERYONE, "Giving blood"),
        (PrecautionKind.VACCINATION, AppliesTo.EVERYONE, "Live vaccines"),
        (PrecautionKind.DRIVING, AppliesTo.EVERYONE, "Driving"),
        (PrecautionKind.OTHER_MEDICINES, AppliesTo.EVERYONE, "Other medicines"),
    ]:
        PrecautionFactory(
            drug=drug, kind=kind, applies_to=applies_to, title=title, text=f"{title} text."
        )
    fever = DrugSideEffectFactory(drug=drug, effect__name="Infection")
    HelpRuleFactory(
        side_effect=fever,
        sign=SignFactory(name="A high temperature"),
        urgency=Urgency.URGENT,
        text="your temperature goes above 38°C",
        threshold="above 38°C",
    )
    HelpRuleFactory(
        side_effect=fever,
        sign=SignFactory(name="Signs of an infection"),
        urgency=Urgency.URGENT,
        text="you have any of the signs of an infection listed above",
    )
    allergy = DrugSideEffectFactory(drug=drug, effect__name="Allergic reaction")
    HelpRuleFactory(
        side_effect=allergy,
        sign=SignFactory(name="Trouble breathing"),
        urgency=Urgency.IMMEDIATE,
        text="your throat swells",
    )
    thirst = DrugSideEffectFactory(drug=drug, effect__name="High blood sugar")
    HelpRuleFactory(
        side_effect=thirst,
        sign=SignFactory(name="Feeling very thirsty"),
        urgency=Urgency.TELL,
        text="you feel very thirsty",
    )
    DrugSideEffectFactory(drug=drug, effect__name="Dry skin")
    return drug


def handout_url(slug="lenalidomide"):
    return reverse("drugs:handout", kwargs={"slug": slug})


def calendar_url(slug="lenalidomide"):
    return reverse("drugs:calendar", kwargs={"slug": slug})


def post(client, slug="lenalidomide", **changes):
    return client.post(handout_url(slug), data(**changes))


class TestForm:
    def test_it_needs_only_the_phone_number(self):
        form = HandoutForm({"phone": "01234 567890"}, cycle=(21, 7))
        assert form.is_valid(), form.errors
        cleaned = form.cleaned_data
        # The sources' cycle, 2 cycles, every pregnancy point: nothing else to fill in.
        assert (cleaned["days_on"], cleaned["days_off"], cleaned["cycles"]) == (21, 7, 2)
        assert cleaned["calendar_kind"] == "cycle"
        assert cleaned["pregnancy"] == "all"
        assert cleaned["first_day"] is None and cleaned["last_day"] is None
        assert cleaned["large_print"] is False

    def test_without_a_cycle_it_offers_a_blank_grid_or_none(self):
        form = HandoutForm({"phone": "01234 567890"}, cycle=None)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["calendar_kind"] == "blank"
        assert form.cleaned_data["days_on"] is None
        form = HandoutForm({"phone": "01234 567890", "calendar": "none"}, cycle=None)
        assert form.is_valid() and form.cleaned_data["calendar_kind"] == "none"

    def test_the_nurses_cycle_wins_over_the_sources(self):
        form = form_for(days_on="14", days_off="14", cycles="1")
        assert form.is_valid(), form.errors
        assert (form.cleaned_data["days_on"], form.cleaned_data["days_off"]) == (14, 14)

    @pytest.mark.parametrize(
        ("typed", "kept"),
        [
            ("0161 555 0123 option 2", "0161 555 0123 option 2"),
            ("0161 555 0123 Option 2", "0161 555 0123 option 2"),
            ("0161 555 0123, opt. 2", "0161 555 0123 option 2"),
            ("020 7946 0000 ext 123", "020 7946 0000 ext 123"),
            ("020 7946 0000 ext. 123", "020 7946 0000 ext 123"),
            ("020 7946 0000 extension 123", "020 7946 0000 ext 123"),
            ("020 7946 0000 x123", "020 7946 0000 ext 123"),
            ("  +44 (0)20   7946-0000 ", "+44 (0)20 7946-0000"),
            ("(0161) 555 0123", "(0161) 555 0123"),
            ("01234567890", "01234567890"),
        ],
    )
    def test_it_accepts_phone_numbers_with_extensions_and_options(self, typed, kept):
        form = form_for(phone=typed)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["phone"] == kept

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            (None, "Enter the phone number the patient should call"),
            ("call me", "Enter the phone number in digits"),
            ("0123 call me", "Enter the phone number in digits"),
            ("<script>1234567", "Enter the phone number in digits"),
            ("javascript:alert(1)", "Enter the phone number in digits"),
            ("0161 555 0123 option two", "Enter the phone number in digits"),
            ("0161 555 0123 option", "Enter the phone number in digits"),
            ("option 2", "Enter the phone number in digits"),
            ("0161 555 0123 ext 1234567", "Enter the phone number in digits"),
            ("0161 555 0123; DROP TABLE", "Enter the phone number in digits"),
            ("0161\u00a0555\u00a00123\u202e", "Enter the phone number in digits"),
            ("12345", "this one has 5"),
            ("1" * 16, "this one has 16"),
            ("12345 ext 999999", "this one has 5"),
            ("1" * 41, "40 characters or fewer"),
        ],
    )
    def test_it_refuses_anything_that_is_not_a_phone_number(self, typed, message):
        form = form_for(phone=typed)
        assert not form.is_valid()
        assert message in " ".join(form.errors["phone"])

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"first_day": "2026-02-30"}, "first_day", "Enter the first day as a real date"),
            ({"first_day": "next monday"}, "first_day", "like 31/12/2026"),
            ({"first_day": "2025-11-21"}, "first_day", "between 1 year ago and 2 years"),
            ({"first_day": "2028-11-23"}, "first_day", "Check the date and enter it again"),
            ({"last_day": "2026-12-06"}, "last_day", "on or after the first day (07/12/2026)"),
            ({"last_day": "2031-11-23"}, "last_day", "between 1 year ago and 5 years"),
            ({"days_on": "0"}, "days_on", "Enter at least 1 day"),
            ({"days_on": "43"}, "days_on", "Enter 42 or fewer"),
            ({"days_on": "2.5"}, "days_on", "as a whole number"),
            ({"days_off": None}, "days_off", "Enter both the days taking the medicine"),
            ({"days_on": None}, "days_on", "or leave both blank"),
            ({"days_off": "-1"}, "days_off", "Enter 0 or more rest days"),
            ({"cycles": "0"}, "cycles", "Show at least 1 cycle"),
            ({"cycles": "13"}, "cycles", "Enter 12 or fewer cycles"),
            ({"cycles": "99999999999999999999"}, "cycles", "12 or fewer"),
            ({"cycles": "3"}, "cycles", "show fewer cycles, and print a new handout"),
            ({"pregnancy": "maybe"}, "pregnancy", "Choose one of the pregnancy options"),
            ({"calendar": "maybe"}, "calendar", "Choose whether to show a calendar"),
            ({"patient_name": "x" * 81}, "patient_name", "80 characters or fewer"),
        ],
    )
    def test_its_errors_say_what_to_do(self, changes, field, message):
        form = form_for(**changes)
        assert not form.is_valid()
        assert message in " ".join(form.errors[field])

    def test_the_longest_calendar_it_allows_is_the_one_that_prints_on_2_pages(self):
        assert form_for(days_on="21", days_off="7", cycles="2").is_valid()
        assert MAX_CALENDAR_WEEKS * 7 == 56
        assert not form_for(days_on="21", days_off="8", cycles="2").is_valid()

    def test_the_calendar_file_needs_a_first_day_and_a_cycle(self):
        form = CalendarForm(data(first_day=None), cycle=(21, 7))
        assert "first day of treatment to make a calendar file" in form.errors["first_day"][0]
        form = CalendarForm(data(days_on=None, days_off=None), cycle=None)
        assert "Enter the cycle" in form.errors["days_on"][0]
        # The handout form keeps its own rules: the subclass changed nothing of it.
        assert form_for(first_day=None).is_valid()


class TestCalendar:
    def test_it_counts_treatment_and_rest_days(self):
        days = treatment_days(21, 7, 2, MONDAY)
        assert len(days) == 56
        assert [d.number for d in days if not d.taking] == [*range(22, 29), *range(50, 57)]
        assert days[28].cycle == 2 and days[28].cycle_day == 1 and days[28].taking
        assert days[-1].date == datetime.date(2027, 1, 31)

    def test_its_weeks_start_on_the_first_day_whatever_the_weekday(self):
        sunday = datetime.date(2027, 1, 3)
        rows = weeks(treatment_days(21, 7, 2, sunday))
        assert len(rows) == 8
        assert [d.taking for d in rows[3]] == [False] * 7
        assert weekday_names(sunday) == ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        assert weekday_names(None) == []

    def test_a_short_last_week_is_padded(self):
        rows = weeks(treatment_days(3, 2, 2))
        assert [[d.number if d else None for d in row] for row in rows] == [
            [1, 2, 3, 4, 5, 6, 7],
            [8, 9, 10, None, None, None, None],
        ]

    def test_it_stops_at_the_last_day_of_treatment(self):
        days = until(treatment_days(21, 7, 2, MONDAY), MONDAY + datetime.timedelta(days=30))
        assert len(days) == 31
        # Undated, the calendar cannot know which day is the last.
        assert len(until(treatment_days(21, 7, 2), MONDAY)) == 56

    def test_a_blank_grid_marks_neither_take_nor_rest(self):
        days = blank_days(6, MONDAY)
        assert len(days) == 42 and {d.taking for d in days} == {None}
        assert rest_periods(days) == []

    def test_it_finds_each_rest_period(self):
        periods = rest_periods(treatment_days(21, 7, 2, MONDAY))
        assert [(p[0].date, len(p)) for p in periods] == [
            (datetime.date(2026, 12, 28), 7),
            (datetime.date(2027, 1, 25), 7),
        ]

    def test_tests_during_treatment_fall_every_4_weeks_while_taking_it(self):
        # Day 57 would come after the last dose on this calendar (day 49): no test there.
        assert pregnancy_test_days(treatment_days(21, 7, 2)) == [29]
        assert pregnancy_test_days(treatment_days(28, 0, 2)) == [29]
        assert pregnancy_test_days(blank_days(6)) == [29]


class TestPregnancyTests:
    """Lenalidomide: 2 before starting, every 4 weeks during, 1 more 4 weeks after treatment."""

    def test_lenalidomide_needs_2_tests_before_starting(self, client, drug):
        html = post(client).content.decode()
        assert "<strong>Before you start:</strong> 2 tests that show you are not pregnant." in html
        assert "1 test" not in html.split("Before you start:")[1].split("</li>")[0]

    def test_it_dates_the_tests_during_treatment_every_4_weeks(self, client, drug):
        response = post(client)
        assert response.context["handout"].test_dates == [datetime.date(2027, 1, 4)]
        html = response.content.decode()
        assert "a test every 4 weeks." in html and "Due around 4 Jan 2027" in html
        assert html.count('class="note test"') == 1

    def test_without_a_last_day_the_last_test_is_4_weeks_after_the_last_dose(self, client, drug):
        html = post(client).content.decode()
        assert "1 more test, 4 weeks after your last dose." in html
        # Never dated from the end of the printed calendar (review 2.6): that is mid-treatment.
        end_of_calendar = datetime.date(2027, 1, 31)
        for day in (end_of_calendar, datetime.date(2027, 1, 24)):
            later = day + datetime.timedelta(days=28)
            assert f"{later:%-d %B %Y}" not in html and f"{later:%-d %b %Y}" not in html

    def test_the_last_test_is_dated_only_from_an_entered_last_day(self, client, drug):
        response = post(client, last_day="2027-06-30")
        assert response.context["handout"].last_test_date == datetime.date(2027, 7, 28)
        html = response.content.decode()
        assert "1 more test, on Wednesday 28 July 2027: 4 weeks after your last day" in html
        assert "Last day of treatment: <strong>Wednesday 30 June 2027</strong>" in html

    def test_a_last_day_inside_the_calendar_ends_it_there(self, client, drug):
        response = post(client, last_day="2026-12-20")
        handout = response.context["handout"]
        assert handout.days[-1].date == datetime.date(2026, 12, 20)
        assert handout.test_dates == []
        assert handout.last_test_date == datetime.date(2027, 1, 17)
        assert "The calendar stops at your last day of treatment." in response.content.decode()

    def test_undated_it_names_the_calendar_days(self, client, drug):
        html = post(client, first_day=None).content.decode()
        assert "On the calendar: day 29." in html
        assert "Day 1<" in html and "Day 56<" in html

    def test_tests_are_marked_only_for_people_who_can_get_pregnant(self, client, drug):
        for who, listed, marked in [
            ("can-get-pregnant", True, True),
            ("all", True, False),
            ("could-make-pregnant", False, False),
        ]:
            html = post(client, pregnancy=who).content.decode()
            assert ("Your pregnancy tests" in html) is listed, who
            assert ('class="note test"' in html) is marked, who
        html = post(client, pregnancy="all").content.decode()
        assert 'Your pregnancy tests <span class="applies-to">(for people who can get' in html

    def test_pomalidomide_follows_macmillan(self, client, drug):
        drug.slug, drug.name = "pomalidomide", "Pomalidomide"
        drug.save()
        html = post(client, "pomalidomide").content.decode()
        assert "<strong>Before you start:</strong> 1 test." in html
        assert "tests go on for 4 weeks after your last dose." in html
        html = post(client, "pomalidomide", last_day="2027-06-30").content.decode()
        assert "until Wednesday 28 July 2027" in html

    def test_a_drug_with_no_known_schedule_prints_no_dates(self, client, drug):
        drug.slug = "otheramide"
        drug.save()
        html = post(client, "otheramide").content.decode()
        assert "Your pregnancy tests" not in html and 'class="note test"' not in html
        # The pregnancy points themselves still print, in the monograph's words.
        assert "Contraception for you" in html

    def test_the_schedules_match_the_monographs_own_words(self, real_content):
        for slug, schedule in PREGNANCY_TESTS.items():
            drug = Drug.objects.get(slug=slug)
            text = squash(
                drug.precautions.get(
                    kind=PrecautionKind.PREGNANCY_PREVENTION,
                    applies_to=AppliesTo.CAN_GET_PREGNANT,
                ).text
            )
            assert "every 4 weeks" in text, slug
            if schedule.before.startswith("2 "):
                assert "you need 2 pregnancy tests" in text
                assert "another test 4 weeks after treatment ends" in text
            else:
                assert "a pregnancy test before you start" in text
                assert "for 4 weeks after treatment ends" in text


EXPECTED = {
    # Everyone gets these; each audience adds its own pregnancy points.
    "always": [
        "Touching capsules",
        "Keeping capsules",
        "No pregnancy for anyone",
        "Breastfeeding",
        "Giving blood",
        "Live vaccines",
    ],
    "can-get-pregnant": ["Contraception for you"],
    "could-make-pregnant": ["Condoms", "Giving sperm"],
}


class TestWarnings:
    @pytest.mark.parametrize("who", AUDIENCES)
    def test_every_warning_for_the_audience_is_printed(self, client, drug, who):
        response = post(client, pregnancy=who)
        content = response.context["handout"].content
        printed = [e.item.title for g in content.warning_groups for e in g.precautions]
        wanted = EXPECTED["always"] + (
            EXPECTED["can-get-pregnant"] + EXPECTED["could-make-pregnant"]
            if who == "all"
            else EXPECTED[who]
        )
        assert sorted(printed) == sorted(wanted)
        html = response.content.decode()
        for title in wanted:
            assert f"{title} text." in html, title

    @pytest.mark.parametrize("who", AUDIENCES)
    def test_what_it_leaves_out_it_names(self, client, drug, who):
        response = post(client, pregnancy=who)
        left_out = response.context["handout"].content.left_out
        assert "driving" in left_out and "other medicines" in left_out
        assert any("side effects" in item for item in left_out)
        for other in {"can-get-pregnant", "could-make-pregnant"} - {who}:
            if who == "all":
                break
            for title in EXPECTED[other]:
                assert any(item.startswith(title[0].lower() + title[1:]) for item in left_out)
        html = response.content.decode()
        assert "This handout leaves out" in html and "Your full guide has more" in html
        assert "https://meds.example.org/drugs/lenalidomide/" in html

    def test_it_says_whom_each_point_is_for_when_unsure(self, client, drug):
        html = post(client, pregnancy="all").content.decode()
        assert 'Condoms <span class="applies-to">(for people who could make someone' in html
        # A title that names its audience already needs no label.
        condoms = drug.precautions.get(title="Condoms")
        condoms.title = "If you could make someone pregnant"
        condoms.save()
        html = post(client, pregnancy="all").content.decode()
        assert "(for people who could make someone pregnant)" not in html.split("Giving sperm")[0]

    def test_it_prints_each_entrys_sources_differ_note(self, client, drug):
        from drugs.models import Disagreement

        blood = drug.precautions.get(title="Giving blood")
        Disagreement.objects.create(
            drug=drug, precaution=blood, topic="How long", text="Sources differ: 1 or 4 weeks."
        )
        assert "Sources differ: 1 or 4 weeks." in post(client).content.decode()

    def test_a_shortened_entry_says_so_and_falls_back_when_content_changes(
        self, client, drug, monkeypatch
    ):
        monkeypatch.setitem(
            EXCERPTS,
            ("lenalidomide", "Live vaccines"),
            excerpts.Excerpt(("Live vaccines text.",)),
        )
        html = post(client).content.decode()
        assert 'Live vaccines <span class="shortened">(shortened)</span>' in html
        # A part the monograph no longer says: the whole entry prints, unshortened.
        vaccines = drug.precautions.get(title="Live vaccines")
        vaccines.text = "New wording."
        vaccines.save()
        html = post(client).content.decode()
        assert "New wording." in html and 'Live vaccines <span class="shortened">' not in html

    def test_every_excerpt_is_still_in_the_monograph(self, real_content):
        for (slug, key), excerpt in EXCERPTS.items():
            drug = Drug.objects.get(slug=slug)
            entry = drug.sections.filter(kind=key).first() or drug.precautions.get(title=key)
            for part in excerpt.parts:
                assert squash(part) in squash(entry.text), (slug, key, part[:40])


class TestHelp:
    def test_it_prints_every_level_with_the_nurses_number(self, client, drug):
        response = post(client)
        cards = response.context["handout"].content.cards
        assert [c.heading for c in cards] == [
            "Call 999 if:",
            "Call your team now if:",
            "Tell your team if:",
        ]
        html = response.content.decode()
        # "Your team's number", with the apostrophe escaped.
        assert f"Your team&#x27;s number: <strong>{PHONE}</strong>" in html
        assert "Trouble breathing" in html and "Feeling very thirsty" in html

    def test_a_sign_shows_its_threshold_and_where_its_listed_signs_are(self, client, drug):
        html = post(client).content.decode()
        assert "<strong>A high temperature</strong> (above 38°C)" in html
        assert "the signs are under &ldquo;Infection&rdquo; in your full guide" in html

    def test_it_adds_cancer_research_uks_rule_for_any_severe_side_effect(self, client, drug):
        urgent = post(client).context["handout"].content.cards[1]
        assert urgent.signs[0].name == "Any side effect that becomes severe"
        assert urgent.signs[0].details == []

    def test_a_prose_rule_the_monograph_no_longer_says_is_not_printed(self, client, drug):
        drug.sections.filter(kind=SectionKind.SIDE_EFFECTS).update(text="Some are mild.")
        urgent = post(client).context["handout"].content.cards[1]
        assert "Any side effect that becomes severe" not in [s.name for s in urgent.signs]

    def test_the_prose_rules_are_in_the_real_monographs(self, real_content):
        for rule in PROSE_RULES:
            sections = Drug.objects.filter(sections__kind=rule.section).values_list(
                "sections__text", flat=True
            )
            assert any(rule.sentence in squash(text) for text in sections), rule.sentence

    def test_it_never_claims_a_24_hour_line_the_sources_do_not_give(self, client, drug):
        html = post(client).content.decode()
        assert "24-hour" not in html and "24 hour" not in html
        drug.contact = "the hospital, on the 24-hour number your team gave you"
        drug.save()
        assert f"Your 24-hour number: <strong>{PHONE}</strong>" in post(client).content.decode()


class TestHandoutPage:
    def test_it_shows_a_post_form_prefilled_with_the_sources_cycle(
        self, client, drug, django_assert_num_queries
    ):
        with django_assert_num_queries(FORM_QUERIES):
            response = client.get(handout_url())
        assert response.status_code == 200
        form = response.context["form"]
        assert not form.is_bound
        assert form.initial["days_on"] == 21 and form.initial["cycles"] == 2
        html = response.content.decode()
        assert 'method="post"' in html and "csrfmiddlewaretoken" in html
        assert 'type="tel"' in html and 'type="date"' in html
        assert "Only the phone number is needed" in html
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]

    def test_it_never_invents_a_cycle(self, client, db):
        DrugFactory(slug="pomalidomide", name="Pomalidomide")
        response = client.get(handout_url("pomalidomide"))
        assert "days_on" not in response.context["form"].initial
        assert "Our sources give no cycle for pomalidomide" in response.content.decode()

    @pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW])
    def test_it_hides_unpublished_drugs(self, client, db, status):
        DrugFactory(slug="draftamide", status=status)
        assert client.get(handout_url("draftamide")).status_code == 404
        assert client.post(handout_url("draftamide"), data()).status_code == 404
        assert client.post(calendar_url("draftamide"), data()).status_code == 404

    def test_only_the_number_gives_a_handout(self, client, drug, django_assert_num_queries):
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = client.post(handout_url(), {"phone": "01234 567890"})
        assert response.status_code == 200
        handout = response.context["handout"]
        assert (handout.days_on, handout.days_off, handout.cycles) == (21, 7, 2)
        assert len(handout.days) == 56
        assert "ics_fields" not in response.context

    def test_only_the_number_gives_a_handout_without_a_cycle(self, client, drug):
        Drug.objects.filter(pk=drug.pk).update(cycle_days_on=None, cycle_days_off=None)
        response = client.post(handout_url(), {"phone": "01234 567890"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Your team will tell you which days to take lenalidomide" in html
        assert html.count("&nbsp;Take</span>") == 42
        response = client.post(handout_url(), {"phone": "01234 567890", "calendar": "none"})
        assert "Your treatment calendar" not in response.content.decode()

    def test_it_builds_the_full_handout(self, client, drug, django_assert_num_queries):
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = post(client)
        assert response.status_code == 200
        html = response.content.decode()
        assert NAME in html and "Monday 7 December 2026" in html
        assert "Swallow the capsule whole." in html and "Skip it after 12 hours." in html
        assert html.count('<span class="word">Take</span>') == 42
        assert html.count('<span class="word">Rest</span>') == 14
        assert "Printed on 22 Nov 2026" in html and "Next review due: 1 Nov 2099" in html
        assert "data-print hidden>Print this handout</button>" in html
        assert "press Ctrl and P together" in html
        assert "/static/js/print.js" in html and "<script>" not in html
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]

    def test_it_draws_a_qr_code_to_the_full_guide_inline(self, client, drug):
        html = post(client).content.decode()
        svg = re.search(r'<svg role="img"[^>]*>', html).group(0)
        assert 'role="img"' in svg and "https://meds.example.org/drugs/lenalidomide/" in svg
        assert 'class="qr"' in svg

    def test_large_print_is_a_choice(self, client, drug):
        assert 'class="handout large-print"' in post(client, large_print="on").content.decode()
        assert 'class="handout"' in post(client).content.decode()

    def test_it_keeps_a_fixed_number_of_queries(self, client, drug, django_assert_num_queries):
        for n in range(5):
            effect = DrugSideEffectFactory(drug=drug)
            HelpRuleFactory(side_effect=effect, urgency=Urgency.TELL, text=f"rule {n}")
            PrecautionFactory(drug=drug, kind=PrecautionKind.STORAGE)
        with django_assert_num_queries(HANDOUT_QUERIES):
            post(client)

    def test_the_next_handout_reads_only_the_content_version(
        self, client, drug, django_assert_num_queries
    ):
        post(client, pregnancy="all")
        with django_assert_num_queries(WARM_QUERIES):
            response = post(client, pregnancy="all", patient_name="Another Person")
        html = response.content.decode()
        assert "Another Person" in html and NAME not in html

    def test_a_publish_shows_on_the_next_handout(self, client, drug):
        post(client)
        section = drug.sections.get(kind=SectionKind.MISSED_DOSES)
        section.text = "Ask your team about a missed dose."
        section.save()
        assert "Ask your team about a missed dose." in post(client).content.decode()

    def test_it_escapes_the_patients_name(self, client, drug):
        html = post(client, patient_name="<b>Sam</b>").content.decode()
        assert "&lt;b&gt;Sam&lt;/b&gt;" in html and "<b>Sam</b>" not in html

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"phone": "call 0123"}, "Enter the phone number in digits"),
            ({"first_day": "2031-01-01"}, "between 1 year ago and 2 years"),
            ({"days_off": "100"}, "Enter 42 or fewer rest days"),
            ({"cycles": "3"}, "The calendar fits 8 weeks"),
        ],
    )
    def test_it_shows_the_form_again_on_bad_input(
        self, client, drug, changes, message, django_assert_num_queries
    ):
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = post(client, **changes)
        assert response.status_code == 400
        assert response.context["handout"] is None
        html = response.content.decode()
        assert "There is a problem" in html and message in html
        assert '<article class="handout' not in html
        assert "no-store" in response["Cache-Control"]

    def test_it_refuses_a_post_without_its_csrf_token(self, drug):
        response = Client(enforce_csrf_checks=True).post(handout_url(), data())
        assert response.status_code == 403

    def test_an_old_link_with_details_in_its_address_shows_a_blank_form(self, client, drug):
        response = client.get(handout_url(), {"patient_name": NAME, "phone": PHONE})
        assert response.status_code == 200
        assert response.context["handout"] is None
        assert not response.context["form"].is_bound
        assert NAME not in response.content.decode()


class TestPrivacy:
    def test_the_name_and_dates_are_in_no_url_log_line_header_or_cache_entry(
        self, client, drug, every_log_line
    ):
        client.get(handout_url())
        response = post(client, last_day="2027-03-31")
        assert NAME in response.content.decode()
        urls = re.findall(r'(?:href|src|action)="([^"]*)"', response.content.decode())
        for text in urls + [response.wsgi_request.get_full_path()]:
            assert "Quigley" not in text and "2026-12-07" not in text and "2027" not in text
        assert "Quigley" not in str(response.headers)
        assert every_log_line, "the request log should have written a line"
        assert not [line for line in every_log_line if "Quigley" in line or "2026-12-07" in line]
        assert b"Quigley" not in cache_contents()

    def test_debug_logs_and_error_reports_see_no_name_in_the_pages_context(self, client, drug):
        # A failed variable lookup logs the template context at DEBUG; reprs are what it shows.
        response = post(client)
        for key in ("sheet", "edit_fields"):
            assert NAME in str(response.context[key])
            assert "Quigley" not in repr(response.context[key])
        assert "Quigley" not in repr(response.context["handout"])

    def test_the_calendar_form_sends_everything_but_the_name(self, client, drug):
        response = post(client)
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', response.context["ics_fields"]))
        assert "patient_name" not in fields
        assert fields["first_day"] == "2026-12-07" and fields["phone"] == PHONE
        html = response.content.decode()
        form = html.split('class="ics-form"')[1].split("</form>")[0]
        assert "Quigley" not in form and 'name="csrfmiddlewaretoken"' in form


class TestCalendarFile:
    def get_calendar(self, client, **changes):
        fields = data(**changes)
        fields.pop("patient_name", None)
        response = client.post(calendar_url(), fields)
        assert response.status_code == 200, response.content[:500]
        return response, Calendar.from_ical(response.content)

    def test_it_is_a_valid_icalendar_file(self, client, drug, django_assert_num_queries):
        with django_assert_num_queries(HANDOUT_QUERIES):
            response = client.post(calendar_url(), data())
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == (
            'attachment; filename="lenalidomide-treatment.ics"'
        )
        assert "no-store" in response["Cache-Control"]
        cal = Calendar.from_ical(response.content)
        assert cal["VERSION"] == "2.0"
        assert b"\r\n" in response.content  # RFC 5545 line endings
        uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
        assert len(uids) == len(set(uids))

    def test_it_is_posted_never_fetched_by_address(self, client, drug):
        assert client.get(calendar_url(), data()).status_code == 405

    def test_it_has_an_event_per_treatment_day_and_per_rest_period(self, client, drug):
        _, cal = self.get_calendar(client, pregnancy="could-make-pregnant")
        events = cal.walk("VEVENT")
        assert len(events) == 44
        take = [e for e in events if str(e["SUMMARY"]).startswith("Take")]
        rest = [e for e in events if str(e["SUMMARY"]).startswith("Rest")]
        assert str(take[0]["SUMMARY"]) == "Take lenalidomide (cycle 1, day 1)"
        assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in rest] == [
            (datetime.date(2026, 12, 28), datetime.date(2027, 1, 4)),
            (datetime.date(2027, 1, 25), datetime.date(2027, 2, 1)),
        ]
        description = str(take[0]["DESCRIPTION"])
        assert PHONE in description and "24-hour" not in description
        assert "https://meds.example.org/drugs/lenalidomide/" in description

    def test_it_adds_the_pregnancy_tests_and_the_last_only_from_a_last_day(self, client, drug):
        def tests(cal):
            return [
                e.decoded("DTSTART") for e in cal.walk("VEVENT") if "Pregnancy" in str(e["SUMMARY"])
            ]

        _, cal = self.get_calendar(client)
        assert tests(cal) == [datetime.date(2027, 1, 4)]
        _, cal = self.get_calendar(client, last_day="2027-06-30")
        assert tests(cal) == [datetime.date(2027, 1, 4), datetime.date(2027, 7, 28)]

    def test_its_uids_stay_the_same_when_downloaded_again(self, client, drug):
        _, first = self.get_calendar(client)
        _, again = self.get_calendar(client, phone="0161 555 0000")
        assert [str(e["UID"]) for e in first.walk("VEVENT")] == [
            str(e["UID"]) for e in again.walk("VEVENT")
        ]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"first_day": None}, "first day of treatment to make a calendar file"),
            ({"first_day": "1999-01-01"}, "between 1 year ago and 2 years"),
            ({"phone": "999"}, "this one has 3"),
        ],
    )
    def test_it_shows_the_form_on_bad_input(self, client, drug, changes, message):
        response = client.post(calendar_url(), data(**changes))
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode()
