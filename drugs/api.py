"""Read-only JSON API of the published monographs (documented in docs/api.md)."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from drugs.models import (
    Drug,
    DrugSideEffect,
    FrequencyBand,
    Precaution,
    SectionKind,
    Source,
)
from drugs.pages.anchors import WHOLE_GUIDE, absolute_url, part_url
from drugs.pages.drug import guide_parts, source_names

API_VERSION = 1
# Sections in page order, whatever order the monograph wrote them in.
SECTION_ORDER = {kind: rank for rank, kind in enumerate(SectionKind.values)}


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _source_keys(sources) -> list[str]:
    return [source.key for source in source_names(sources)]


def _disagreements(notes) -> list[dict]:
    return [
        {
            "topic": note.topic,
            "text": note.text,
            "html": note.text_html,
            "sources": _source_keys(note.sources.all()),
        }
        for note in notes
    ]


def _band(band: FrequencyBand) -> dict:
    data = {
        "scale": band.scale,
        "key": band.key,
        "label": band.label,
        "phrase": band.phrase,
        "min_per_100": _number(band.min_per_100),
        "max_per_100": _number(band.max_per_100),
        "rank": band.rank,
    }
    standard = band.standard_band
    # The standard scale's numbers are a claim only for a band whose source gives numbers.
    gives_numbers = band.min_per_100 is not None or band.max_per_100 is not None
    data["standard"] = (
        {
            "key": standard.key,
            "label": standard.label,
            "phrase": standard.phrase if gives_numbers else None,
            "rank": standard.rank,
        }
        if standard
        else None
    )
    return data


def _help_rules(rules) -> list[dict]:
    return [
        {
            "sign": rule.sign.slug if rule.sign else None,
            "sign_name": rule.sign.name if rule.sign else None,
            "urgency": rule.urgency,
            "urgency_label": rule.level_label,
            "when": rule.text,
            "threshold": rule.threshold or None,
            "condition": rule.condition or None,
            "source_says": rule.timing.phrase if rule.timing else None,
            "source": rule.source.key if rule.source else None,
            "escalated": rule.escalated,
        }
        for rule in rules
    ]


def _side_effect(item: DrugSideEffect, request: HttpRequest) -> dict:
    figure = None
    if item.figure_percent is not None or item.figure_text:
        figure = {"percent": _number(item.figure_percent), "natural": item.figure_text or None}
    return {
        "effect": {
            "slug": item.effect.slug,
            "name": item.effect.name,
            "url": absolute_url(item.effect.get_absolute_url()),
        },
        "band": _band(item.band),
        "figure": figure,
    } | _prose(item)


def _prose(item: DrugSideEffect | Precaution) -> dict:
    """What a side effect and a precaution both have: text, help rules, sources, notes."""
    return {
        "text": item.text,
        "html": item.text_html,
        "get_help": _help_rules(item.help_rules.all()),
        "sources": _source_keys(item.sources.all()),
        "disagreements": _disagreements(item.disagreements.all()),
    }


def _precaution(item: Precaution) -> dict:
    return {
        "kind": item.kind,
        "applies_to": item.applies_to,
        "title": item.title,
        "warning": item.warning,
    } | _prose(item)


def _source(source: Source) -> dict:
    return {
        "key": source.key,
        "publisher": source.publisher,
        "publisher_named": source.publisher_named,
        "title": source.title,
        "date": _date(source.date),
        "date_kind": source.date_kind,
        "next_review": _date(source.next_review),
        "about": source.about or None,
        "url": source.url or None,
    }


def _summary(drug: Drug, request: HttpRequest) -> dict:
    return {
        "slug": drug.slug,
        "name": drug.name,
        "brand_names": drug.brand_names,
        "treats": drug.treats,
        "summary": drug.summary,
        "last_reviewed": _date(drug.last_reviewed),
        "next_review_due": _date(drug.next_review_due),
        "url": absolute_url(drug.get_absolute_url()),
        "api_url": absolute_url(reverse("drugs:api_drug", args=[drug.slug])),
    }


@require_safe
def drug_list(request: HttpRequest) -> JsonResponse:
    drugs = [_summary(drug, request) for drug in Drug.objects.published()]
    return JsonResponse({"version": API_VERSION, "count": len(drugs), "drugs": drugs})


@require_safe
def drug_detail(request: HttpRequest, slug: str) -> JsonResponse:
    drug = Drug.objects.published().with_monograph().filter(slug=slug).first()
    if drug is None:
        # The site's 404 handler answers: JSON 404, or 410 for a withdrawn drug.
        raise Http404(slug)
    side_effects = sorted(
        drug.side_effects.all(), key=lambda item: (item.band.sort_key, item.order)
    )
    data = _summary(drug, request) | {
        "version": API_VERSION,
        "pronunciation": drug.pronunciation or None,
        "contact": drug.contact,
        "cycle": (
            {"days_on": drug.cycle_days_on, "days_off": drug.cycle_days_off}
            if drug.cycle_days_on
            else None
        ),
        "review_overdue": drug.review_overdue,
        "sections": [
            {
                "kind": section.kind,
                "title": section.title,
                "text": section.text,
                "html": section.text_html,
                "sources": _source_keys(section.sources.all()),
                "disagreements": _disagreements(section.disagreements.all()),
            }
            for section in sorted(drug.sections.all(), key=lambda s: SECTION_ORDER[s.kind])
        ],
        "side_effects": [_side_effect(item, request) for item in side_effects],
        "precautions": [_precaution(item) for item in drug.precautions.all()],
        "sources": [_source(source) for source in source_names(drug.sources.all())],
        # The guide's pages, as the overview's contents list gives them.
        "parts": [
            {"title": part.title, "url": absolute_url(part.url)} for part in guide_parts(drug)
        ],
        "whole_guide_url": absolute_url(part_url(drug.slug, WHOLE_GUIDE)),
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
