"""A drug with every kind of content a page shows, built with the factories."""

import datetime

from drugs import models
from drugs.search import index
from tests.factories import (
    DrugFactory,
    DrugSideEffectFactory,
    FrequencyBandFactory,
    GlossaryTermFactory,
    HelpRuleFactory,
    PrecautionFactory,
    SectionFactory,
    SideEffectFactory,
    SourceFactory,
)

SECTION_TITLES = {
    models.SectionKind.ABOUT: "What testamide is",
    models.SectionKind.HOW_IT_WORKS: "How testamide works",
    models.SectionKind.HOW_TO_TAKE: "How you take testamide",
    models.SectionKind.MISSED_DOSES: "If you miss a dose",
    models.SectionKind.SIDE_EFFECTS: "About side effects",
    models.SectionKind.GETTING_HELP: "Contacting your team",
    models.SectionKind.PROFESSIONALS: "Pharmacology",
}


def standard_bands():
    common = FrequencyBandFactory(
        key="common", label="Common", phrase="more than 10 in every 100 people", rank=1
    )
    occasional = FrequencyBandFactory(
        key="occasional",
        label="Occasional",
        phrase="1 to 10 in every 100 people",
        min_per_100=1,
        max_per_100=10,
        rank=2,
    )
    rare = FrequencyBandFactory(
        key="rare",
        label="Rare",
        phrase="fewer than 1 in every 100 people",
        min_per_100=None,
        max_per_100=1,
        rank=3,
    )
    return common, occasional, rare


def charity_band(standard):
    """A band with no numbers, on a charity's own scale, mapped to the standard common band."""
    return FrequencyBandFactory(
        scale="charity",
        key="less-common",
        label="Less common",
        phrase="listed as less common by the source, which gives no numbers",
        min_per_100=None,
        max_per_100=None,
        rank=2,
        standard=standard,
    )


def disagree(drug, sources, topic, text, **where):
    note = models.Disagreement.objects.create(drug=drug, topic=topic, text=text, **where)
    note.sources.set(sources)
    return note


def full_drug(slug="testamide", name="Testamide", effects=3, **fields):
    """A published drug with every section, precaution kind, band, urgency and a disagreement."""
    # The pages never read the search index: building it on every save would triple the time.
    with index.paused():
        return _full_drug(slug, name, effects, **fields)


def _full_drug(slug, name, effects, **fields):
    drug = DrugFactory(
        slug=slug,
        name=name,
        brand_names=["Testix"],
        pronunciation="test-a-mide",
        cycle_days_on=21,
        cycle_days_off=7,
        **fields,
    )
    leaflet = SourceFactory(drug=drug, key="leaflet", publisher="Example Charity", order=0)
    database = SourceFactory(drug=drug, key="database", publisher="Example Database", order=1)
    for order, (kind, title) in enumerate(SECTION_TITLES.items()):
        SectionFactory(
            drug=drug,
            kind=kind,
            title=title,
            text=f"Text of {kind}: ask about a laxative if you need one.",
            order=order,
            sources=[leaflet],
        )
    about = drug.sections.get(kind=models.SectionKind.ABOUT)
    disagree(
        drug,
        [leaflet, database],
        "What it treats",
        "The sources name different uses.",
        section=about,
    )

    PrecautionFactory(
        drug=drug, kind=models.PrecautionKind.HANDLING, title="Handling the capsules",
        text="Do not open the capsules.", warning=True, sources=[leaflet],
    )  # fmt: skip
    PrecautionFactory(
        drug=drug, kind=models.PrecautionKind.STORAGE, title="Storing the capsules",
        text="Keep them away from children.", sources=[leaflet],
    )  # fmt: skip
    PrecautionFactory(
        drug=drug, kind=models.PrecautionKind.PREGNANCY_PREVENTION, title="Preventing pregnancy",
        applies_to=models.AppliesTo.CAN_GET_PREGNANT, text="Use contraception.", warning=True,
        sources=[leaflet],
    )  # fmt: skip
    blood = PrecautionFactory(
        drug=drug, kind=models.PrecautionKind.BLOOD_DONATION, title="Giving blood",
        text="Do not give blood.", warning=True, sources=[leaflet, database],
    )  # fmt: skip
    disagree(
        drug, [leaflet, database], "How long not to give blood",
        "One source says 1 week, the other 4 weeks.", precaution=blood,
    )  # fmt: skip

    common, occasional, rare = standard_bands()
    less_common = charity_band(common)
    constipation = DrugSideEffectFactory(
        drug=drug, effect=SideEffectFactory(slug="constipation", name="Constipation"),
        band=common, figure_percent=25, figure_text="1 in 4", order=0, sources=[leaflet],
        text="You may find it hard to poo. Ask about a laxative.",
    )  # fmt: skip
    HelpRuleFactory(
        side_effect=constipation, urgency=models.Urgency.TELL, text="you have not pooed for 3 days"
    )
    tiredness = DrugSideEffectFactory(
        drug=drug, effect=SideEffectFactory(slug="tiredness", name="Tiredness"),
        band=less_common, order=1, sources=[leaflet, database], text="You may feel tired.",
    )  # fmt: skip
    disagree(
        drug, [leaflet, database], "How common tiredness is",
        "The sources give different figures.", side_effect=tiredness,
    )  # fmt: skip
    infection = DrugSideEffectFactory(
        drug=drug, effect=SideEffectFactory(slug="infection", name="Infection"), band=occasional,
        figure_percent="30.5", figure_text="just under 1 in 3", order=2, sources=[leaflet],
        text="You may get infections more easily.",
    )  # fmt: skip
    HelpRuleFactory(
        side_effect=infection,
        urgency=models.Urgency.URGENT,
        text="your temperature goes above 38°C",
    )
    HelpRuleFactory(
        side_effect=infection, urgency=models.Urgency.IMMEDIATE, text="you have trouble breathing"
    )
    HelpRuleFactory(
        side_effect=infection, urgency=models.Urgency.TELL, text="you keep getting colds"
    )
    for number in range(max(0, effects - 3)):
        item = DrugSideEffectFactory(
            drug=drug, effect=SideEffectFactory(slug=f"extra-{number}", name=f"Extra effect {number}"),
            band=rare, figure_percent=number % 100, figure_text=f"{number} in 100",
            order=10 + number, sources=[database], text=f"Extra effect {number} text.",
        )  # fmt: skip
        HelpRuleFactory(
            side_effect=item, urgency=models.Urgency.URGENT, text=f"extra {number} gets worse"
        )
        disagree(drug, [leaflet, database], f"Extra {number}", "They differ.", side_effect=item)
    GlossaryTermFactory(
        slug="laxative", term="Laxative", aliases=["laxatives"],
        definition="A medicine that helps you poo.",
    )  # fmt: skip
    return drug


def overdue(drug):
    drug.last_reviewed = datetime.date(2020, 1, 1)
    drug.next_review_due = datetime.date(2021, 1, 1)
    drug.save()
    return drug
