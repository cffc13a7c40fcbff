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
from drugs.pages.anchors import help_url, precaution_url, side_effect_url
from drugs.pages.care import contact_line
from drugs.search.text import keywords, words

# A body temperature as people type it: "37.8", "38c", "37.5 °C", "36 degrees", "38.25".
TEMPERATURE_RE = re.compile(
    r"(?<![\d.,])(?P<value>\d{2}(?:[.,]\d{1,2})?)(?![\d.,]*\d)\s*"
    r"(?P<unit>°\s*c?|c(?:elsius)?\b|degrees?(?:\s+c(?:elsius)?\b)?)?",
    re.IGNORECASE,
)
# A number in a query is a temperature when it is the whole query, has a unit, or comes with one
# of these words ("temp 38", "is 37.6 a fever").
TEMPERATURE_WORDS = frozenset(
    [
        "temp",
        "temps",
        "temperature",
        "temperatures",
        "fever",
        "feverish",
        "thermometer",
        "hot",
        "cold",
    ]
)
# A threshold as the monographs write it: "above 37.5°C", "below 36°C".
THRESHOLD_RE = re.compile(r"^(?P<side>above|over|below|under)\s+(?P<value>\d+(?:\.\d+)?)\s*°C$")
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
    # For a typed temperature past this rule's threshold: "37.8°C is above 37.5°C". Only a
    # threshold crossed is stated; one not crossed is shown as the source gives it, with no
    # advice worked out from it.
    crossed: str = ""

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

    @property
    def contact_line(self) -> str:
        """Whom to call, as the drug's pages say it (drugs.pages.care.contact_line)."""
        return contact_line(Urgency.URGENT, self.contact) if self.call_team else ""


@dataclass
class SignAnswer:
    slug: str
    name: str
    drugs: list[DrugAnswer]
    # Published drugs whose sources give no rule for this sign (names).
    unlisted: list[str] = field(default_factory=list)
    # Each of those drugs' own "when to get help" list, by name: the sign may be there in
    # other words (no rule for "feeling breathless", one for "trouble breathing").
    help_urls: dict[str, str] = field(default_factory=dict)

    @property
    def unlisted_links(self) -> list[tuple[str, str]]:
        return [(name, self.help_urls.get(name, "")) for name in self.unlisted]

    # The temperature the query is, as typed ("37.8°C"), if it is one.
    temperature: str = ""

    @property
    def lower_name(self) -> str:
        """The name inside a sentence: "a high temperature" (only the first letter changes,
        so "MCL" stays as it is)."""
        return f"{self.name[:1].lower()}{self.name[1:]}"

    @property
    def heading(self) -> str:
        if self.temperature:
            return f"What to do: a temperature of {self.temperature}"
        return f"What to do: {self.lower_name}"

    @property
    def urgency(self) -> str:
        """The most urgent level any drug gives the sign."""
        return min((r.urgency for d in self.drugs for r in d.rules), key=Urgency.rank)

    def as_json(self) -> dict:
        return {
            "sign": self.slug,
            "name": self.name,
            "temperature": self.temperature or None,
            "unlisted": self.unlisted,
            "unlisted_help_urls": self.help_urls,
            "drugs": [
                {
                    "drug": d.slug,
                    "name": d.name,
                    "contact": d.contact,
                    "contact_line": d.contact_line or None,
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
                            "crossed": r.crossed or None,
                        }
                        for r in d.rules
                    ],
                }
                for d in self.drugs
            ],
        }


def _temperature_match(text: str) -> re.Match | None:
    """Where the query names a body temperature, if it does."""
    matches = [
        m
        for m in TEMPERATURE_RE.finditer(text)
        if BODY_TEMPERATURES[0] <= _decimal(m["value"]) <= BODY_TEMPERATURES[1]
    ]
    if len(matches) != 1:
        return None
    match = matches[0]
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    if match["unit"] or not keywords(rest) or TEMPERATURE_WORDS & set(words(rest)):
        return match
    return None


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        return Decimal(0)


def temperature(text: str) -> Decimal | None:
    """The body temperature a query names ("37.8", "temp 38", "38 degrees"), if it names one."""
    match = _temperature_match(text)
    return _decimal(match["value"]) if match else None


def without_temperature(text: str) -> str:
    """The query to search the text for: a temperature becomes the word "temperature"."""
    match = _temperature_match(text)
    if match is None:
        return text
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    if TEMPERATURE_WORDS & set(words(rest)):
        return rest
    return f"{rest} temperature".strip()


def crossed(degrees: Decimal, threshold: str) -> str:
    """ "37.8°C is above 37.5°C" when the temperature is past the threshold, else ""."""
    match = THRESHOLD_RE.match(threshold.strip())
    if match is None:
        return ""
    value = Decimal(match["value"])
    high = match["side"] in ("above", "over")
    if (degrees > value) if high else (degrees < value):
        return f"{_degrees(degrees)} is {'above' if high else 'below'} {_degrees(value)}"
    return ""


def _degrees(value: Decimal) -> str:
    return f"{value.normalize():f}°C"


@lru_cache(maxsize=4)
def _phrases(
    rows: tuple[tuple[str, str, tuple[str, ...]], ...],
) -> dict[tuple[bool, tuple[str, ...]], set]:
    """Each sign's name and synonyms as (stopwords kept, word tuple) -> the signs they name."""
    phrases: dict[tuple[bool, tuple[str, ...]], set] = {}
    for slug, name, synonyms in rows:
        for phrase in (name, *synonyms):
            # Without stopwords: "blood in my pee" is "blood in your pee". But a phrase that
            # only its stopwords make a sign keeps them: "feeling ill" is not "feeling", nor
            # "very tired" "tired".
            key = tuple(keywords(phrase))
            whole = tuple(words(phrase))
            if len(key) == 1 and len(whole) > 1:
                phrases.setdefault((True, whole), set()).add(slug)
            elif key:
                phrases.setdefault((False, key), set()).add(slug)
    return phrases


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1))


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
    tokens = {False: keywords(text), True: words(text)}
    found: dict[str, int] = {}
    for (whole, phrase), slugs in _phrases(rows).items():
        if _contains(tokens[whole], phrase):
            for slug in slugs:
                found[slug] = max(found.get(slug, 0), len(phrase))
    order = {slug: i for i, (slug, _, _) in enumerate(rows)}
    return sorted(found, key=lambda slug: (-found[slug], order[slug]))


def sign_answers(text: str) -> list[SignAnswer]:
    """Each sign the query names, with every published drug's rules for it, most urgent first.

    For a temperature, each drug's rules for it come with the other rules of the same entries
    ("you feel unwell, even if your temperature is normal"): a number under one threshold is
    never shown alone, as if it needed nothing.
    """
    slugs = matching_signs(text)
    if not slugs:
        return []
    degrees = temperature(text)
    published = Drug.objects.published()
    wanted = Q(sign__slug__in=slugs)
    if degrees is not None:
        owners = HelpRule.objects.filter(sign__slug__in=slugs)
        wanted |= Q(side_effect__in=owners.values("side_effect")) | Q(
            precaution__in=owners.values("precaution")
        )
    rules = (
        HelpRule.objects.filter(wanted)
        .filter(Q(side_effect__drug__in=published) | Q(precaution__drug__in=published))
        .select_related("sign", "timing", "side_effect__effect", "side_effect__drug")
        .select_related("precaution__drug")
        .order_by("pk")
    )
    by_sign: dict[str, dict[str, DrugAnswer]] = {}
    names = {}
    companions: list[tuple[HelpRule, RuleAnswer]] = []
    for rule in rules:
        entry = rule.side_effect or rule.precaution
        drug = entry.drug
        if rule.side_effect:
            url = side_effect_url(drug.slug, rule.side_effect.effect.slug)
        else:
            url = precaution_url(drug.slug, rule.precaution)
        found = RuleAnswer(
            label=rule.level_label,
            urgency=rule.urgency,
            text=rule.text,
            threshold=rule.threshold,
            condition=rule.condition,
            entry=entry.title,
            url=url,
        )
        if rule.sign is None or rule.sign.slug not in slugs:
            companions.append((rule, found))
            continue
        if degrees is not None and rule.threshold:
            found.crossed = crossed(degrees, rule.threshold)
        names[rule.sign.slug] = rule.sign.name
        answer = by_sign.setdefault(rule.sign.slug, {}).setdefault(
            drug.slug, DrugAnswer(drug.slug, drug.name, drug.contact)
        )
        _add(answer, found)
    for rule, found in companions:
        # Beside the sign whose rule its entry also gives.
        entry = rule.side_effect or rule.precaution
        for answers in by_sign.values():
            answer = answers.get(entry.drug.slug)
            if answer and any(r.entry == found.entry for r in answer.rules):
                _add(answer, found)
    drug_names = dict(published.values_list("slug", "name")) if by_sign else {}
    answers = []
    # slugs are best match first; sorted() below keeps that order within a level.
    for slug in slugs:
        if slug not in by_sign:
            continue
        drugs = sorted(by_sign[slug].values(), key=lambda d: d.name)
        for d in drugs:
            # A crossed threshold first, then the most urgent.
            d.rules.sort(key=lambda r: (not r.crossed, Urgency.rank(r.urgency)))
        unlisted = sorted(name for s, name in drug_names.items() if s not in by_sign[slug])
        help_urls = {name: help_url(s) for s, name in drug_names.items() if s not in by_sign[slug]}
        answer = SignAnswer(slug, names[slug], drugs, unlisted, help_urls)
        if degrees is not None:
            answer.temperature = _degrees(degrees)
        answers.append(answer)
    # The most urgent sign first; a query naming many signs gets the few that matter most.
    # Among equals, the sign every medicine gives advice for comes before one some do not.
    answers.sort(key=lambda a: (Urgency.rank(a.urgency), len(a.unlisted)))
    return answers[:MAX_ANSWERS]


def _add(answer: DrugAnswer, found: RuleAnswer) -> None:
    if not any(r.text == found.text and r.condition == found.condition for r in answer.rules):
        answer.rules.append(found)
