"""The nurse's handout page and its .ics calendar: thin views over drugs.handouts."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control

from drugs.handouts import CalendarForm, Handout, HandoutForm, bound_form, build_ics, initial_for
from drugs.models import Drug


def _published_drug(slug: str) -> Drug:
    return get_object_or_404(Drug.objects.published().with_monograph(), slug=slug)


def _private(response: HttpResponse) -> HttpResponse:
    # The query string can carry a patient's name: keep it out of shared caches.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _query_without_name(request: HttpRequest) -> str:
    # The calendar file never shows the patient's name, so its links need not carry it.
    query = request.GET.copy()
    query.pop("patient_name", None)
    return query.urlencode()


def handout(request: HttpRequest, slug: str) -> HttpResponse:
    form = bound_form(HandoutForm, request.GET)
    valid = form is not None and form.is_valid()
    drug = _published_drug(slug)
    if form is None:
        form = HandoutForm(initial=initial_for(drug))
    context = {"drug": drug, "form": form, "handout": None}
    if valid:
        context["handout"] = Handout(drug, form.cleaned_data)
        context["page_url"] = request.build_absolute_uri()
        if form.cleaned_data["first_day"]:
            context["calendar_url"] = (
                reverse("drugs:calendar", kwargs={"slug": slug})
                + "?"
                + _query_without_name(request)
            )
    status = 400 if form.is_bound and not valid else 200
    return _private(render(request, "drugs/handout.html", context, status=status))


def calendar(request: HttpRequest, slug: str) -> HttpResponse:
    form = CalendarForm(request.GET)
    valid = form.is_valid()
    drug = _published_drug(slug)
    if not valid:
        context = {"drug": drug, "form": form, "handout": None}
        return _private(render(request, "drugs/handout.html", context, status=400))
    page_url = request.build_absolute_uri(
        reverse("drugs:handout", kwargs={"slug": slug}) + "?" + _query_without_name(request)
    )
    response = HttpResponse(
        build_ics(Handout(drug, form.cleaned_data), page_url),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{drug.slug}-treatment.ics"'
    return _private(response)
