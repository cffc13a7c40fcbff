"""Text is stored with Unix line endings, whatever the browser sent."""

from django.db import models
from django.db.models.signals import pre_save


def normalise(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _normalise_text_fields(sender, instance, raw=False, **kwargs) -> None:
    # Browsers send textareas with CRLF; stored as-is, a one-word edit made in a form diffs
    # as every line of the field changed, and the audit trail cannot be read.
    if raw or sender._meta.app_label != "drugs":
        return
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.TextField | models.CharField):
            value = getattr(instance, field.attname)
            if isinstance(value, str) and "\r" in value:
                setattr(instance, field.attname, normalise(value))


def connect() -> None:
    pre_save.connect(_normalise_text_fields, dispatch_uid="drugs.models.line_endings")
