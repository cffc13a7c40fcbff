"""The clinical review list: help rules a clinical reviewer must look at before patients rely on them.

Four kinds of item: a rule more urgent than its source's words (an escalation), a sign whose
level or threshold differs between drugs, a rule whose only source has no named publisher, and
one sign on two levels of a drug without the condition that separates them (the importer
refuses that, but an edit in the admin may not have been imported yet).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from drugs.models import ClinicalSignOff, Drug, HelpRule, Urgency


class Kind:
    ESCALATED = "More urgent than the source says"
    DIFFERS = "Differs between medicines"
    UNNAMED = "Only source has no named publisher"
    TWO_LEVELS = "One sign on two levels, no condition"


@dataclass
class ReviewItem:
    kind: str
    summary: str
    detail: str
    signoff: ClinicalSignOff | None = None

    @property
    def key(self) -> str:
        # Whatever the item says is what was reviewed: change it and it needs review again.
        text = f"{self.kind}\n{self.summary}\n{self.detail}"
        return hashlib.sha256(text.encode()).hexdigest()


def _describe(rule: HelpRule) -> str:
    condition = f" ({rule.condition})" if rule.condition else ""
    return f"{rule.level_label} if {rule.text}{condition}"


def _entry(rule: HelpRule) -> str:
    return (rule.side_effect or rule.precaution).title


def live_rules():
    """Every help rule of a drug in its own right (drafts too, pending revisions not)."""
    live = Drug.objects.live()
    return (
        HelpRule.objects.filter(Q(side_effect__drug__in=live) | Q(precaution__drug__in=live))
        .select_related(
            "sign",
            "timing",
            "source",
            "escalation_source",
            "side_effect__drug",
            "side_effect__effect",
            "precaution__drug",
        )
        .order_by("pk")
    )


def review_items() -> list[ReviewItem]:
    """Every item on the list, with its sign-off if a reviewer has marked it."""
    rules = list(live_rules())
    items: list[ReviewItem] = []
    by_sign: dict[str, dict[str, list[HelpRule]]] = defaultdict(lambda: defaultdict(list))
    for rule in rules:
        drug = (rule.side_effect or rule.precaution).drug
        sign = rule.sign.name if rule.sign else "(no sign)"
        by_sign[sign][drug.name].append(rule)
        where = f"{drug.name}, {_entry(rule)}"
        if rule.escalated:
            items.append(
                ReviewItem(
                    Kind.ESCALATED,
                    f"{where}: {_describe(rule)}",
                    f"The source ({rule.source.publisher if rule.source else '?'}) says "
                    f"“{rule.timing.phrase if rule.timing else '?'}”. Reason given: "
                    f"{rule.escalation_reason} Supported by: "
                    f"{rule.escalation_source.publisher if rule.escalation_source else '?'}.",
                )
            )
        if rule.source and not rule.source.publisher_named:
            items.append(
                ReviewItem(
                    Kind.UNNAMED,
                    f"{where}: {_describe(rule)}",
                    f"Only source: {rule.source.publisher} ({rule.source.title}). "
                    f"{rule.source.about}".strip(),
                )
            )
    for sign, drugs in sorted(by_sign.items()):
        advice = {
            drug: sorted({(r.urgency, r.threshold) for r in drug_rules})
            for drug, drug_rules in drugs.items()
        }
        if len(advice) > 1 and len({tuple(a) for a in advice.values()}) > 1:
            items.append(
                ReviewItem(
                    Kind.DIFFERS,
                    sign,
                    " / ".join(
                        f"{drug}: "
                        + "; ".join(
                            _describe(r)
                            for r in sorted(drugs[drug], key=lambda r: Urgency.rank(r.urgency))
                        )
                        for drug in sorted(drugs)
                    ),
                )
            )
        for drug, drug_rules in sorted(drugs.items()):
            levels = {r.urgency for r in drug_rules}
            if len(levels) > 1 and any(not r.condition for r in drug_rules):
                items.append(
                    ReviewItem(
                        Kind.TWO_LEVELS,
                        f"{drug}: {sign}",
                        "; ".join(f"{_entry(r)}: {_describe(r)}" for r in drug_rules),
                    )
                )
    signoffs = ClinicalSignOff.objects.select_related("reviewed_by").in_bulk(
        [item.key for item in items], field_name="key"
    )
    for item in items:
        item.signoff = signoffs.get(item.key)
    return items
