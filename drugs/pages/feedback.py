"""'Was this page helpful?': the form, and a per-client limit on how often it can be sent."""

import hashlib

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from drugs.models import Feedback
from meds_site.middleware import client_ip

# At most this many answers from one client address per window.
RATE_LIMIT = getattr(settings, "FEEDBACK_RATE_LIMIT", 10)
RATE_WINDOW_SECONDS = 60 * 60


class FeedbackForm(forms.Form):
    page = forms.CharField(max_length=200, widget=forms.HiddenInput)
    helpful = forms.TypedChoiceField(
        label="Was this page helpful?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes or no."},
    )
    comment = forms.CharField(
        label="Anything else you want to tell us? (optional)",
        help_text="Do not include your name or medical details. We cannot reply to you.",
        required=False,
        max_length=Feedback.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": "Keep it to %(limit_value)d characters or fewer "
            "(you wrote %(show_value)d)."
        },
    )

    def clean_page(self) -> str:
        page = self.cleaned_data["page"]
        # Only a path on this site: never a full address or a scheme-relative "//host".
        if not page.startswith("/") or page.startswith("//") or "\\" in page:
            raise forms.ValidationError("That is not a page on this site.")
        return page

    def save(self) -> Feedback:
        data = self.cleaned_data
        return Feedback.objects.create(
            page=data["page"], helpful=data["helpful"], comment=data["comment"].strip()
        )


def safe_page(value: str | None) -> str:
    """The page a visitor came from, if it is a path on this site; else the home page."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:200]
    return "/"


def _client_key(request: HttpRequest) -> str:
    # Hashed so the cache never holds raw addresses; behind our proxies, the forwarded client.
    address = client_ip(request)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]
    return f"feedback-rate:{digest}"


def over_limit(request: HttpRequest) -> bool:
    """Count this submission against the client's allowance; True when it is used up."""
    key = _client_key(request)
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        count = 1
    return count > RATE_LIMIT
