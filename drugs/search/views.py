"""The /search/ page and the /api/v1/search endpoint: thin faces over drugs.search."""

from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from drugs.pages.anchors import absolute_url
from drugs.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_PAGE,
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
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value"),
            f"That page of results does not exist. Pages go from 1 to {MAX_PAGE}.",
        ),
    )

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


def page_url(name: str, query: str, page: int, limit: int | None = None) -> str:
    """The address of another page of the same search."""
    params = {"q": query, **({"limit": limit} if limit else {}), "page": page}
    return f"{reverse(name)}?{urlencode(params)}"


def pages(response: SearchResponse, name: str, limit: int | None = None) -> dict:
    """The addresses of the previous and next pages of results (None at either end)."""
    return {
        "previous": page_url(name, response.query, response.page - 1, limit)
        if response.has_previous
        else None,
        "next": page_url(name, response.query, response.page + 1, limit)
        if response.has_next
        else None,
    }


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    context = {"form": form, "query": "", "response": None, "error": "", "pages": {}}
    if not form.is_valid():
        context["error"] = form.first_error()
        context["query"] = (request.GET.get("q") or "")[:MAX_QUERY_LENGTH]
        return render(request, "drugs/search.html", context)
    query = form.cleaned_data["q"]
    context["query"] = query
    if query:
        page = form.cleaned_data["page"] or 1
        drug = exact_drug_match(query) if page == 1 else None
        if drug is not None:
            return redirect(drug)
        context["response"] = response = search(query, DEFAULT_LIMIT, page)
        context["pages"] = pages(response, "drugs:search")
    return render(request, "drugs/search.html", context)


@require_safe
def api_search(request: HttpRequest) -> JsonResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": form.first_error()}, status=400)
    query = form.cleaned_data["q"]
    if not query:
        return JsonResponse({"error": "Give a query: ?q=feeling+sick"}, status=400)
    limit = form.cleaned_data["limit"]
    response: SearchResponse = search(query, limit or DEFAULT_LIMIT, form.cleaned_data["page"] or 1)
    results = [r.as_json() for r in response.results]
    for result in results:
        # Absolute, like every address in the API (docs/api.md).
        result["url"] = absolute_url(result["url"])
    answers = [a.as_json() for a in response.answers]
    for answer in answers:
        for drug in answer["drugs"]:
            for rule in drug["rules"]:
                rule["url"] = absolute_url(rule["url"])
    links = {
        key: absolute_url(url) if url else None
        for key, url in pages(response, "drugs:api_search", limit).items()
    }
    return JsonResponse(
        {
            "query": response.query,
            "answers": answers,
            "not_mentioned": response.not_mentioned,
            "partial": response.partial,
            "unmatched_drugs": response.unmatched_drugs,
            "count": response.total,
            "page": response.page,
            **links,
            "results": results,
        }
    )
