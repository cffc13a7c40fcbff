"""The patient pages: thin views; presenters.py arranges what they show."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from drugs.models import Drug, DrugSideEffect, GlossaryTerm, SideEffect, help_rules_prefetch
from drugs.pages import guide
from drugs.pages.anchors import WHOLE_GUIDE
from drugs.pages.compare import compare_groups
from drugs.pages.feedback import FeedbackForm, over_limit, safe_page
from drugs.pages.side_effects import effect_entries, rules_differ

# More columns than this no longer fit side by side on a phone or on paper.
COMPARE_MAX = 4


def home(request: HttpRequest) -> HttpResponse:
    drugs = list(Drug.objects.published())
    return render(request, "drugs/home.html", {"drugs": drugs})


@dataclass(frozen=True)
class AZEntry:
    name: str
    drug: Drug
    is_brand: bool


def drug_list(request: HttpRequest) -> HttpResponse:
    """Generic and brand names together, A to Z: people often know only the brand."""
    entries = []
    for drug in Drug.objects.published():
        entries.append(AZEntry(name=drug.name, drug=drug, is_brand=False))
        entries += [AZEntry(name=brand, drug=drug, is_brand=True) for brand in drug.brand_names]
    entries.sort(key=lambda entry: entry.name.lower())
    letters = [
        (letter, list(group))
        for letter, group in groupby(entries, key=lambda entry: entry.name[:1].upper())
    ]
    return render(request, "drugs/drug_list.html", {"letters": letters})


def drug_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The guide's overview, at the drug's own URL (its parts: drugs.pages.guide)."""
    return guide.overview(request, slug)


def render_drug_page(request: HttpRequest, drug: Drug, *, preview: bool = False) -> HttpResponse:
    """The whole guide on one page for a drug loaded with Drug.objects.with_monograph(): what
    the editors' draft preview (preview=True) shows."""
    return guide.render_guide(request, drug, WHOLE_GUIDE, preview=preview)


def side_effect_list(request: HttpRequest) -> HttpResponse:
    published = DrugSideEffect.objects.published().select_related("drug")
    effects = SideEffect.objects.published().prefetch_related(
        Prefetch("drug_effects", queryset=published.order_by("drug__name"), to_attr="listed_by")
    )
    return render(request, "drugs/side_effect_list.html", {"effects": effects})


def side_effect_detail(request: HttpRequest, slug: str) -> HttpResponse:
    effect = get_object_or_404(SideEffect.objects.published(), slug=slug)
    items = (
        DrugSideEffect.objects.published()
        .filter(effect=effect)
        .select_related("drug", "effect", "band", "band__standard")
        .prefetch_related(help_rules_prefetch(), "sources", "disagreements__sources")
        .order_by("drug__name")
    )
    entries = effect_entries(items)
    return render(
        request,
        "drugs/side_effect_detail.html",
        {"effect": effect, "entries": entries, "advice_differs": rules_differ(entries)},
    )


def glossary(request: HttpRequest) -> HttpResponse:
    return render(request, "drugs/glossary.html", {"terms": GlossaryTerm.objects.all()})


def compare(request: HttpRequest) -> HttpResponse:
    """?drugs=a,b (or drugs=a&drugs=b from the form): side effects side by side."""
    wanted: list[str] = []
    for value in request.GET.getlist("drugs"):
        for slug in value.split(","):
            slug = slug.strip().lower()
            if slug and slug not in wanted:
                wanted.append(slug)
    all_drugs = list(Drug.objects.published())
    known = {drug.slug for drug in all_drugs}
    missing = [slug for slug in wanted if slug not in known]
    chosen = [slug for slug in wanted if slug in known][:COMPARE_MAX]
    drugs: list[Drug] = []
    if len(chosen) >= 2:
        items = DrugSideEffect.objects.select_related("effect", "band", "band__standard")
        found = Drug.objects.published().filter(slug__in=chosen)
        found = {d.slug: d for d in found.prefetch_related(Prefetch("side_effects", items))}
        drugs = [found[slug] for slug in chosen]
    return render(
        request,
        "drugs/compare.html",
        {
            "drugs": drugs,
            "groups": compare_groups(drugs) if drugs else [],
            "all_drugs": all_drugs,
            "chosen": chosen,
            "missing": missing,
            "too_many": len([s for s in wanted if s in known]) > COMPARE_MAX,
            "compare_max": COMPARE_MAX,
        },
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "drugs/accessibility.html")


@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest) -> HttpResponse:
    """Pages link here with a plain GET form, so reading a page never sets a cookie; only this
    page renders the CSRF token, and only its POST stores anything."""
    if request.method == "POST":
        page = safe_page(request.POST.get("page"))
        if over_limit(request):
            return render(
                request, "drugs/feedback.html", {"limited": True, "page": page}, status=429
            )
        form = FeedbackForm(request.POST)
        if form.is_valid():
            form.save()
            query = urlencode({"sent": 1, "page": form.cleaned_data["page"]})
            return redirect(f"{reverse('drugs:feedback')}?{query}")
        return render(request, "drugs/feedback.html", {"form": form, "page": page}, status=400)
    page = safe_page(request.GET.get("page"))
    if request.GET.get("sent"):
        return render(request, "drugs/feedback.html", {"sent": True, "page": page})
    initial = {"page": page}
    if request.GET.get("helpful") in {"yes", "no"}:
        initial["helpful"] = request.GET["helpful"]
    form = FeedbackForm(initial=initial)
    return render(request, "drugs/feedback.html", {"form": form, "page": page})
