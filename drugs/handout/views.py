"""The nurse's handout page and its .ics calendar: thin views over drugs.handout.

Personal details (the patient's name, the treatment dates) arrive only by POST, so they never
reach a URL, a Referer, an access log or the page cache (which stores GETs only), and every
response is `private, no-store`.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.html import format_html_join
from django.views.decorators.http import require_http_methods, require_POST

from drugs.handout.forms import CalendarForm, CalendarKind, HandoutForm, initial_for, source_cycle
from drugs.handout.ics import build_ics
from drugs.handout.sheet import (
    Handout,
    HandoutContent,
    PrivateHTML,
    published_monograph,
    render_sheet,
)
from drugs.models import Drug
from drugs.pages.anchors import absolute_url

# What the .ics form sends back: everything the calendar needs, never the patient's name.
ICS_FIELDS = ("phone", "first_day", "last_day", "days_on", "days_off", "cycles", "pregnancy")
# What "Change the details" sends back to the form: everything the nurse entered.
EDIT_FIELDS = ("patient_name", *ICS_FIELDS, "calendar", "large_print")


def _published_drug(slug: str) -> Drug:
    # Loaded once per content version and process (drugs.handout.sheet.published_monograph).
    drug = published_monograph(slug)
    if drug is None:
        raise Http404("No such published drug.")
    return drug


def _private(response: HttpResponse) -> HttpResponse:
    # A handout carries a patient's name and dates: no shared or browser cache may keep it.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _hidden(data: dict, names: tuple[str, ...]) -> PrivateHTML:
    """Hidden inputs that send the cleaned values back as the form would (escaped)."""
    values = []
    for name in names:
        value = data.get(name)
        if value is True:
            value = "on"
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        if value not in (None, "", False):
            values.append((name, str(value)))
    return PrivateHTML(format_html_join("", '<input type="hidden" name="{}" value="{}">', values))


def _form_page(request: HttpRequest, drug: Drug, form: HandoutForm, status: int) -> HttpResponse:
    context = {"drug": drug, "form": form, "handout": None}
    return _private(render(request, "drugs/handout.html", context, status=status))


@require_http_methods(["GET", "POST"])
def handout(request: HttpRequest, slug: str) -> HttpResponse:
    # The drug comes first: its own cycle is the form's default when the nurse leaves it blank.
    drug = _published_drug(slug)
    if request.method == "GET":
        form = HandoutForm(initial=initial_for(drug), cycle=source_cycle(drug))
        return _form_page(request, drug, form, 200)
    form = HandoutForm(request.POST, cycle=source_cycle(drug))
    if not form.is_valid():
        return _form_page(request, drug, form, 400)
    if request.POST.get("edit"):
        # "Change the details": the form again, filled in, without a word in any URL.
        return _form_page(request, drug, form, 200)
    guide_url = absolute_url(drug.get_absolute_url())
    sheet, html = render_sheet(drug, form.cleaned_data, guide_url)
    context = {
        "drug": drug,
        "handout": sheet,
        "sheet": html,
        "edit_fields": _hidden(form.cleaned_data, EDIT_FIELDS),
    }
    if sheet.first_day and sheet.calendar_kind == CalendarKind.CYCLE:
        context["ics_fields"] = _hidden(form.cleaned_data, ICS_FIELDS)
    return _private(render(request, "drugs/handout.html", context))


@require_POST
def calendar(request: HttpRequest, slug: str) -> HttpResponse:
    drug = _published_drug(slug)
    form = CalendarForm(request.POST, cycle=source_cycle(drug))
    if not form.is_valid():
        return _form_page(request, drug, form, 400)
    guide_url = absolute_url(drug.get_absolute_url())
    content = HandoutContent(drug, form.cleaned_data["pregnancy"])
    response = HttpResponse(
        build_ics(Handout(content, form.cleaned_data), guide_url),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{drug.slug}-treatment.ics"'
    return _private(response)
