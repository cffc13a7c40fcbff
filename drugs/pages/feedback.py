"""'Was this page helpful?': one click records the answer, a comment may follow, and a limit per
client that holds across workers with or without Redis.

Every page carries the Yes / No buttons as a POST form without a CSRF token, so the page stays
the same for every visitor and can be cached. Instead of the token, the browser's own word on
where the POST came from is checked (same_origin): Sec-Fetch-Site, or else Origin, which no
page on another site can set. A browser that sends neither gets the form with a token to
confirm the answer, so nothing is stored on a POST we cannot vouch for.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.crypto import salted_hmac

from drugs.models import Feedback
from meds_site.middleware import client_ip

# At most this many answers from one client address per window.
RATE_LIMIT = getattr(settings, "FEEDBACK_RATE_LIMIT", 10)
RATE_WINDOW = timedelta(hours=1)
# How long after answering a reader may add a comment to that answer.
FOLLOW_UP_SECONDS = 24 * 60 * 60
_ANSWER_SALT = "drugs.feedback.answer"
_CLIENT_SALT = "drugs.feedback.client"

COMMENT_HINT = "Do not include your name or medical details. We cannot reply to you."
COMMENT_ERRORS = {
    "max_length": "Keep it to %(limit_value)d characters or fewer (you wrote %(show_value)d)."
}


def is_site_path(value: str) -> bool:
    # Only a path on this site: never a full address or a scheme-relative "//host".
    return value.startswith("/") and not value.startswith("//") and "\\" not in value


def safe_page(value: str | None) -> str:
    """The page a visitor came from, if it is a path on this site; else the home page."""
    if value and is_site_path(value):
        return value[:200]
    return "/"


class PageField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=200, widget=forms.HiddenInput, **kwargs)

    def validate(self, value):
        super().validate(value)
        if not is_site_path(value):
            raise forms.ValidationError("That is not a page on this site.")


def comment_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=COMMENT_HINT,
        required=False,
        max_length=Feedback.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=COMMENT_ERRORS,
    )


class FeedbackForm(forms.Form):
    """An answer: from a page's Yes / No buttons (no comment) or the whole form."""

    page = PageField()
    helpful = forms.TypedChoiceField(
        label="Was this page helpful?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes or no."},
    )
    comment = comment_field("Anything else you want to tell us? (optional)")

    def save(self, client_key: str) -> Feedback:
        data = self.cleaned_data
        return Feedback.objects.create(
            page=data["page"],
            helpful=data["helpful"],
            comment=data["comment"].strip(),
            client_key=client_key,
        )


def answer_token(feedback: Feedback) -> str:
    """A signed reference to an answer, so only the reader who gave it can add a comment."""
    return signing.dumps([feedback.pk, feedback.helpful], salt=_ANSWER_SALT)


def read_answer_token(token: str) -> tuple[int, bool] | None:
    try:
        pk, helpful = signing.loads(token, salt=_ANSWER_SALT, max_age=FOLLOW_UP_SECONDS)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return int(pk), bool(helpful)


class FollowUpForm(forms.Form):
    """The comment a reader adds to the answer they have just given (stored once)."""

    answer = forms.CharField(widget=forms.HiddenInput)
    page = PageField()
    comment = comment_field("Is there anything you want to add? (optional)")

    def __init__(self, *args, helpful: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not helpful:
            self.fields["comment"].label = "What was missing or hard to understand? (optional)"

    @classmethod
    def offer(cls, token: str, page: str) -> FollowUpForm | None:
        """The form for the answer the token names, or None when the token is not good."""
        answer = read_answer_token(token)
        if answer is None:
            return None
        return cls(initial={"answer": token, "page": page}, helpful=answer[1])

    @classmethod
    def sent(cls, data) -> FollowUpForm:
        answer = read_answer_token(data.get("answer", ""))
        return cls(data, helpful=answer[1] if answer else True)

    def clean_answer(self) -> int:
        answer = read_answer_token(self.cleaned_data["answer"])
        if answer is None:
            raise forms.ValidationError(
                "We could not add this to your answer, because it was sent too long ago."
            )
        return answer[0]

    def save(self) -> None:
        comment = self.cleaned_data["comment"].strip()
        if comment:
            # Only an answer without a comment: a token cannot be used to rewrite one.
            Feedback.objects.filter(pk=self.cleaned_data["answer"], comment="").update(
                comment=comment
            )


# --- where the POST came from ---------------------------------------------------------------


def same_origin(request: HttpRequest) -> bool | None:
    """Whether the browser says this request came from this site; None when it does not say."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        # Set by the browser itself and never by a page, so it settles the question.
        # "none" is the reader's own doing (an address typed or a bookmark), never another site.
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    # As Django's CSRF check compares it (without its wildcard origins, which fail closed).
    return origin in {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}


def csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    """Django's own CSRF check (cookie and token), for a POST whose origin the browser did not
    give; the 403 page when it fails, None when it passes."""
    return CsrfViewMiddleware(lambda request: HttpResponse()).process_view(request, None, (), {})


# --- the limit per client ---------------------------------------------------------------------


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client's address: the same for one address, and without the
    SECRET_KEY no way back to it. Behind our proxies, the forwarded client."""
    return salted_hmac(_CLIENT_SALT, client_ip(request), algorithm="sha256").hexdigest()[:32]


def _recent(key: str):
    return Feedback.objects.filter(client_key=key, created_at__gte=timezone.now() - RATE_WINDOW)


def over_limit(request: HttpRequest) -> bool:
    """Whether this client has used up its answers for the window (one read, no write)."""
    return _recent(client_key(request)).count() >= RATE_LIMIT


def record(form: FeedbackForm, request: HttpRequest) -> Feedback | None:
    """Store the answer, unless that takes its client over the limit (then None).

    Counted in the database, not the cache, so every worker and server shares the count and a
    cache outage changes nothing. Counted after the row is written, so posts from one client
    that arrive together, on any workers, each see the others: they can never keep more than
    RATE_LIMIT between them (at worst they all give way).
    """
    key = client_key(request)
    feedback = form.save(client_key=key)
    if _recent(key).count() > RATE_LIMIT:
        feedback.delete()
        return None
    forget_old_client_keys()
    return feedback


def forget_old_client_keys() -> int:
    """Empty the client key of answers older than the window: the limit needs them no more,
    and without it two answers cannot be linked to one sender."""
    cutoff = timezone.now() - RATE_WINDOW
    # Few rows ever have a key (only the last hour's), so the index on it finds them at once.
    return Feedback.objects.filter(client_key__gt="", created_at__lt=cutoff).update(client_key="")
