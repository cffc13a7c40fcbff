"""The one place Markdown becomes HTML: rendered, then sanitised with nh3."""

import markdown
import nh3

# Only what patient prose needs. No raw HTML survives: Markdown's own output is
# cleaned too, so a crafted link or image cannot smuggle in a script.
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

_EXTENSIONS = ["sane_lists", "tables"]


def render_markdown(text: str) -> str:
    """Render Markdown to sanitised HTML safe to show to patients."""
    if not text or not text.strip():
        return ""
    html = markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
