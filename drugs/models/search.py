"""The search tables (drugs.search writes them) and the lay vocabulary they are searched with."""

from django.db import models

from drugs.models.content import Drug


class LayTerm(models.Model):
    """An everyday phrase patients search with, and the words the monographs use for it."""

    phrase = models.CharField(
        max_length=80, unique=True, help_text='What people type, e.g. "pins and needles".'
    )
    means = models.JSONField(
        default=list, help_text='Words to search for as well, e.g. ["numbness", "tingling"].'
    )

    class Meta:
        ordering = ["phrase"]
        verbose_name = "lay search term"

    def __str__(self):
        return self.phrase


class SearchKind(models.TextChoices):
    DRUG = "drug", "Medicine"
    SIDE_EFFECT = "side-effect", "Side effect"
    SECTION = "section", "Section"
    PRECAUTION = "precaution", "Precaution"
    GLOSSARY = "glossary", "Glossary"


class SearchDocument(models.Model):
    """One thing a search can find, in plain text; drugs.search.index writes these rows.

    The full-text index is kept by the database itself: a tsvector column filled by a trigger on
    PostgreSQL, an FTS5 table filled by triggers on SQLite (see drugs/search/postgres.py, sqlite.py).
    """

    drug = models.ForeignKey(
        Drug, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=SearchKind.choices)
    # The row it was made from (a section, precaution, drug side effect or glossary term).
    object_id = models.BigIntegerField(null=True)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    names = models.TextField(blank=True, help_text="Weight A: the names of the thing.")
    keywords = models.TextField(blank=True, help_text="Weight B: headings, lay names, synonyms.")
    body = models.TextField(blank=True, help_text="Weight C: the text, without markup.")

    class Meta:
        indexes = [
            # index.rebuild_drug(): delete one drug's documents; and results of one drug.
            models.Index(fields=["drug", "kind"], name="searchdoc_drug_kind_idx"),
            # index.remove_object(): delete the document made from one row.
            models.Index(fields=["kind", "object_id"], name="searchdoc_kind_object_idx"),
        ]

    def __str__(self):
        return self.title


class SearchWord(models.Model):
    """Every word in the search documents, for spelling correction; drug names point at their drug."""

    word = models.CharField(max_length=120, unique=True)
    drug = models.ForeignKey(
        Drug, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    def __str__(self):
        return self.word
