"""Entries too long for 2 pages, shortened word for word from the monograph."""

from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from drugs.handout.help import squash
from drugs.markdown import render_markdown
from drugs.models import AppliesTo, SectionKind


@dataclass(frozen=True)
class Excerpt:
    """The parts of one monograph entry that the 2-page handout prints, word for word."""

    parts: tuple[str, ...]  # Markdown copied from the monograph
    # Whether the entry's "Sources differ" notes still apply to what is printed.
    notes: bool = True


# At 12 pt the whole of these entries would push the handout past 2 sheets. Keyed by (drug
# slug, precaution title or section kind). Each part must still be in the monograph word for
# word, or the whole entry is printed instead; a shortened entry says so and points to the
# full guide (tests/test_handout.py checks every part against content/).
EXCERPTS = {
    ("lenalidomide", SectionKind.HOW_TO_TAKE): Excerpt(
        (
            """Lenalidomide comes as capsules. You usually take it once a day.

- Swallow the capsules whole with a glass of water.
- Do not open, break or chew them.
- You can take them with or without food.
- Take them at the same time every day.""",
            # The cycle note is the calendar's business: the nurse enters the patient's cycle.
        ),
        notes=False,
    ),
    ("lenalidomide", "Preventing pregnancy: for everyone"): Excerpt(
        (
            "Lenalidomide can cause birth defects.",
            """You must not get pregnant or make someone
pregnant while you take it. It must never be taken in pregnancy.""",
            """You must agree to use contraception:

- for 4 weeks before treatment starts
- all through treatment
- for 4 weeks after treatment ends""",
        )
    ),
    ("lenalidomide", "If you can get pregnant"): Excerpt(
        # The tests are in the handout's own dated list; a late period is on the help cards.
        ("Lenalidomide may stop the contraceptive pill working so well.",),
        # Its note answers the drug database's warning, which is not printed.
        notes=False,
    ),
    ("lenalidomide", "If you could make someone pregnant"): Excerpt(
        # Its note gives the drug database's condom rule too.
        (
            """Your partner may be able to get pregnant.
If so, use a condom when you have sex during treatment. Keep using condoms for 1 week
after treatment ends.""",
        )
    ),
    ("lenalidomide", "Handling the capsules"): Excerpt(
        (
            """- Do not open, break or chew the capsules. Touch them as little as you can.""",
            """- If you are pregnant, or could get pregnant, do not touch the capsules. Do not breathe
  in dust from a broken capsule.
- If powder from a capsule gets on your skin, wash it off with soap and water.
- Everyone should wash their hands well after touching the capsules.""",
        )
    ),
    ("lenalidomide", "Vaccines"): Excerpt(
        (
            """Do not have live vaccines during treatment. Wait at least 6 months after it ends. In
the UK, live vaccines include:

- MMR, for measles, mumps and rubella
- BCG
- Zostavax, for shingles
- yellow fever""",
        ),
        # Its note is about being near people who had a live vaccine, which is not printed.
        notes=False,
    ),
    ("pomalidomide", SectionKind.HOW_TO_TAKE): Excerpt(
        (
            """- Swallow the capsules whole with a glass of water.
- Do not chew, open or crush them.
- You can take them with or without food.
- Take them at the same time each day.
- If you are sick soon after taking them, contact the hospital. Do not take another dose.""",
        )
    ),
    ("pomalidomide", "Preventing pregnancy: for everyone"): Excerpt(
        (
            """You must not get pregnant or make someone pregnant while you take pomalidomide. It may
cause severe abnormalities in a developing baby.""",
            "You will be part of a pregnancy prevention programme during treatment.",
        )
    ),
    ("pomalidomide", "If you can get pregnant"): Excerpt(
        # The tests are in the handout's own dated list; a possible pregnancy is on the cards.
        (
            """Use a type of contraception that works well, such as:

- an implant
- an injection
- the progesterone-only pill

The combined pill is not advised. It raises your risk of blood clots.

Use contraception:

- for 4 weeks before treatment
- all through treatment
- for 4 weeks after treatment ends""",
        )
    ),
    ("pomalidomide", "Vaccines"): Excerpt(
        (
            "If your immune system is weak, do not have live vaccines. They can make you unwell.",
            """Ask your team before you have any vaccine. They can tell you which ones are right for
you, and the best time to have them.""",
        )
    ),
}


@dataclass
class Printed:
    """A section or precaution as the handout prints it: whole, or shortened from EXCERPTS."""

    item: object  # the Section or Precaution
    html: SafeString
    notes: list
    shortened: bool = False

    @property
    def audience(self) -> str:
        """Whom a precaution is for, where its title does not say so already."""
        applies_to = getattr(self.item, "applies_to", AppliesTo.EVERYONE)
        if applies_to == AppliesTo.EVERYONE:
            return ""
        who = self.item.get_applies_to_display().lower()
        return "" if who.removeprefix("people who ") in self.item.title.lower() else who


def printed(slug: str, key: str, item) -> Printed:
    notes = list(item.disagreements.all())
    excerpt = EXCERPTS.get((slug, key))
    text = squash(item.text)
    if excerpt is None or not all(squash(part) in text for part in excerpt.parts):
        return Printed(item, mark_safe(item.text_html), notes)
    # render_markdown sanitises, as it does for every stored entry.
    html = mark_safe("".join(render_markdown(part) for part in excerpt.parts))
    return Printed(item, html, notes if excerpt.notes else [], shortened=True)
