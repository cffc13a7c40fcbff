"""The fragment ids of a drug page's parts: search links to them and the page gives them out."""

import re

from django.urls import reverse


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
    url = reverse("drugs:detail", kwargs={"slug": drug_slug})
    return f"{url}#{anchor}" if anchor else url
