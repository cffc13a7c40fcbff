"""The clinical review of December 2026, checked against the two monograph files themselves.

These tests read content/lenalidomide.md and content/pomalidomide.md through the parser (no
database). "Prose" means what patients read: the body sections, the side-effect and precaution
texts, and the key-fact fields. Disagreement notes are checked on their own, and the editors'
notes are never patient text, so they may quote the old wording.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from drugs.monographs.data import MonographData
from drugs.monographs.parse import parse_monograph

CONTENT = Path(settings.CONTENT_DIR)


def load(slug: str) -> MonographData:
    data, problems = parse_monograph(CONTENT / f"{slug}.md")
    assert problems == []
    return data


@pytest.fixture(scope="module")
def len_data() -> MonographData:
    return load("lenalidomide")


@pytest.fixture(scope="module")
def pom_data() -> MonographData:
    return load("pomalidomide")


def flat(text: str) -> str:
    """One space between words, so wrapped lines in the file do not hide a phrase."""
    return " ".join(text.split())


def prose(data: MonographData) -> str:
    """Everything patients read, except the disagreement notes."""
    parts = [data.treats, data.summary]
    parts += [s.text for s in data.sections]
    parts += [e.text for e in data.side_effects]
    parts += [p.text for p in data.precautions]
    return flat("\n".join(parts))


def notes(data: MonographData) -> list:
    found = list(data.disagreements)
    for item in [*data.side_effects, *data.precautions]:
        found += item.disagreements
    return found


def section(data: MonographData, kind: str) -> str:
    return flat(next(s.text for s in data.sections if s.kind == kind))


def effect(data: MonographData, slug: str) -> str:
    return flat(next(e.text for e in data.side_effects if e.effect == slug))


def precaution(data: MonographData, title: str):
    return next(p for p in data.precautions if p.title == title)


def top_level_note(data: MonographData, kind: str):
    found = [d for d in data.disagreements if d.section == kind]
    assert len(found) == 1, f"expected one 'Sources differ' note on the {kind} section"
    return found[0]


# --- Conflicts between the lenalidomide sources (review 4) -------------------------------


class TestLenalidomideDeclaresWhereItsSourcesDiffer:
    def test_the_pregnancy_rule_is_a_declared_disagreement(self, len_data):
        # Review 4.1 / 6.1 (H): the bare "must never be used" sat above the test schedule.
        assert "must never be used by anyone who could get pregnant" not in prose(len_data)
        entry = precaution(len_data, "If you can get pregnant")
        [note] = entry.disagreements
        assert set(note.sources) == {"cruk", "drugdb"}
        text = flat(note.text)
        assert "the drug database says people who could get pregnant must not" in text
        assert "Cancer Research UK describes how they can take it" in text
        assert "contraception and pregnancy tests" in text
        assert "team" in text

    def test_the_pregnancy_precaution_keeps_the_warning_about_an_unborn_baby(self, len_data):
        text = flat(precaution(len_data, "If you can get pregnant").text)
        assert "can harm an unborn baby" in text
        assert "must never" not in text

    def test_the_cycle_is_a_declared_disagreement_on_how_to_take_it(self, len_data):
        # Review 4.2: Cancer Research UK gives 21/7 for everyone, the drug database for some.
        note = top_level_note(len_data, "how-to-take")
        assert set(note.sources) == {"cruk", "drugdb"}
        text = flat(note.text)
        assert "3 weeks" in text and "1 week" in text
        assert "usually take it once a day" in text
        assert "some conditions" in text

    def test_the_immune_system_statements_are_a_declared_disagreement(self, len_data):
        # Review 4.3: "respond less" in the patient text, "respond more" in the pharmacology.
        note = top_level_note(len_data, "how-it-works")
        assert set(note.sources) == {"cruk", "drugdb"}
        text = flat(note.text)
        assert text.startswith("Sources differ")
        assert "respond less" in text and "respond more" in text

    def test_what_it_treats_says_which_source_says_what(self, len_data):
        # Review 4.5: mantle cell lymphoma comes only from the drug database.
        note = top_level_note(len_data, "about")
        text = flat(note.text)
        assert "Cancer Research UK says lenalidomide treats myeloma and MDS" in text
        assert "mantle cell lymphoma" in text
        assert "US" in flat(len_data.treats)
        about = section(len_data, "about")
        assert "Cancer Research UK says lenalidomide treats" in about
        assert re.search(r"The drug database says .*mantle cell lymphoma", about)

    def test_a_frequency_note_does_not_ask_which_applies(self, len_data):
        # Review 4 and 5: "Ask your team which applies to you" does not fit a frequency.
        frequency_notes = [d for d in notes(len_data) if d.topic.startswith("How common")]
        assert len(frequency_notes) == 3
        for note in frequency_notes:
            text = flat(note.text)
            assert "which applies to you" not in text
            assert "Your team can tell you more" in text


# --- Wrong, distorted or unsupported wording (review 1 and 2) -----------------------------


class TestLenalidomideSaysWhatItsSourcesSay:
    def test_the_drug_databases_promptly_is_not_softened_to_soon(self, len_data):
        # Review 2.4.
        text = section(len_data, "side-effects")
        assert "soon if any of these" not in text
        assert "promptly if any of these last or get worse" in text

    def test_no_allergy_sign_is_mostly_of_the_face(self, len_data):
        # Review 2.3: the drug database says "especially".
        raw = (CONTENT / "lenalidomide.md").read_text()
        assert "mostly of" not in raw

    def test_blood_thinning_is_one_of_three_aims_of_treatment(self, len_data):
        # Review 2.11: the thinning itself does not break down the clot.
        text = effect(len_data, "blood-clots")
        assert "It breaks down the clot" not in text
        assert "thin your blood, break down (dissolve) any clots and stop more forming" in text

    def test_storing_sperm_says_who_it_is_for(self, len_data):
        # Review 2.12.
        text = effect(len_data, "loss-of-fertility")
        assert "If you could make someone pregnant, you may be able to store sperm" in text

    def test_sometimes_is_on_the_side_effects_of_tumour_lysis(self, len_data):
        # Review 2.14.
        text = effect(len_data, "tumour-lysis-syndrome")
        assert "sometimes destroys" not in text
        assert "This sometimes causes side effects" in text

    def test_tumour_lysis_syndrome_is_explained_where_it_is_named(self, len_data):
        # Review 5: "It never says what TLS is."
        text = effect(len_data, "tumour-lysis-syndrome")
        assert "cancer cells breaking down fast" in text

    def test_tumour_flare_gives_no_timing(self, len_data):
        # Review 1.9.
        assert "for a while" not in effect(len_data, "tumour-flare")

    def test_the_immune_system_statement_is_not_limited_to_mds(self, len_data):
        # Review 1.10 and worst sentence 3.
        text = section(len_data, "how-it-works")
        assert "in MDS" not in text
        assert "damping down" not in text
        assert "respond less" in text

    def test_the_allergy_to_check_is_an_allergy_to_this_medicine(self, len_data):
        # Review 1.12.
        text = flat(precaution(len_data, "Health problems to tell your doctor about").text)
        assert "an allergic reaction to this medicine" in text
        assert "to a medicine" not in text


class TestPomalidomideSaysWhatMacmillanSays:
    def test_skin_inflammation_adds_no_red_and_sore(self, pom_data):
        # Review 1.8.
        text = effect(pom_data, "skin-changes")
        assert "red and sore" not in text
        assert "inflammation in your skin" in text

    def test_kidney_changes_are_usually_mild_and_usually_go_back_to_normal(self, pom_data):
        # Review 2.13: "usually" on both claims.
        text = effect(pom_data, "kidney-changes")
        assert "usually mild" in text
        assert "usually goes back to normal" in text
        assert "It gets back to normal" not in text

    def test_heart_problems_speak_of_risk_factors(self, pom_data):
        # Review 5: "risks" for Macmillan's "risk factors".
        text = effect(pom_data, "heart-problems")
        assert "risk factors for heart problems" in text
        assert "some of the risks" not in text

    def test_tumour_lysis_syndrome_is_described_before_it_is_named(self, pom_data):
        # Review 5: everyday words first.
        text = effect(pom_data, "tumour-lysis-syndrome")
        assert text.index("kill lots of cancer cells") < text.index("tumour lysis syndrome")


# --- Wording written for a drip, not a capsule taken at home (review 6.12) ----------------

HOSPITAL_WORDING = [
    "your nurse will give you medicines before treatment",
    "During treatment, your nurse will check you for signs",
    "for a few days after treatment",
    "after you get home",
]


@pytest.mark.parametrize("slug", ["lenalidomide", "pomalidomide"])
def test_no_patient_text_waits_for_a_nurse_or_a_drip(slug):
    text = prose(load(slug)).lower()
    for words in HOSPITAL_WORDING:
        assert words.lower() not in text, words


@pytest.mark.parametrize("slug", ["lenalidomide", "pomalidomide"])
def test_each_change_to_hospital_wording_is_listed_for_the_clinical_reviewer(slug):
    editorial = flat(load(slug).editorial_notes)
    assert "(6.12)" in editorial
    assert "clinical reviewer" in editorial


def test_lenalidomide_refers_allergy_medicines_to_the_team(len_data):
    text = effect(len_data, "allergic-reaction")
    assert "Your team will tell you if you need medicines to try to prevent a reaction" in text


def test_pomalidomide_refers_what_to_look_out_for_to_the_team(pom_data):
    text = effect(pom_data, "allergic-reaction")
    assert "Your team will tell you what to look out for" in text
    for slug in ("muscle-pain", "joint-pain"):
        assert "Your team can tell you how long this may last" in effect(pom_data, slug)


# --- Missing, and referrals in place of invented rules (review 3, 6.14, 6.15) ------------


class TestLenalidomideRefersWhatNoSourceAnswers:
    def test_the_allergy_text_points_to_no_signs_below(self, len_data):
        # Review 3.2: nothing followed "the signs below" on the drug page.
        assert "signs below" not in prose(len_data)
        text = effect(len_data, "allergic-reaction")
        assert "signs of a serious allergic reaction" in text
        for sign in ("a rash", "face, tongue or throat", "very dizzy", "trouble breathing"):
            assert sign in text

    def test_exactly_12_hours_is_referred_to_the_team(self, len_data):
        # Review 6.14: no rule is invented for the gap.
        text = section(len_data, "missed-doses")
        assert "If it is exactly 12 hours, or you are not sure, ask your team." in text
        assert "(6.14)" in flat(len_data.editorial_notes)

    def test_paracetamol_comes_with_a_referral_only(self, len_data):
        # Review 6.15.
        text = flat(precaution(len_data, "Other medicines").text)
        assert "Ask your team before you take paracetamol or any other medicine." in text
        assert "(6.15)" in flat(len_data.editorial_notes)

    def test_reporting_to_the_mhra_says_who_can_help_and_gives_no_web_address(self, len_data):
        # Review 3.4.
        text = section(len_data, "side-effects")
        assert "MHRA. Your team or pharmacist can help you do this." in text
        assert "mhra.gov.uk" not in prose(len_data)


# --- Plain English (review 5) ------------------------------------------------------------


class TestLenalidomideInPlainEnglish:
    def test_the_drug_database_is_introduced_before_its_first_use(self, len_data):
        # The about section is the first thing on the page after the key facts.
        assert len_data.sections[0].kind == "about"
        assert "drug database" not in flat(len_data.treats + " " + len_data.summary)
        about = section(len_data, "about")
        first = about.index("drug database")
        introduction = about.index('we call it "the drug database"')
        assert first == introduction + len('we call it "the ')
        before = about[:introduction]
        assert "drug-information website written for readers in the US" in before

    def test_rems_is_said_to_be_a_us_programme(self, len_data):
        text = section(len_data, "how-to-take")
        assert "REMS is a US safety programme" in text
        assert "may not apply in the UK" in text
        assert "keep unborn babies away from the drug" not in text

    def test_the_medication_guide_is_said_to_be_a_us_leaflet(self, len_data):
        text = section(len_data, "how-to-take")
        assert re.search(r"Medication Guide\. This is a US leaflet", text)

    def test_the_list_of_side_effects_is_not_ambiguous(self, len_data):
        text = section(len_data, "side-effects")
        assert "This list does not include every side effect" not in text
        assert "Neither source lists every possible side effect" in text

    def test_the_about_section_leaves_out_abbreviations_the_reader_never_needs(self, len_data):
        about = section(len_data, "about")
        assert "(CLL)" not in about
        assert "Celgene sells it under that name" not in about
        assert "a drug company called Celgene" in about
        assert "(eMC)" not in prose(len_data)

    def test_kidney_and_liver_changes_say_what_the_source_says(self, len_data):
        for slug in ("kidney-changes", "liver-changes"):
            assert "may work differently" not in effect(len_data, slug)


class TestPomalidomideInPlainEnglish:
    def test_a_low_count_may_delay_your_next_treatment(self, pom_data):
        text = section(pom_data, "how-to-take")
        assert "going on" not in text
        assert "delay your next treatment" in text

    def test_no_emc_or_pil_abbreviation_is_shown(self, pom_data):
        text = prose(pom_data)
        assert "(eMC)" not in text
        assert "(PIL)" not in text
        assert "electronic Medicines Compendium website" in text
