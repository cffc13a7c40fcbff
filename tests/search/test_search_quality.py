"""Search quality on the real monographs: runs on whichever database DATABASE_URL selects."""

from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from drugs.search import search

CASES = yaml.safe_load((Path(__file__).parent / "search_queries.yaml").read_text())
QUERIES = [c for c in CASES["queries"] if c.get("expect") != "not_mentioned"]
NOT_MENTIONED = [c for c in CASES["queries"] if c.get("expect") == "not_mentioned"]
SIGNS = CASES["signs"]
REQUIRED = 0.9


def answers(case, result) -> bool:
    drugs = case["drug"] if isinstance(case["drug"], list) else [case["drug"]]
    return (
        result.drug in drugs
        and result.kind == case["kind"]
        and case.get("title", "").lower() in result.title.lower()
    )


def test_the_query_list_is_big_and_varied():
    assert len(QUERIES) >= 80
    assert len(NOT_MENTIONED) >= 8
    assert sum(bool(c.get("answer_first")) for c in SIGNS) >= 25
    assert {c["expect"] for c in CASES["queries"] if "expect" in c} == {"not_mentioned"}
    assert {c["kind"] for c in QUERIES} == {
        "drug",
        "side-effect",
        "section",
        "precaution",
        "glossary",
    }


def test_nine_in_ten_queries_have_a_right_answer_in_the_top_3(real_content):
    misses = []
    for case in QUERIES:
        top = search(case["query"], limit=3).results
        if not any(answers(case, r) for r in top):
            misses.append(f"{case['query']!r}: {[(r.drug, r.kind, r.title) for r in top]}")
    share = 1 - len(misses) / len(QUERIES)
    assert share >= REQUIRED, f"{share:.0%} right; misses:\n" + "\n".join(misses)


@pytest.mark.parametrize("query", ["pomalidamide", "revlimed", "Revlimid", "IMNOVID"])
def test_a_drug_name_or_near_miss_opens_the_drug(client, real_content, query):
    from django.urls import reverse

    response = client.get(reverse("drugs:search"), {"q": query})
    assert response.status_code == 302


def test_every_result_link_lands_on_an_element_of_the_page(client, real_content):
    """The anchors search links to are the ids the drug pages give their parts."""
    from drugs.models import SearchDocument

    pages = {}
    docs = SearchDocument.objects.exclude(drug=None).exclude(kind="drug")
    assert docs.exists()
    for doc in docs:
        path, fragment = doc.url.split("#")
        if path not in pages:
            pages[path] = client.get(path).content.decode()
        assert f'id="{fragment}"' in pages[path], doc.url


@pytest.mark.parametrize("case", NOT_MENTIONED, ids=[c["query"] for c in NOT_MENTIONED])
def test_a_topic_no_source_covers_gets_the_not_mentioned_answer(client, real_content, case):
    response = search(case["query"])
    assert response.results == [], [r.heading for r in response.results]
    assert response.not_mentioned == case["words"]
    html = client.get(reverse("drugs:search"), {"q": case["query"]}).content.decode()
    assert f"do not mention {' or '.join(case['words'])}." in html
    assert 'class="search-result"' not in html


@pytest.mark.parametrize("case", SIGNS, ids=[c["query"] for c in SIGNS])
def test_a_warning_sign_gets_each_drugs_own_answer_first(real_content, case):
    answers = search(case["query"]).answers
    assert answers, f"no answer for {case['query']!r}"
    first = answers[0]
    assert first.slug == case["answer"], [a.slug for a in answers]
    snippets = [r.snippet for d in first.drugs for r in d.rules]
    for threshold in case.get("thresholds", []):
        assert any(threshold in s for s in snippets), (threshold, snippets)
    # Each drug says its own level in words.
    for drug in first.drugs:
        assert drug.rules and all(r.label for r in drug.rules)
    if "crossed" in case:
        past = {d.slug for d in first.drugs if any(r.crossed for r in d.rules)}
        assert past == set(case["crossed"])


ANSWER_FIRST = [c for c in SIGNS if c.get("answer_first")]


@pytest.mark.parametrize("case", ANSWER_FIRST, ids=[c["query"] for c in ANSWER_FIRST])
def test_the_answer_box_comes_first_on_the_page_and_in_the_api(client, real_content, case):
    html = client.get(reverse("drugs:search"), {"q": case["query"]}).content.decode()
    box = html.index(f'id="answer-{case["answer"]}"')
    assert html.index('id="answer-') == box
    for marker in ('class="search-result"', "do not mention", "Nothing matched"):
        assert marker not in html[:box]
    data = client.get(reverse("drugs:api_search"), {"q": case["query"]}).json()
    assert data["answers"][0]["sign"] == case["answer"]


def test_the_temperature_answer_shows_each_drug_on_the_page_and_in_the_api(client, real_content):
    from django.urls import reverse

    page = client.get(reverse("drugs:search"), {"q": "37.8"}).content.decode()
    answer = page[page.index("What to do: a temperature of 37.8°C") :]
    assert answer.index("Pomalidomide") < answer.index("above 37.5°C")
    assert answer.index("Lenalidomide") < answer.index("above 38°C")
    assert (
        answer.index("What to do") < answer.index("search-count")
        if "search-count" in answer
        else True
    )

    data = client.get(reverse("drugs:api_search"), {"q": "temperature"}).json()
    drugs = {d["drug"]: d for d in data["answers"][0]["drugs"]}
    assert {"pomalidomide", "lenalidomide"} <= set(drugs)
    assert any(r["threshold"] == "above 38°C" for r in drugs["lenalidomide"]["rules"])
    assert all(
        r["url"].startswith("https://meds.example.org/drugs/")
        for r in drugs["lenalidomide"]["rules"]
    )


def test_a_search_that_names_no_sign_gets_no_answer_box(real_content):
    assert search("lactose intolerant").answers == []
