"""The patient pages: thin views; a presenter beside them arranges what each page shows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from drugs.models import (
    Drug,
    DrugSideEffect,
    GlossaryTerm,
    SideEffect,
    help_rules_prefetch,
)
from drugs.pages import guide
from drugs.pages.anchors import WHOLE_GUIDE, help_url
from drugs.pages.az import OTHER, letter_of, sort_key
from drugs.pages.compare import COMPARE_MAX, CompareChoice, compare_groups
from drugs.pages.feedback import (
    FeedbackForm,
    FollowUpForm,
    answer_token,
    csrf_refusal,
    over_limit,
    record,
    safe_page,
    same_origin,
)
from drugs.pages.glossary import GlossaryIndex
from drugs.pages.side_effects import (
    also_called,
    effect_entries,
    effect_listings,
    effect_title,
    rules_differ,
)

# Where Django logs its own CSRF refusals, so both kinds are found in one place.
csrf_logger = logging.getLogger("django.security.csrf")


def drug_help_url(drug: Drug) -> str:
    """Where a drug's "when to get help" is: the one place to change when the guide is split."""
    return help_url(drug.slug)


@dataclass(frozen=True)
class HomeDrug:
    drug: Drug
    help_url: str


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    drugs = [HomeDrug(drug, drug_help_url(drug)) for drug in Drug.objects.published()]
    return render(request, "drugs/home.html", {"drugs": drugs})


@dataclass(frozen=True)
class AZEntry:
    name: str
    drug: Drug
    is_brand: bool


@require_safe
def drug_list(request: HttpRequest) -> HttpResponse:
    """Generic and brand names together, A to Z: people often know only the brand."""
    entries = []
    for drug in Drug.objects.published():
        entries.append(AZEntry(name=drug.name, drug=drug, is_brand=False))
        entries += [AZEntry(name=brand, drug=drug, is_brand=True) for brand in drug.brand_names]
    # As the glossary files them: names not starting with a letter A to Z together, after Z.
    entries.sort(key=lambda entry: (letter_of(entry.name) == OTHER, sort_key(entry.name)))
    letters = [
        (letter, list(group)) for letter, group in groupby(entries, key=lambda e: letter_of(e.name))
    ]
    return render(request, "drugs/drug_list.html", {"letters": letters})


@require_safe
def drug_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The guide's overview, at the drug's own URL (its parts: drugs.pages.guide)."""
    return guide.overview(request, slug)


def render_drug_page(request: HttpRequest, drug: Drug, *, preview: bool = False) -> HttpResponse:
    """The whole guide on one page for a drug loaded with Drug.objects.with_monograph(): what
    the editors' draft preview (preview=True) shows."""
    return guide.render_guide(request, drug, WHOLE_GUIDE, preview=preview)


@require_safe
def side_effect_list(request: HttpRequest) -> HttpResponse:
    published = DrugSideEffect.objects.published().select_related("drug")
    effects = SideEffect.objects.published().prefetch_related(
        Prefetch("drug_effects", queryset=published.order_by("drug__name"), to_attr="listed_by")
    )
    return render(request, "drugs/side_effect_list.html", {"listings": effect_listings(effects)})


@require_safe
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
        {
            "effect": effect,
            "title": effect_title(effect.name),
            "also_called": also_called(effect),
            "entries": entries,
            "advice_differs": rules_differ(entries),
        },
    )


@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    # Sorted in Python (drugs.pages.az), so the database's collation plays no part.
    index = GlossaryIndex.of(GlossaryTerm.objects.order_by())
    return render(request, "drugs/glossary.html", {"index": index})


@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    """?drugs=a,b (or drugs=a&drugs=b from the form): side effects side by side."""
    all_drugs = list(Drug.objects.published())
    choice = CompareChoice.of(
        request.GET.getlist("drugs"),
        {drug.slug for drug in all_drugs},
        # The form's button is named, so sending it with nothing ticked still counts.
        submitted="compare" in request.GET,
    )
    drugs: list[Drug] = []
    if choice.ready:
        items = DrugSideEffect.objects.select_related("effect", "band", "band__standard")
        found = Drug.objects.published().filter(slug__in=choice.chosen)
        found = {d.slug: d for d in found.prefetch_related(Prefetch("side_effects", items))}
        drugs = [found[slug] for slug in choice.chosen]
    return render(
        request,
        "drugs/compare.html",
        {
            "drugs": drugs,
            "groups": compare_groups(drugs) if drugs else [],
            "all_drugs": all_drugs,
            "choice": choice,
            "compare_max": COMPARE_MAX,
        },
    )


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "drugs/accessibility.html")


def thanks_url(page: str, answer: str = "") -> str:
    query = {"sent": 1, "page": page} | ({"answer": answer} if answer else {})
    return f"{reverse('drugs:feedback')}?{urlencode(query)}"


# Pages carry the Yes / No buttons without a CSRF token, so that they can be cached for everyone:
# the POST is checked by where the browser says it came from instead (drugs.pages.feedback).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest) -> HttpResponse:
    """GET: the form, or the thanks with a box for a comment; POST: an answer, or the comment."""
    if request.method == "POST":
        return feedback_post(request)
    page = safe_page(request.GET.get("page"))
    if request.GET.get("sent"):
        follow_up = FollowUpForm.offer(request.GET.get("answer", ""), page)
        return render(
            request, "drugs/feedback.html", {"sent": True, "follow_up": follow_up, "page": page}
        )
    initial = {"page": page}
    if request.GET.get("helpful") in {"yes", "no"}:
        initial["helpful"] = request.GET["helpful"]
    form = FeedbackForm(initial=initial)
    return render(request, "drugs/feedback.html", {"form": form, "page": page})


def feedback_post(request: HttpRequest) -> HttpResponse:
    page = safe_page(request.POST.get("page"))
    origin = same_origin(request)
    if origin is False:
        csrf_logger.warning("Forbidden (cross-site feedback): %s", request.path)
        return render(request, "403_csrf.html", status=403)
    if origin is None and (refusal := csrf_refusal(request)):
        if "csrfmiddlewaretoken" in request.POST:
            return refusal
        # A page's one-click buttons, from a browser that does not say where it is: nothing is
        # stored until the reader confirms on the form, which carries a token.
        initial = {"page": page, "helpful": request.POST.get("helpful")}
        context = {"form": FeedbackForm(initial=initial), "page": page, "confirm": True}
        return render(request, "drugs/feedback.html", context)
    if "answer" in request.POST:
        follow_up = FollowUpForm.sent(request.POST)
        if follow_up.is_valid():
            follow_up.save()
            return redirect(thanks_url(follow_up.cleaned_data["page"]))
        context = {"sent": True, "follow_up": follow_up, "page": page}
        return render(request, "drugs/feedback.html", context, status=400)
    limited = {"limited": True, "page": page}
    if over_limit(request):
        return render(request, "drugs/feedback.html", limited, status=429)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return render(request, "drugs/feedback.html", {"form": form, "page": page}, status=400)
    answer = record(form, request)
    if answer is None:
        return render(request, "drugs/feedback.html", limited, status=429)
    # Offer a comment box only when the answer came without a comment.
    return redirect(thanks_url(answer.page, "" if answer.comment else answer_token(answer)))
