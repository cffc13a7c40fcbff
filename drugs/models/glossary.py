"""The glossary: every medical word with a plain definition."""

from django.db import models
from django.urls import reverse


class GlossaryTerm(models.Model):
    slug = models.SlugField(unique=True, max_length=80)
    term = models.CharField(max_length=120)
    aliases = models.JSONField(default=list, blank=True, help_text="Other forms of the word.")
    definition = models.TextField(help_text="Plain English, one or two short sentences.")

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term

    def get_absolute_url(self):
        return reverse("drugs:glossary") + f"#{self.slug}"
