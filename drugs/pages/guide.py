"""The drug guide's pages: the overview, one page per part, and the whole guide on one page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from drugs.models import Drug, GlossaryTerm
from drugs.pages.anchors import OVERVIEW, WHOLE_GUIDE, absolute_url, part_url
from drugs.pages.drug import PART_SLUGS, DrugPage, UnknownPart

TEMPLATES = {OVERVIEW: "drugs/guide/overview.html", WHOLE_GUIDE: "drugs/drug_detail.html"}
PART_TEMPLATE = "drugs/guide/part.html"


def _published(slug: str) -> Drug:
    return get_object_or_404(Drug.objects.published().with_monograph(), slug=slug)


def overview(request: HttpRequest, slug: str) -> HttpResponse:
    return render_guide(request, _published(slug), OVERVIEW)


@require_safe
def part(request: HttpRequest, slug: str, part: str) -> HttpResponse:
    # Checked before the query, so a mistyped part costs nothing.
    if part not in PART_SLUGS:
        raise Http404("No such part")
    return render_guide(request, _published(slug), part)


@require_safe
def whole_guide(request: HttpRequest, slug: str) -> HttpResponse:
    return render_guide(request, _published(slug), WHOLE_GUIDE)


def render_guide(
    request: HttpRequest, drug: Drug, part: str, *, preview: bool = False
) -> HttpResponse:
    """One page of the guide of a drug loaded with Drug.objects.with_monograph().

    With preview=True (the editors' draft preview) the page says it is a preview, carries no
    feedback form and asks search engines not to index it.
    """
    try:
        page = DrugPage(drug, GlossaryTerm.objects.all(), part)
    except UnknownPart:
        raise Http404("This guide has no such part") from None
    # The overview and the whole guide describe the drug for search engines; a part is a page
    # of the overview's, which lists it (hasPart). A preview is for editors, never indexed.
    described = part in (OVERVIEW, WHOLE_GUIDE) and not preview
    response = render(
        request,
        TEMPLATES.get(part, PART_TEMPLATE),
        {
            "drug": drug,
            "page": page,
            "preview": preview,
            "canonical_url": absolute_url(part_url(drug.slug, part)),
            "json_ld": page.json_ld(lambda path: absolute_url(path)) if described else "",
        },
    )
    if preview:
        response["X-Robots-Tag"] = "noindex"
    return response
