"""Small template helpers for the patient pages."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(name: str) -> str:
    """The URL of a named route, or "" while that route does not exist (e.g. search)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""
