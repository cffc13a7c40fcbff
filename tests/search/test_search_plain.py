"""The search documents' plain text: the quick tag cutter gives what Django's strip_tags() gives."""

import html

import pytest
from django.utils.html import strip_tags

from drugs.models import DrugSideEffect, Precaution, Section
from drugs.search.index import plain


def parsed_plain(html_text: str) -> str:
    """The text as the HTML parser gives it, the reference the quick path must match."""
    return " ".join(html.unescape(strip_tags(html_text)).split())


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Take it <strong>with</strong> water &amp; food.</p>\n<ul>\n<li>one</li></ul>",
        '<p><a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">link</a></p>',
        '<p><abbr title="a &gt; b">ANC</abbr> below 1&#x27;000 &#39;ok&#39;</p>',
        # Not the renderer's markup: these go through the HTML parser.
        '<p><abbr title="a > b">ANC</abbr></p>',
        "<p>R&D and &foo bar &#</p>",
        "<p>a <!-- note --> b</p>",
        "<p>x < y and y > z</p>",
        "<P CLASS=x>unquoted</P>",
    ],
)
def test_it_strips_markup_as_the_html_parser_does(markup):
    assert plain(markup) == parsed_plain(markup)


@pytest.mark.django_db
@pytest.mark.parametrize("content", ["real_content", "imported_fixture"])
def test_it_gives_the_parsers_text_for_every_imported_passage(request, content):
    request.getfixturevalue(content)
    passages = [
        *Section.objects.values_list("text_html", flat=True),
        *Precaution.objects.values_list("text_html", flat=True),
        *DrugSideEffect.objects.values_list("text_html", flat=True),
    ]
    assert len(passages) > 3
    for markup in passages:
        assert plain(markup) == parsed_plain(markup)
