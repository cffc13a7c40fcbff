"""The 404 and 500 pages: JSON for the API, the site's own page otherwise."""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

from meds_site import outage

FALLBACK_500 = (
    '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Sorry, something went'
    " wrong</title></head><body><h1>Sorry, something went wrong</h1><p>Please try again in a few"
    " minutes. If you feel unwell, contact your care team or, in an emergency, call 999.</p>"
    "</body></html>"
)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def withdrawn_drug(request: HttpRequest):
    """The withdrawn drug a missing drug page belongs to, if any (its pages answer 410)."""
    from drugs.models import Drug, Status

    match = request.resolver_match
    # Every page of a drug, and its API entry, sits under its slug.
    drug_route = match is not None and match.route.startswith(
        ("drugs/<slug:slug>", "api/v1/drugs/<slug:slug>")
    )
    slug = match.kwargs.get("slug") if drug_route else None
    if not slug:
        return None
    return Drug.objects.live().filter(slug=slug, status=Status.WITHDRAWN).first()


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    drug = withdrawn_drug(request)
    if drug is not None:
        # Gone, not lost: say so plainly, so bookmarks and search engines let it go.
        if _wants_json(request):
            return JsonResponse({"error": "withdrawn", "name": drug.name}, status=410)
        return render(request, "410.html", {"drug": drug}, status=410)
    if _wants_json(request):
        return JsonResponse({"error": "not found"}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception; a database outage raised in a middleware
    # (views' ones are caught by outage.DatabaseOutageMiddleware) is a 503, not a 500.
    exc = sys.exc_info()[1]
    if outage.is_outage(exc):
        return outage.unavailable(request, exc)
    if _wants_json(request):
        return JsonResponse({"error": "server error"}, status=500)
    # No request context: whatever failed (the database, a context processor) may fail again.
    try:
        html = loader.get_template("500.html").render()
    except Exception:  # the template itself, or its static files, may be what is broken
        html = FALLBACK_500
    return HttpResponse(html, status=500)
