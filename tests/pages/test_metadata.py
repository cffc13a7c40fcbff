"""What search engines and link previews read: titles, descriptions, canonical links, noindex."""

import re
from html import unescape

import pytest
from django.urls import reverse

from drugs.models import Drug, SideEffect

TITLE_MAX = 60


def head_of(response) -> dict:
    html = response.content.decode()
    head = html.split("</head>")[0]

    def meta(attr, name):
        found = re.findall(rf'<meta {attr}="{re.escape(name)}" content="([^"]*)"', head)
        return unescape(found[0]) if found else None

    canonical = re.findall(r'<link rel="canonical" href="([^"]*)"', head)
    return {
        "title": unescape(re.search(r"<title>(.*?)</title>", head, re.S).group(1).strip()),
        "description": meta("name", "description"),
        "og_title": meta("property", "og:title"),
        "og_description": meta("property", "og:description"),
        "canonical": canonical,
        "robots": meta("name", "robots"),
        "descriptions": len(re.findall(r'<meta name="description"', head)),
    }


def public_pages() -> list[str]:
    pages = [
        reverse("drugs:home"),
        reverse("drugs:list"),
        reverse("drugs:side_effects"),
        reverse("drugs:glossary"),
        reverse("drugs:accessibility"),
        reverse("drugs:compare") + "?drugs=lenalidomide&drugs=pomalidomide",
    ]
    pages += [drug.get_absolute_url() for drug in Drug.objects.published()]
    pages += [effect.get_absolute_url() for effect in SideEffect.objects.published()]
    return pages


@pytest.mark.django_db
def test_every_public_page_has_a_short_title_a_description_and_a_canonical_link(
    client, real_content, settings
):
    settings.SITE_URL = "https://meds.example.org"
    problems = []
    for url in public_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        head = head_of(response)
        if len(head["title"]) > TITLE_MAX:
            problems.append(f"{url}: title of {len(head['title'])} characters: {head['title']}")
        if not head["description"] or head["descriptions"] != 1:
            problems.append(f"{url}: {head['descriptions']} meta descriptions")
        if (head["og_title"], head["og_description"]) != (head["title"], head["description"]):
            problems.append(f"{url}: Open Graph differs from the title and description")
        path = url.split("?")[0]
        if head["canonical"] != ["https://meds.example.org" + path]:
            problems.append(f"{url}: canonical {head['canonical']}")
    assert problems == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("drugs:search") + "?q=tiredness",
        reverse("drugs:search"),
        reverse("drugs:handout", args=["lenalidomide"]),
    ],
)
def test_search_results_and_the_empty_handout_form_are_not_indexed(client, real_content, url):
    head = head_of(client.get(url))
    assert head["robots"] == "noindex"
    assert head["canonical"] == []


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Tiredness", "Tiredness: medicines and what to do"),
        (
            "Changes in blood salts (potassium, calcium)",
            "Changes in blood salts (potassium, calcium)",
        ),
        (
            "A " + "very long name " * 6,
            "A very long name very long name very long name very long\u2026",
        ),
    ],
)
def test_a_side_effect_title_is_shortened_to_fit(name, title):
    from drugs.pages.side_effects import effect_title

    assert effect_title(name) == title
    assert len(effect_title(name)) <= TITLE_MAX
