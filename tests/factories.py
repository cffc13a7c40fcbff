"""Factories for every content model; each builds a valid, published-ready row."""

import datetime

import factory

from drugs import models


class DrugFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Drug
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"testamide-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())
    brand_names = factory.LazyAttribute(lambda o: [f"Brand{o.slug.split('-')[-1]}"])
    treats = "Myeloma"
    summary = "A capsule used to treat myeloma."
    status = models.Status.PUBLISHED
    last_reviewed = datetime.date(2026, 11, 1)
    next_review_due = datetime.date(2099, 11, 1)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source

    drug = factory.SubFactory(DrugFactory)
    key = factory.Sequence(lambda n: f"source-{n}")
    publisher = "Example Cancer Charity"
    title = factory.LazyAttribute(lambda o: f"{o.drug.name} leaflet")
    date = datetime.date(2025, 1, 1)


class FrequencyBandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FrequencyBand
        django_get_or_create = ("scale", "key")

    scale = models.STANDARD_SCALE
    key = "common"
    label = "Common"
    phrase = "more than 10 in every 100 people"
    min_per_100 = 10
    max_per_100 = 100
    rank = 1


class SideEffectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SideEffect
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"effect-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())
    lay_names = []
    synonyms = []


class DrugSideEffectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DrugSideEffect
        skip_postgeneration_save = True

    drug = factory.SubFactory(DrugFactory)
    effect = factory.SubFactory(SideEffectFactory)
    band = factory.SubFactory(FrequencyBandFactory)
    text = "You may notice this. Tell your team."
    order = factory.Sequence(int)

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create:
            self.sources.set(extracted or [SourceFactory(drug=self.drug)])


class SignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Sign
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"sign-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


# The source's words about timing that each level is the floor of.
FLOOR_PHRASES = {
    models.Urgency.IMMEDIATE: "call 999",
    models.Urgency.URGENT: "straight away",
    models.Urgency.TELL: "tell your doctor",
}


class TimingPhraseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TimingPhrase
        django_get_or_create = ("phrase",)

    floor = models.Urgency.URGENT
    phrase = factory.LazyAttribute(lambda o: FLOOR_PHRASES[o.floor])


class HelpRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.HelpRule

    side_effect = factory.SubFactory(DrugSideEffectFactory)
    precaution = None
    sign = factory.SubFactory(SignFactory)
    urgency = models.Urgency.URGENT
    text = "your temperature goes above 38°C"
    timing = factory.LazyAttribute(lambda o: TimingPhraseFactory(floor=o.urgency))
    source = factory.LazyAttribute(lambda o: (o.side_effect or o.precaution).sources.first())


class PrecautionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Precaution
        skip_postgeneration_save = True

    drug = factory.SubFactory(DrugFactory)
    kind = models.PrecautionKind.BLOOD_DONATION
    title = factory.Sequence(lambda n: f"Precaution {n}")
    text = "Do not give blood during treatment."
    order = factory.Sequence(int)

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create:
            self.sources.set(extracted or [SourceFactory(drug=self.drug)])


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Section
        skip_postgeneration_save = True

    drug = factory.SubFactory(DrugFactory)
    kind = models.SectionKind.ABOUT
    title = "About this drug"
    text = "This drug treats **myeloma**."

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create:
            self.sources.set(extracted or [SourceFactory(drug=self.drug)])


class GlossaryTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.GlossaryTerm
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"term-{n}")
    term = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())
    definition = "A plain explanation."


class StaffUserFactory(factory.django.DjangoModelFactory):
    """A staff user; pass groups=["Editors"] or ["Clinical reviewers"] (made by a migration)."""

    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff-{n}")
    is_staff = True

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            self.groups.set(Group.objects.filter(name__in=extracted))


# The sections a drug needs before it can be published (drugs.editorial.workflow.missing_parts).
REQUIRED_SECTIONS = {
    models.SectionKind.ABOUT: ("What it is", "It treats myeloma."),
    models.SectionKind.HOW_TO_TAKE: ("How to take it", "Swallow it whole with water."),
    models.SectionKind.MISSED_DOSES: ("If you miss a dose", "Take it if it is within 12 hours."),
    models.SectionKind.GETTING_HELP: ("When to get help", "Call your team if you are unwell."),
}


def complete_drug(**kwargs) -> models.Drug:
    """A drug with everything it needs to be published: each required section, a precaution,
    and a side effect with a help rule."""
    drug = DrugFactory(**kwargs)
    source = SourceFactory(drug=drug)
    for kind, (title, text) in REQUIRED_SECTIONS.items():
        SectionFactory(drug=drug, kind=kind, title=title, text=text, sources=[source])
    PrecautionFactory(drug=drug, title="Giving blood", text="Do not give blood.", sources=[source])
    HelpRuleFactory(side_effect=DrugSideEffectFactory(drug=drug, sources=[source]))
    return drug
