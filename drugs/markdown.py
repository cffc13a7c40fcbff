"""The one place Markdown becomes HTML: rendered, then sanitised with nh3."""

import threading
from functools import lru_cache

import markdown
import nh3
from markdown.extensions import Extension

# Only what patient prose needs. No raw HTML survives: Markdown's own output is
# cleaned too, so a crafted link or image cannot smuggle in a script.
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


class RawHtmlAsText(Extension):
    """Raw HTML typed into Markdown is shown as text, never passed through as HTML.

    Without this, tags nh3 allows (a, abbr, table...) typed by hand would reach the page with
    whatever attributes survive cleaning; now every tag on a page comes from Markdown syntax.
    """

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


_EXTENSIONS = ["sane_lists", "tables", RawHtmlAsText()]
# Building a Markdown instance costs far more than a conversion; keep one per thread.
_local = threading.local()


def _markdown() -> markdown.Markdown:
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
    return md.reset()


def render_markdown(text: str) -> str:
    """Render Markdown to sanitised HTML safe to show to patients."""
    if not text or not text.strip():
        return ""
    return _render(text)


# The same Markdown always gives the same HTML, and monographs repeat many passages (shared
# side-effect wording, re-imports, the admin preview): remember the recent ones. Bounded, so
# memory stays small (a few MB at most) however much content passes through.
@lru_cache(maxsize=4096)
def _render(text: str) -> str:
    html = _markdown().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
