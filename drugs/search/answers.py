"""Direct answers for warning signs: a search for "temperature", "37.8" or "breathless" gets each
drug's own level, threshold and contact first, above the ranked results.

Matching is on the signs vocabulary (content/signs.yaml), the same on every database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.db.models import Q

from drugs.models import Drug, HelpRule, Sign, Urgency
from drugs.pages.anchors import drug_url, precaution_anchor, side_effect_anchor
from drugs.search.text import keywords

# A body temperature as people type it: "37.8", "38c", "37.5 °C", "36 degrees".
TEMPERATURE_RE = re.compile(r"^\s*(\d{2}(?:[.,]\d)?)\s*(?:°\s*c?|c|degrees?)?\s*$", re.IGNORECASE)
# Only numbers that can be a body temperature are read as one.
BODY_TEMPERATURES = (Decimal(34), Decimal(43))
# At or above this a temperature is read as high, below it as low.
HIGH_FROM = Decimal(37)
MAX_ANSWERS = 3


@dataclass
class RuleAnswer:
    label: str
    urgency: str
    text: str
    threshold: str
    condition: str
    entry: str
    url: str

    @property
    def snippet(self) -> str:
        condition = f" ({self.condition})" if self.condition else ""
        return f"{self.label} if {self.text}{condition}"


@dataclass
class DrugAnswer:
    slug: str
    name: str
    contact: str
    rules: list[RuleAnswer] = field(default_factory=list)

    @property
    def call_team(self) -> bool:
        return any(r.urgency == Urgency.URGENT for r in self.rules)


@dataclass
class SignAnswer:
    slug: str
    name: str
    drugs: list[DrugAnswer]

    @property
    def urgency(self) -> str:
        """The most urgent level any drug gives the sign."""
        return min((r.urgency for d in self.drugs for r in d.rules), key=Urgency.rank)

    def as_json(self) -> dict:
        return {
            "sign": self.slug,
            "name": self.name,
            "drugs": [
                {
                    "drug": d.slug,
                    "name": d.name,
                    "contact": d.contact,
                    "rules": [
                        {
                            "urgency": r.urgency,
                            "label": r.label,
                            "when": r.text,
                            "threshold": r.threshold or None,
                            "condition": r.condition or None,
                            "from": r.entry,
                            "url": r.url,
                            "snippet": r.snippet,
                        }
                        for r in d.rules
                    ],
                }
                for d in self.drugs
            ],
        }


def temperature(text: str) -> Decimal | None:
    """The body temperature a query is, if it is only one."""
    match = TEMPERATURE_RE.match(text)
    if not match:
        return None
    try:
        value = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    low, high = BODY_TEMPERATURES
    return value if low <= value <= high else None


@lru_cache(maxsize=4)
def _phrases(rows: tuple[tuple[str, str, tuple[str, ...]], ...]) -> dict[tuple[str, ...], set]:
    """Each sign's name and synonyms as word tuples -> the signs they name."""
    phrases: dict[tuple[str, ...], set] = {}
    for slug, name, synonyms in rows:
        for phrase in (name, *synonyms):
            # Without stopwords: "blood in my pee" is "blood in your pee".
            key = tuple(keywords(phrase))
            if key:
                phrases.setdefault(key, set()).add(slug)
    return phrases


def matching_signs(text: str) -> list[str]:
    """Slugs of the signs the query names, the longest match first ("swollen tongue" is an
    allergic reaction before it is swelling), then in the vocabulary's order."""
    rows = tuple(
        (slug, name, tuple(synonyms))
        for slug, name, synonyms in Sign.objects.order_by("pk").values_list(
            "slug", "name", "synonyms"
        )
    )
    degrees = temperature(text)
    if degrees is not None:
        wanted = "high-temperature" if degrees >= HIGH_FROM else "low-temperature"
        return [slug for slug, _, _ in rows if slug == wanted]
    tokens = keywords(text)
    found: dict[str, int] = {}
    for phrase, slugs in _phrases(rows).items():
        size = len(phrase)
        if any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1)):
            for slug in slugs:
                found[slug] = max(found.get(slug, 0), size)
    order = {slug: i for i, (slug, _, _) in enumerate(rows)}
    return sorted(found, key=lambda slug: (-found[slug], order[slug]))


def sign_answers(text: str) -> list[SignAnswer]:
    """Each sign the query names, with every published drug's rules for it, most urgent first."""
    slugs = matching_signs(text)
    if not slugs:
        return []
    published = Drug.objects.published()
    rules = (
        HelpRule.objects.filter(sign__slug__in=slugs)
        .filter(Q(side_effect__drug__in=published) | Q(precaution__drug__in=published))
        .select_related("sign", "timing", "side_effect__effect", "side_effect__drug")
        .select_related("precaution__drug")
    )
    by_sign: dict[str, dict[str, DrugAnswer]] = {}
    names = {}
    for rule in rules:
        entry = rule.side_effect or rule.precaution
        drug = entry.drug
        if rule.side_effect:
            anchor = side_effect_anchor(rule.side_effect.effect.slug)
        else:
            anchor = precaution_anchor(rule.precaution)
        names[rule.sign.slug] = rule.sign.name
        answer = by_sign.setdefault(rule.sign.slug, {}).setdefault(
            drug.slug, DrugAnswer(drug.slug, drug.name, drug.contact)
        )
        found = RuleAnswer(
            label=rule.level_label,
            urgency=rule.urgency,
            text=rule.text,
            threshold=rule.threshold,
            condition=rule.condition,
            entry=entry.title,
            url=f"{drug_url(drug.slug)}#{anchor}",
        )
        if not any(r.text == found.text and r.condition == found.condition for r in answer.rules):
            answer.rules.append(found)
    answers = []
    # slugs are best match first; sorted() below keeps that order within a level.
    for slug in slugs:
        if slug not in by_sign:
            continue
        drugs = sorted(by_sign[slug].values(), key=lambda d: d.name)
        for d in drugs:
            d.rules.sort(key=lambda r: Urgency.rank(r.urgency))
        answers.append(SignAnswer(slug, names[slug], drugs))
    # The most urgent sign first; a query naming many signs gets the few that matter most.
    answers.sort(key=lambda a: Urgency.rank(a.urgency))
    return answers[:MAX_ANSWERS]
