"""Drugs and what their monographs hold: sources, side effects, help rules, precautions, prose."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import FSMField, transition
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from drugs.markdown import render_markdown
from drugs.models.line_endings import normalise


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    # Taken down by a clinical reviewer: its pages answer 410 until it is restored.
    WITHDRAWN = "withdrawn", "Withdrawn"


class Urgency(models.TextChoices):
    # Declared most urgent first: Urgency.rank() relies on this order. The labels say what to
    # do, never how long it can wait: no source says a sign can wait (content-style.md).
    IMMEDIATE = "immediate", "Call 999"
    URGENT = "urgent", "Call your team now"
    TELL = "tell", "Tell your team"

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for the most urgent level, rising as urgency falls."""
        return cls.values.index(value)

    @classmethod
    def weaker(cls, value: str, than: str) -> bool:
        """Whether `value` asks for less urgent action than `than`."""
        return cls.rank(value) > cls.rank(than)


class PrecautionKind(models.TextChoices):
    PREGNANCY_PREVENTION = "pregnancy-prevention", "Pregnancy prevention"
    BREASTFEEDING = "breastfeeding", "Breastfeeding"
    HANDLING = "handling", "Handling"
    STORAGE = "storage", "Storage"
    BLOOD_DONATION = "blood-donation", "Giving blood"
    SPERM_DONATION = "sperm-donation", "Giving sperm"
    VACCINATION = "vaccination", "Vaccinations"
    OTHER_MEDICINES = "other-medicines", "Other medicines"
    DRIVING = "driving", "Driving and machines"
    FERTILITY = "fertility", "Fertility"
    MEDICAL_DENTAL = "medical-dental", "Medical and dental treatment"
    LACTOSE = "lactose", "Lactose"
    CONDITIONS = "conditions", "Health conditions to tell your doctor about"
    OLDER_ADULTS = "older-adults", "Older adults"
    INFECTION = "infection", "Infections"
    OTHER = "other", "Other"


class AppliesTo(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    CAN_GET_PREGNANT = "can-get-pregnant", "People who can get pregnant"
    COULD_MAKE_PREGNANT = "could-make-pregnant", "People who could make someone pregnant"
    CARERS = "carers", "Carers"
    OLDER_ADULTS = "older-adults", "Older adults"


class SectionKind(models.TextChoices):
    # Declared in page order.
    ABOUT = "about", "About"
    HOW_IT_WORKS = "how-it-works", "How it works"
    HOW_TO_TAKE = "how-to-take", "How to take it"
    MISSED_DOSES = "missed-doses", "Missed doses"
    SIDE_EFFECTS = "side-effects", "About side effects"
    GETTING_HELP = "getting-help", "When to get help"
    PROFESSIONALS = "professionals", "For health professionals"


STANDARD_SCALE = "standard"
# Whom to call when a drug's sources name no particular line.
DEFAULT_CONTACT = "the contact number your team gave you"


class MarkdownRendered(models.Model):
    """Keeps each Markdown field's sanitised HTML beside it, rendered once on save."""

    # Pairs of (markdown field, html field).
    markdown_fields: tuple[tuple[str, str], ...] = (("text", "text_html"),)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            changed = {s for s, _ in self.markdown_fields} & set(update_fields)
            kwargs["update_fields"] = set(update_fields) | {
                t for s, t in self.markdown_fields if s in changed
            }
        super().save(*args, **kwargs)

    def render(self) -> None:
        for source, target in self.markdown_fields:
            text = normalise(getattr(self, source))
            setattr(self, source, text)
            setattr(self, target, render_markdown(text))


class DrugQuerySet(models.QuerySet):
    def published(self):
        # A pending revision is never shown, whatever its status.
        return self.filter(status=Status.PUBLISHED, revision_of__isnull=True)

    def live(self):
        """Drugs in their own right: not pending revisions of another drug."""
        return self.filter(revision_of__isnull=True)

    def review_overdue(self, today: datetime.date | None = None):
        return self.filter(next_review_due__lt=today or timezone.localdate())

    def with_monograph(self):
        """Everything a drug page shows, in a fixed number of queries."""
        return self.prefetch_related(
            "sources",
            Prefetch(
                "sections",
                queryset=Section.objects.prefetch_related("sources", "disagreements__sources"),
            ),
            Prefetch(
                "side_effects",
                queryset=DrugSideEffect.objects.select_related(
                    "effect", "band", "band__standard"
                ).prefetch_related("sources", help_rules_prefetch(), "disagreements__sources"),
            ),
            Prefetch(
                "precautions",
                queryset=Precaution.objects.prefetch_related(
                    "sources", help_rules_prefetch(), "disagreements__sources"
                ),
            ),
        )


def help_rules_prefetch() -> Prefetch:
    """Help rules with everything a page shows of them, in one query."""
    return Prefetch(
        "help_rules",
        queryset=HelpRule.objects.select_related("sign", "timing", "source", "escalation_source"),
    )


class MonographSnapshot(models.Model):
    """Adds the whole monograph, as exported, to each historical record of a drug."""

    # Filled after the transaction commits (drugs.monographs.snapshots), so it shows children too: the
    # monograph's plain data as JSON (drugs.monographs.snapshots.snapshot_text() writes it as a file).
    monograph_data = models.JSONField(null=True, blank=True, editable=False)
    # The monograph file as text, on records made before monograph_data existed.
    monograph = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True


class Drug(models.Model):
    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField("generic name", max_length=120)
    brand_names = models.JSONField(default=list, blank=True)
    pronunciation = models.CharField(max_length=120, blank=True)
    treats = models.CharField("what it treats", max_length=300)
    summary = models.TextField(help_text="One or two plain sentences for lists and search.")
    # Not protected: the importer writes a monograph's status directly; people move it only
    # through drugs.editorial.workflow, which uses the transitions below.
    status = FSMField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    last_reviewed = models.DateField()
    next_review_due = models.DateField()
    # The treatment cycle where a source gives one (e.g. 21 days on, 7 days off).
    cycle_days_on = models.PositiveSmallIntegerField(null=True, blank=True)
    cycle_days_off = models.PositiveSmallIntegerField(null=True, blank=True)
    # Whom to call, in the words of the drug's own sources: no page may promise a 24-hour
    # line that the sources do not give (the nurse's handout fills in the number).
    contact = models.CharField(
        max_length=200,
        default=DEFAULT_CONTACT,
        help_text='Completes "Call ...", e.g. "the hospital on the 24-hour number your team gave you".',
    )
    editorial_notes = models.TextField(
        blank=True, help_text="For editors only: gaps or problems in the sources. Never shown."
    )
    # Set on a pending revision: the published drug that publishing it will update.
    revision_of = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="pending_revision",
    )
    # Everyone who changed this draft or revision since it was last published: none of them
    # may publish it (four eyes).
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[MonographSnapshot], excluded_fields=["authors"])
    objects = DrugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("submit_for_review", "Can submit a drug for clinical review"),
            ("publish_drug", "Can publish a drug"),
            ("set_review_dates", "Can set a drug's review dates"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_due__gte=models.F("last_reviewed")),
                name="drug_review_due_after_last_review",
            ),
            models.CheckConstraint(
                condition=Q(cycle_days_on__isnull=True, cycle_days_off__isnull=True)
                | Q(cycle_days_on__gte=1, cycle_days_off__isnull=False),
                name="drug_cycle_complete",
            ),
        ]
        indexes = [
            # Drug.objects.published().order_by("name"): the A-Z list and home page.
            models.Index(fields=["status", "name"], name="drug_status_name_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("drugs:detail", kwargs={"slug": self.slug})

    @property
    def review_overdue(self) -> bool:
        return self.next_review_due < timezone.localdate()

    # The states a drug moves through; drugs.editorial.workflow checks who may move it.

    @transition(field=status, source=Status.DRAFT, target=Status.REVIEW)
    def submit(self):
        """Draft -> in review."""

    @transition(field=status, source=Status.REVIEW, target=Status.DRAFT)
    def return_to_draft(self):
        """In review -> draft (asked for, or because it was edited)."""

    @transition(field=status, source=Status.REVIEW, target=Status.PUBLISHED)
    def publish(self):
        """In review -> published."""

    @transition(field=status, source=Status.PUBLISHED, target=Status.WITHDRAWN)
    def withdraw(self):
        """Published -> withdrawn: taken down, kept for restoring."""

    @transition(field=status, source=Status.WITHDRAWN, target=Status.PUBLISHED)
    def restore(self):
        """Withdrawn -> published again."""


class SourceDateKind(models.TextChoices):
    REVIEWED = "reviewed", "reviewed"
    UPDATED = "updated", "updated"


# A source older than this is flagged to readers as old, whatever its own review date says.
SOURCE_OLD_AFTER_YEARS = 5


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` earlier; 29 February becomes the 28th in a year without one."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class SourceQuerySet(models.QuerySet):
    def past_review(self, today: datetime.date | None = None):
        """Sources past their own next-review date, or more than 5 years old."""
        today = today or timezone.localdate()
        old = years_before(today, SOURCE_OLD_AFTER_YEARS)
        return self.filter(Q(next_review__lt=today) | Q(date__lt=old))


class Source(models.Model):
    """A document the monograph's facts come from."""

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="sources")
    key = models.SlugField(max_length=40, help_text="Short id used in the monograph, e.g. cruk.")
    publisher = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    date = models.DateField(null=True, blank=True, help_text="The source's own date.")
    date_kind = models.CharField(
        max_length=12,
        choices=SourceDateKind.choices,
        default=SourceDateKind.UPDATED,
        help_text="What the source's date says: when it was reviewed, or updated.",
    )
    next_review = models.DateField(
        null=True, blank=True, help_text="The source's own next review date, if it gives one."
    )
    # A source whose publisher is not known is described as what it is, never as a named body.
    publisher_named = models.BooleanField(default=True)
    about = models.CharField(
        max_length=300,
        blank=True,
        help_text='What a reader should know about it, e.g. "written for readers in the US".',
    )
    url = models.URLField(blank=True)
    file = models.CharField(
        max_length=200, blank=True, help_text="The source document kept with the project."
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["drug", "order"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "key"], name="source_unique_key_per_drug"),
        ]

    def __str__(self):
        return f"{self.publisher}: {self.title}"

    def age_notice(self, today: datetime.date | None = None) -> str:
        """A plain note when the source is past its own review date or more than 5 years old."""
        today = today or timezone.localdate()
        if self.next_review and self.next_review < today:
            return (
                f"This source was due to be reviewed by {self.next_review:%-d %B %Y}. "
                "We have not found a newer version yet."
            )
        if self.date and self.date < years_before(today, SOURCE_OLD_AFTER_YEARS):
            return f"This source is more than {SOURCE_OLD_AFTER_YEARS} years old."
        return ""


class FrequencyBandQuerySet(models.QuerySet):
    def standard(self):
        return self.filter(scale=STANDARD_SCALE)


class FrequencyBand(models.Model):
    """How common an effect is, on one source's scale, mapped onto the standard scale."""

    scale = models.SlugField(max_length=40)
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=80)
    phrase = models.CharField(max_length=200, help_text="e.g. more than 10 in every 100 people")
    min_per_100 = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    max_per_100 = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(help_text="1 is the most common band of its scale.")
    standard = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="source_bands",
        help_text="The band on the standard scale this one maps to (empty on the standard scale).",
    )

    objects = FrequencyBandQuerySet.as_manager()

    class Meta:
        ordering = ["scale", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "key"], name="band_unique_key_per_scale"),
            models.CheckConstraint(
                condition=Q(min_per_100__isnull=True)
                | Q(max_per_100__isnull=True)
                | Q(min_per_100__lte=models.F("max_per_100")),
                name="band_bounds_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.scale}:{self.key}"

    @property
    def reference(self) -> str:
        return f"{self.scale}:{self.key}"

    @property
    def standard_band(self) -> "FrequencyBand":
        return self if self.scale == STANDARD_SCALE else self.standard

    @property
    def sort_key(self) -> tuple:
        """Most common first: by the standard band's rank, then the band's rank on its own scale.

        The one ordering of bands, for every face (pages, API, handout).
        """
        standard = self.standard_band
        return (standard.rank if standard else 99, self.rank, self.scale)


class SideEffectQuerySet(models.QuerySet):
    def published(self):
        """Effects listed by at least one published drug."""
        return self.filter(drug_effects__drug__in=Drug.objects.published()).distinct()


class SideEffect(models.Model):
    """The shared concept (e.g. constipation), so one effect can be shown across drugs."""

    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(max_length=120)
    # The only other names patients are shown: words a source uses, or plain words for exactly
    # the same thing. lay_names and synonyms only help search find it.
    also_called = models.JSONField(
        default=list, blank=True, help_text="Other names shown to patients."
    )
    lay_names = models.JSONField(
        default=list, blank=True, help_text="Everyday words people search with (not shown)."
    )
    synonyms = models.JSONField(
        default=list, blank=True, help_text="Medical and US terms for search (not shown)."
    )

    objects = SideEffectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("drugs:side_effect", kwargs={"slug": self.slug})


class DrugSideEffectQuerySet(models.QuerySet):
    def published(self):
        """Entries of published drugs, by the one definition in DrugQuerySet.published()."""
        return self.filter(drug__in=Drug.objects.published())


class DrugSideEffect(MarkdownRendered):
    """One side effect as one drug's sources describe it."""

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="side_effects")
    effect = models.ForeignKey(SideEffect, on_delete=models.PROTECT, related_name="drug_effects")
    band = models.ForeignKey(FrequencyBand, on_delete=models.PROTECT, related_name="+")
    # This drug's sources may name the effect differently from the shared name.
    heading = models.CharField(
        max_length=120, blank=True, help_text="The name this drug's sources use, if different."
    )
    figure_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="As the source gives it."
    )
    figure_text = models.CharField(
        max_length=80, blank=True, help_text='The natural frequency as the source says it: "1 in 4"'
    )
    text = MarkdownxField(help_text="What happens and what you can do about it.")
    text_html = models.TextField(editable=False, blank=True)
    sources = models.ManyToManyField(Source, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    objects = DrugSideEffectQuerySet.as_manager()

    class Meta:
        ordering = ["drug", "order"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "effect"], name="side_effect_once_per_drug"),
            models.CheckConstraint(
                condition=Q(figure_percent__isnull=True)
                | Q(figure_percent__gte=0, figure_percent__lte=100),
                name="side_effect_percent_0_to_100",
            ),
        ]

    def __str__(self):
        return f"{self.drug}: {self.effect}"

    @property
    def title(self) -> str:
        return self.heading or self.effect.name

    @property
    def urgency(self) -> str:
        """The most urgent level among its help rules (needs help_rules prefetched)."""
        levels = [rule.urgency for rule in self.help_rules.all()]
        return min(levels, key=Urgency.rank) if levels else ""


class Sign(models.Model):
    """A warning sign a patient may notice (a high temperature, feeling breathless), shared by drugs."""

    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(max_length=120, help_text='Plain words, e.g. "A high temperature".')
    synonyms = models.JSONField(
        default=list, blank=True, help_text="Words people search with, e.g. fever."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TimingPhrase(models.Model):
    """What a source says about when to act ("straight away"), and the least urgent level it allows."""

    phrase = models.CharField(max_length=60, unique=True)
    floor = models.CharField(max_length=12, choices=Urgency.choices)

    class Meta:
        ordering = ["phrase"]

    def __str__(self):
        return f"{self.phrase} (at least: {self.get_floor_display()})"


class HelpRule(models.Model):
    """A sign that calls for action, how urgently, and what the source itself says about timing."""

    # Belongs to one side effect or one precaution.
    side_effect = models.ForeignKey(
        DrugSideEffect, on_delete=models.CASCADE, null=True, blank=True, related_name="help_rules"
    )
    precaution = models.ForeignKey(
        "Precaution", on_delete=models.CASCADE, null=True, blank=True, related_name="help_rules"
    )
    sign = models.ForeignKey(Sign, on_delete=models.PROTECT, null=True, related_name="rules")
    urgency = models.CharField(max_length=12, choices=Urgency.choices)
    text = models.CharField(max_length=300, help_text='e.g. "your temperature goes above 38°C"')
    threshold = models.CharField(max_length=80, blank=True, help_text='e.g. "above 38°C"')
    # Separates two rules that put one sign on two levels ("with a temperature").
    condition = models.CharField(max_length=120, blank=True)
    timing = models.ForeignKey(
        TimingPhrase,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        help_text="What the source says about when to act.",
    )
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, related_name="+", help_text="Who says so."
    )
    # Acting sooner than the source's words ask needs a reason and a source that supports it.
    escalation_reason = models.TextField(blank=True)
    escalation_source = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["side_effect", "precaution", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(side_effect__isnull=False, precaution__isnull=True)
                | Q(side_effect__isnull=True, precaution__isnull=False),
                name="help_rule_belongs_to_one_entry",
            ),
        ]

    def __str__(self):
        return f"{self.get_urgency_display()}: {self.text}"

    def clean(self):
        # The importer makes the same checks on every import and publish (drugs.monographs.files).
        if self.timing_id is None or not self.urgency:
            return
        floor = self.timing.floor
        if Urgency.weaker(self.urgency, floor):
            raise ValidationError(
                {
                    "urgency": f"The source says “{self.timing.phrase}”: this needs at least "
                    f"“{Urgency(floor).label}”. Never lower a level."
                }
            )
        if Urgency.weaker(floor, self.urgency) and not (
            self.escalation_reason.strip() and self.escalation_source_id
        ):
            raise ValidationError(
                {
                    "escalation_reason": "This is more urgent than the source's words ask for: "
                    "give the reason and the source that supports it."
                }
            )

    @property
    def escalated(self) -> bool:
        return bool(self.escalation_reason)

    @property
    def promptly(self) -> bool:
        """Whether the source asks to tell the team "promptly" (shown, never dropped)."""
        return (
            self.urgency == Urgency.TELL
            and self.timing is not None
            and (self.timing.phrase == "promptly")
        )

    @property
    def level_label(self) -> str:
        """What to do, with the source's "promptly" where it says so."""
        label = self.get_urgency_display()
        return f"{label} promptly" if self.promptly else label


class DrugProse(MarkdownRendered):
    """A piece of a drug's prose: its drug, Markdown with its HTML, its sources, its place."""

    # "precautions", "sections", "disagreements"
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="%(class)ss")
    text = MarkdownxField()
    text_html = models.TextField(editable=False, blank=True)
    sources = models.ManyToManyField(Source, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["drug", "order"]


class Precaution(DrugProse):
    kind = models.CharField(max_length=24, choices=PrecautionKind.choices)
    applies_to = models.CharField(
        max_length=24, choices=AppliesTo.choices, default=AppliesTo.EVERYONE
    )
    title = models.CharField(max_length=200)
    warning = models.BooleanField(
        default=False, help_text="Show as a warning callout: a mistake here causes serious harm."
    )

    class Meta(DrugProse.Meta):
        constraints = [
            models.UniqueConstraint(fields=["drug", "title"], name="precaution_unique_title"),
        ]

    def __str__(self):
        return f"{self.drug}: {self.title}"


class Section(DrugProse):
    """The remaining prose of a drug: what it is, how it works, how to take it, and so on."""

    kind = models.CharField(max_length=24, choices=SectionKind.choices)
    title = models.CharField(max_length=200)

    class Meta(DrugProse.Meta):
        constraints = [
            models.UniqueConstraint(fields=["drug", "kind"], name="section_once_per_drug"),
        ]

    def __str__(self):
        return f"{self.drug}: {self.title}"


class Disagreement(DrugProse):
    """A point where the sources on one drug say different things."""

    topic = models.CharField(max_length=200)
    text = MarkdownxField(help_text="What each source says, and to follow your own team's advice.")
    # Where the note is shown: on one side effect, precaution or section.
    side_effect = models.ForeignKey(
        DrugSideEffect,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="disagreements",
    )
    precaution = models.ForeignKey(
        Precaution, on_delete=models.CASCADE, null=True, blank=True, related_name="disagreements"
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, null=True, blank=True, related_name="disagreements"
    )

    class Meta(DrugProse.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    side_effect__isnull=False, precaution__isnull=True, section__isnull=True
                )
                | Q(side_effect__isnull=True, precaution__isnull=False, section__isnull=True)
                | Q(side_effect__isnull=True, precaution__isnull=True, section__isnull=False),
                name="disagreement_attached_to_one_place",
            ),
        ]

    def __str__(self):
        return f"{self.drug}: {self.topic}"
