"""{% capture as name %}...{% endcapture %}: render once, use twice (the title in <title> and og:title)."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


class CaptureNode(template.Node):
    # Lets {% block %} tags inside be overridden by child templates, as inside {% if %}.
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        # Kept at the top of the context, so every block rendered after it can read it.
        # Rendered template output is already escaped: marked safe so it is not escaped twice.
        context.dicts[0][self.name] = mark_safe(" ".join(self.nodelist.render(context).split()))
        return ""


@register.tag
def capture(parser, token):
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Use {% capture as name %}...{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])
