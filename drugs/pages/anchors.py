"""The fragment ids of a drug guide's entries and the URLs of its parts: search links to them
and the guide gives them out."""

import re

from django.conf import settings
from django.urls import reverse

# The overview lives at the drug's own URL; every other part has a path of its own.
OVERVIEW = ""
WHOLE_GUIDE = "all"


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


def absolute_url(request, path: str) -> str:
    """The full URL of a path on this site, for canonical links, JSON-LD and the API.

    From SITE_URL, never the request's Host header, which whoever asks chooses."""
    return settings.SITE_URL + path
