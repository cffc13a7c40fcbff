"""The site's own records: feedback, the content version pages are cached by, clinical sign-offs."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Feedback(models.Model):
    """An answer to "Was this page helpful?": no name, no address; the IP only hashed, for an hour."""

    COMMENT_MAX_LENGTH = 1000

    page = models.CharField(max_length=200, help_text="The path of the page it is about.")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    # A keyed hash of the sender's address (drugs.pages.feedback), never the address itself:
    # the rate limit counts by it in the database, so it holds across workers with or without
    # Redis. Emptied once the limit's window has passed, so answers cannot be linked later.
    client_key = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"
        indexes = [
            # The admin's list: newest first, filtered by page.
            models.Index(fields=["page", "-created_at"], name="feedback_page_created_idx"),
            # The rate limit: one client's answers in the last hour.
            models.Index(fields=["client_key", "created_at"], name="feedback_client_created_idx"),
        ]

    def __str__(self):
        return f"{self.page}: {'helpful' if self.helpful else 'not helpful'}"


class ContentVersion(models.Model):
    """One row whose number rises with every change to published content (see drugs.page_cache).

    Kept in the database, not the cache, so every worker, server and management command
    agrees on it: cached pages are keyed by it and become unreachable the moment it rises.
    """

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"content version {self.version}"


class ClinicalSignOff(models.Model):
    """A clinical reviewer's mark on one item of the clinical review list (drugs.editorial.clinical_review).

    Keyed by a fingerprint of what was reviewed, so any change to the rule makes the item
    unreviewed again. Never shown to patients.
    """

    key = models.CharField(max_length=64, unique=True)
    item = models.TextField(help_text="What was reviewed, as the list showed it.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        verbose_name = "clinical review"

    def __str__(self):
        return f"{self.item} (reviewed by {self.reviewed_by} on {self.reviewed_at:%-d %b %Y})"
