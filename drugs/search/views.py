"""The /search/ page and the /api/v1/search endpoint: thin faces over drugs.search."""

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from drugs.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    QueryError,
    SearchResponse,
    clean,
    exact_drug_match,
    search,
)
from drugs.search.text import CONTROL_RE


class QueryField(forms.CharField):
    def to_python(self, value):
        # NUL and other control characters are dropped, not refused: they are never meant.
        return super().to_python(CONTROL_RE.sub(" ", value or ""))


class SearchForm(forms.Form):
    # Longer input is refused with a message; the slack lets clean() word it kindly.
    q = QueryField(required=False, max_length=MAX_QUERY_LENGTH * 50)
    limit = forms.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT)

    def clean_q(self):
        raw = self.cleaned_data["q"]
        if not raw:
            return ""
        try:
            return clean(raw)
        except QueryError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def first_error(self) -> str:
        return next(iter(e for errors in self.errors.values() for e in errors), "")


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    context = {"form": form, "query": "", "response": None, "error": ""}
    if not form.is_valid():
        context["error"] = form.first_error()
        context["query"] = (request.GET.get("q") or "")[:MAX_QUERY_LENGTH]
        return render(request, "drugs/search.html", context)
    query = form.cleaned_data["q"]
    context["query"] = query
    if query:
        drug = exact_drug_match(query)
        if drug is not None:
            return redirect(drug)
        context["response"] = search(query, DEFAULT_LIMIT)
    return render(request, "drugs/search.html", context)


@require_GET
def api_search(request: HttpRequest) -> JsonResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": form.first_error()}, status=400)
    query = form.cleaned_data["q"]
    if not query:
        return JsonResponse({"error": "Give a query: ?q=feeling+sick"}, status=400)
    response: SearchResponse = search(query, form.cleaned_data["limit"] or DEFAULT_LIMIT)
    results = [r.as_json() for r in response.results]
    for result in results:
        # Absolute, like every address in the API (docs/api.md).
        result["url"] = request.build_absolute_uri(result["url"])
    answers = [a.as_json() for a in response.answers]
    for answer in answers:
        for drug in answer["drugs"]:
            for rule in drug["rules"]:
                rule["url"] = request.build_absolute_uri(rule["url"])
    return JsonResponse({"query": response.query, "answers": answers, "results": results})
