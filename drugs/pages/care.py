"""What to do: help rules beside their entry, and gathered by sign into the care cards."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from drugs.models import Drug, HelpRule, Urgency
from drugs.pages.anchors import precaution_anchor, side_effect_anchor


def level_key(rule: HelpRule) -> tuple[int, bool]:
    """Most urgent first; "Tell your team promptly" before a plain "Tell your team"."""
    return (Urgency.rank(rule.urgency), not rule.promptly)


def contact_line(urgency: str, contact: str) -> str:
    """Whom to call for a level, in the drug's sources' words (Drug.contact)."""
    return f"Call {contact}." if urgency == Urgency.URGENT else ""


@dataclass
class Action:
    """One level of what to do about one entry, with the signs that call for it."""

    urgency: str
    label: str
    rules: list[HelpRule]
    contact: str


def actions_for(rules: Iterable[HelpRule], contact: str) -> list[Action]:
    """An entry's own rules by level, most urgent first, each level's rules in file order."""
    levels: dict[tuple, Action] = {}
    for rule in sorted(rules, key=lambda r: r.order):
        key = level_key(rule)
        if key not in levels:
            levels[key] = Action(
                urgency=rule.urgency,
                label=rule.level_label,
                rules=[],
                contact=contact_line(rule.urgency, contact),
            )
        levels[key].rules.append(rule)
    return [levels[key] for key in sorted(levels)]


@dataclass
class SummaryItem:
    text: str
    condition: str
    # (title, anchor) of each entry that gives this rule.
    entries: list[tuple[str, str]]


@dataclass
class SignGroup:
    name: str
    items: list[SummaryItem]


@dataclass
class CareCard:
    """One level of the "When to get help" summary: every sign at that level, once."""

    urgency: str
    label: str
    signs: list[SignGroup]
    contact: str

    @property
    def heading(self) -> str:
        return f"{self.label} if:"

    @property
    def items(self) -> list[str]:
        """Each rule once, as plain text (the printed handout's short list)."""
        return [
            f"{item.text} ({item.condition})" if item.condition else item.text
            for group in self.signs
            for item in group.items
        ]


def rule_owners(drug: Drug) -> list[tuple[str, str, Iterable[HelpRule]]]:
    """(title, anchor, help rules) of each side effect, then each precaution of a drug loaded
    with_monograph(): what build_care_cards() gathers."""
    owners = [
        (item.title, side_effect_anchor(item.effect.slug), item.help_rules.all())
        for item in drug.side_effects.all()
    ]
    return owners + [
        (p.title, precaution_anchor(p), p.help_rules.all()) for p in drug.precautions.all()
    ]


def build_care_cards(
    owners: Iterable[tuple[str, str, Iterable[HelpRule]]], contact: str
) -> list[CareCard]:
    """Rules of (entry title, entry anchor, rules) gathered by level, then by sign, most urgent
    first; a rule that several entries give is listed once, naming each of them."""
    cards: dict[tuple, dict[str, dict[tuple, SummaryItem]]] = {}
    labels: dict[tuple, HelpRule] = {}
    for title, anchor, rules in owners:
        for rule in rules:
            key = level_key(rule)
            labels.setdefault(key, rule)
            name = rule.sign.name if rule.sign else "Other signs"
            items = cards.setdefault(key, {}).setdefault(name, {})
            item = items.setdefault(
                (rule.text, rule.condition), SummaryItem(rule.text, rule.condition, [])
            )
            if (title, anchor) not in item.entries:
                item.entries.append((title, anchor))
    return [
        CareCard(
            urgency=labels[key].urgency,
            label=labels[key].level_label,
            signs=[
                SignGroup(name=name, items=list(items.values()))
                for name, items in sorted(cards[key].items(), key=lambda kv: kv[0].lower())
            ],
            contact=contact_line(labels[key].urgency, contact),
        )
        for key in sorted(cards)
    ]
