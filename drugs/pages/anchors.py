"""The fragment ids of a drug guide's entries and the URLs of its parts: search links to them
and the guide gives them out."""

import re

from django.conf import settings
from django.urls import reverse

from drugs.models import PrecautionKind, SectionKind

# The overview lives at the drug's own URL; every other part has a path of its own.
OVERVIEW = ""
WHOLE_GUIDE = "all"
SIDE_EFFECTS_PART = "side-effects"
HELP_PART = "when-to-get-help"

# Which part of the guide holds each kind of precaution and section (drugs.pages.drug lays the
# parts out from the same sets), so links go straight to the entry's own part.
HANDLING_KINDS = frozenset({PrecautionKind.HANDLING, PrecautionKind.STORAGE})
PREGNANCY_KINDS = frozenset({PrecautionKind.PREGNANCY_PREVENTION, PrecautionKind.BREASTFEEDING})
SECTION_PARTS = {
    SectionKind.ABOUT: OVERVIEW,
    SectionKind.HOW_IT_WORKS: OVERVIEW,
    SectionKind.HOW_TO_TAKE: "how-to-take",
    SectionKind.MISSED_DOSES: "how-to-take",
    SectionKind.SIDE_EFFECTS: SIDE_EFFECTS_PART,
    SectionKind.GETTING_HELP: HELP_PART,
    SectionKind.PROFESSIONALS: "professionals",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def section_anchor(kind: str) -> str:
    return kind


def side_effect_anchor(effect_slug: str) -> str:
    return f"side-effect-{effect_slug}"


def precaution_anchor(precaution) -> str:
    """Made from the title, unique within a drug, so links survive a re-import (pks do not)."""
    return f"precaution-{_slug(precaution.title)}"


def drug_url(drug_slug: str, anchor: str = "") -> str:
    """The drug's overview. Its old fragment ids still lead to each entry (see the overview's
    "Where to find" list), so links made before the guide had parts keep working."""
    url = reverse("drugs:detail", kwargs={"slug": drug_slug})
    return f"{url}#{anchor}" if anchor else url


def part_url(drug_slug: str, part: str, anchor: str = "") -> str:
    """One part of a drug's guide (OVERVIEW, WHOLE_GUIDE or a part's slug), at an anchor."""
    if part == OVERVIEW:
        url = reverse("drugs:detail", kwargs={"slug": drug_slug})
    elif part == WHOLE_GUIDE:
        url = reverse("drugs:guide", kwargs={"slug": drug_slug})
    else:
        url = reverse("drugs:part", kwargs={"slug": drug_slug, "part": part})
    return f"{url}#{anchor}" if anchor else url


def absolute_url(path: str) -> str:
    """The full URL of a path on this site, for canonical links, JSON-LD and the API.

    From SITE_URL, never the request's Host header, which whoever asks chooses."""
    return settings.SITE_URL + path


def precaution_part(kind: str) -> str:
    if kind in HANDLING_KINDS:
        return "how-to-take"
    if kind in PREGNANCY_KINDS:
        return "pregnancy"
    return "other-precautions"


def side_effect_url(drug_slug: str, effect_slug: str) -> str:
    """A side effect's entry in its drug's side-effects part."""
    return part_url(drug_slug, SIDE_EFFECTS_PART, side_effect_anchor(effect_slug))


def precaution_url(drug_slug: str, precaution) -> str:
    return part_url(drug_slug, precaution_part(precaution.kind), precaution_anchor(precaution))


def help_url(drug_slug: str) -> str:
    """The drug's "When to get help" part: what a reader who feels unwell needs first."""
    return part_url(drug_slug, HELP_PART)
