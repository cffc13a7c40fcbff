"""{% editorial_dashboard %}: the lists on the admin's home page."""

from django import template

from drugs.admin.dashboard import dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def editorial_dashboard(context):
    return dashboard(context["request"].user)
