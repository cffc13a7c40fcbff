"""Pregnancy tests and what to do, as each drug's sources give them, for the printed sheet."""

import re
from dataclasses import dataclass

from drugs.models import Drug, SectionKind, Urgency
from drugs.pages.care import CareCard, build_care_cards, rule_owners


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


def care_cards(drug: Drug) -> list[CareCard]:
    """The drug's help rules as the patient pages' cards (needs with_monograph())."""
    return build_care_cards(rule_owners(drug), drug.contact)


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
    owners = rule_owners(drug)
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
