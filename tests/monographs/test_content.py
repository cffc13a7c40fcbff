"""The real monographs: every fact of the sources reaches the page, in plain English."""

import html
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from drugs.editorial import readability
from drugs.models import Drug, GlossaryTerm

pytestmark = pytest.mark.django_db

VERBATIM_CHECK = Path(settings.BASE_DIR).parent / "shared" / "tools" / "verbatim_check.py"


def plain_text(markup: str) -> str:
    """The page as text: no tags or entities, one space between words."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.DOTALL | re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup))
    text = " ".join(text.split())
    # Tags around a glossary word leave spaces inside brackets and before punctuation.
    text = re.sub(r"\(\s+", "(", text)
    return re.sub(r"\s+([).,;:!?])", r"\1", text)


def page_text(client, slug: str) -> str:
    """The whole guide on one page: every fact of every part."""
    response = client.get(reverse("drugs:guide", kwargs={"slug": slug}))
    assert response.status_code == 200
    return plain_text(response.content.decode())


def missing(text: str, facts: list[str]) -> list[str]:
    return [fact for fact in facts if fact not in text]


def drug_report(slug: str) -> readability.Report:
    drug = Drug.objects.with_monograph().get(slug=slug)
    explained = readability.glossary_words(GlossaryTerm.objects.values_list("term", "aliases"))
    return readability.report_for_text(
        readability.patient_facing_text(readability.drug_blocks(drug)), explained
    )


LENALIDOMIDE_FACTS = [
    # What it is, what it treats, how it works
    "len-a-lid-oh-mide",
    "Its brand name is Revlimid",
    "Celgene",
    "biological therapy",
    "myelodysplastic syndromes (MDS)",
    "mantle cell lymphoma (MCL)",
    "not advised for one type of chronic lymphocytic leukaemia",
    "a steroid called dexamethasone",
    "a chemotherapy drug called melphalan",
    "clinical trial",
    "immunomodulatory",
    "stops tumours making their own blood vessels",
    "making the immune system respond less",
    # How to take it
    "Swallow the capsules whole with a glass of water",
    "Do not open, break or chew them",
    "with or without food",
    "once a day",
    "every day for 3 weeks (21 days)",
    "stop for 1 week (7 days)",
    "Never stop taking it without talking to your specialist first",
    "Revlimid REMS",
    "Medication Guide",
    "how well your liver and kidneys work",
    # Missed doses
    "Less than 12 hours: take the capsule straight away",
    "More than 12 hours: do not take that capsule",
    "at the usual time the next day",
    # Handling and storage
    "wash it off with soap and water",
    "Do not breathe in dust from a broken capsule",
    "through the skin and the lungs",
    "where children cannot reach it",
    # Pregnancy
    "2 pregnancy tests",
    "a pregnancy test every 4 weeks during treatment",
    "another test 4 weeks after treatment ends",
    "for 4 weeks before treatment starts",
    "contraceptive pill working so well",
    "if your period is late",
    "unusual bleeding from your vagina",
    "Small amounts of lenalidomide get into semen",
    "Keep using condoms for 1 week after treatment ends",
    "latex condom",
    "Do not give (donate) sperm",
    "Wait until 4 weeks after you stop",
    "Do not breastfeed",
    "does not cause physical defects in adults",
    # Side effect figures and details
    "just under 1 in 3",
    "Nearly 1 in 3 people (30%)",
    "within 6 months to a year",
    "1 in 4 people (25%)",
    "at least 2 to 3 litres of fluid",
    "1 in 5 people (20%) get muscle cramps",
    "Nearly 1 in 5 people (20%) get a blood clot",
    "A little over 1 in 10 people (10%) get diarrhoea",
    "give you aspirin",
    "pulmonary embolism",
    "deep vein thrombosis",
    "products that contain oestrogen",
    "(petechiae)",
    "(pneumonia)",
    "potassium, sodium and calcium",
    "store sperm",
    "(cataract)",
    "(hypothyroidism)",
    "(tinnitus)",
    "become deaf",
    "acute myeloid leukaemia (AML)",
    "basal cell skin cancer",
    "(rigors)",
    "(low libido)",
    "sun block",
    "Bleeding can happen inside the skull",
    "tumour lysis syndrome (TLS)",
    "tumour flare reaction",
    "(ECGs)",
    # Thresholds and urgency
    "your temperature goes above 38°C",
    "your diarrhoea becomes severe",
    "your diarrhoea goes on for more than 3 days",
    "you suddenly get chest pain",
    "you suddenly get pain in your leg",
    "chest pain that spreads to your arms, neck or jaw",
    "you feel very thirsty",
    "you pee more than usual",
    "you pee less than usual",
    "your ankles, feet or hands swell",
    "(flank pain)",
    "tender or swollen lymph nodes",
    "you have trouble breathing",
    # The drug database's "especially", not "mostly" (clinical review 2.3).
    "especially of your face, tongue or throat",
    "you pee large amounts and have bone pain and weakness",
    # Other precautions
    "Wait at least 6 months",
    "MMR, for measles, mumps and rubella",
    "Zostavax, for shingles",
    "The flu vaccine is safe",
    "oral polio, cholera or typhoid vaccine",
    "Do not have any vaccine unless your doctor agrees",
    "lactose (milk sugar)",
    "paracetamol (acetaminophen)",
    "vitamins, herbal products",
    "high cholesterol",
    "Older adults may be affected more by side effects",
    "An infection you already have may get worse",
    "MHRA",
    "www.medicines.org.uk",
    # For health professionals
    "0.6–1.5 hr",
    "high-fat, high-calorie meal",
    "About 30% bound to plasma proteins",
    "poorly metabolised",
    "about 66% as the unchanged drug",
    "half-life 3–5 hr",
    "interleukin-2",
]

LENALIDOMIDE_DISAGREEMENTS = [
    "Cancer Research UK says do not give blood for 1 week after treatment",
    "The drug database says do not give blood for 4 weeks after you stop",
    "Cancer Research UK says blood clots are common: nearly 1 in 5 people (20%) get one",
    "The drug database says lenalidomide rarely causes blood clots",
    "being near people who had a live vaccine as an injection is safe",
    "The drug database says avoid contact with anyone recently given a live vaccine",
    "Cancer Research UK lists heart attack as a common side effect",
    "lists heart attack as a clot problem that it says happens rarely",
    "lists blood disorders such as acute myeloid leukaemia as occasional",
    "other cancers, such as acute leukaemia, happen rarely",
    "liver changes are very mild and will almost certainly go back to normal",
    "serious liver disease, which could be fatal, can happen rarely",
    "Cancer Research UK says use condoms during treatment and for 1 week after",
    "always use a latex condom and gives no end date",
]

POMALIDOMIDE_FACTS = [
    # What it is
    "Its brand name is Imnovid",
    "targeted therapy",
    "used to treat myeloma",
    "works in several different ways",
    "(consent)",
    "electronic Medicines Compendium website",
    # How to take it
    "Swallow the capsules whole with a glass of water",
    "Do not chew, open or crush them",
    "with or without food",
    "at the same time each day",
    "If you are sick soon after taking them, contact the hospital. Do not take another dose.",
    "steroids or other cancer drugs",
    "rest days",
    "You may get a copy of the plan to take home",
    "Take any capsules you have not used back to the pharmacist",
    "how well your kidneys and liver work",
    "your doctor may delay your next treatment for a short time",
    # Missed doses
    "as soon as you can on the same day",
    "If a whole day has gone by, tell your doctor or nurse",
    "Do not take a double dose",
    # Handling and storage
    "wear gloves they can throw away",
    "Do not touch the capsules if you are pregnant",
    "Wash your hands after you take your capsules",
    "original pack",
    "room temperature",
    "direct sunlight",
    "where children cannot see or reach them",
    # Pregnancy
    "pregnancy prevention programme",
    "sign a consent form",
    "every 4 weeks while you take it",
    "for 4 weeks after treatment ends",
    "for 4 weeks before treatment",
    "an implant",
    "an injection",
    "the progesterone-only pill",
    "The combined pill is not advised. It raises your risk of blood clots.",
    "Keep using condoms for 1 week after treatment ends",
    "pomalidomide can get into your semen",
    "you think you might be pregnant",
    "If your partner may be pregnant",
    "not to breastfeed",
    # Side effects and what to do
    "neutropenia",
    "(platelet transfusion)",
    "(blood transfusion)",
    "On black or brown skin, the spots may be harder to see",
    "(SPF) of at least 30",
    "2 litres (3½ pints)",
    "laxatives",
    "stoma",
    "soft toothbrush",
    "(peripheral neuropathy)",
    "heat pad",
    "rasburicase",
    "allopurinol",
    "hepatitis B",
    "(anticoagulants)",
    "high cholesterol",
    "This is rare",
    # Thresholds and urgency
    "your temperature goes above 37.5°C",
    "your temperature goes below 36°C",
    "you feel unwell, even if your temperature is normal",
    "you have bruising or bleeding that you cannot explain",
    "you have a rash that is spreading",
    "your skin blisters or peels",
    "you have not been able to poo for over 2 days and you are being sick",
    "you have loose poo 3 or more times a day",
    "you vomit (are sick) 1 to 2 times in 24 hours",
    "blisters, ulcers or white patches",
    "your face, legs or ankles swell",
    "you are putting on weight",
    "there is blood in your pee",
    "you have a cough that does not go away",
    "you feel dizzy, confused or unsteady",
    "you have chest pain",
    "you have difficulty breathing",
    "throbbing pain or swelling in a leg or arm",
    "or darker on black or brown skin",
    "you have problems moving or speaking",
    "a headache that does not get better",
    # Other precautions
    "Do not give (donate) blood during treatment, or for 1 week after it ends",
    "do not have live vaccines",
    "yellow fever",
    "flu and coronavirus (covid)",
    "Always tell your team about any drugs you take, or plan to take",
    "talk to your doctor before treatment starts",
    "Always tell your dentist",
    "Do not drive or use machines if you feel sleepy",
    "24-hour phone numbers",
]


class TestLenalidomidePage:
    def test_it_shows_every_lenalidomide_fact(self, client, real_content):
        assert len(LENALIDOMIDE_FACTS) >= 30
        assert missing(page_text(client, "lenalidomide"), LENALIDOMIDE_FACTS) == []

    def test_it_shows_every_lenalidomide_threshold(self, client, real_content):
        text = page_text(client, "lenalidomide")
        thresholds = ["38°C", "12 hours", "more than 3 days", "(30%)", "(25%)", "(20%)", "(10%)"]
        assert missing(text, thresholds) == []

    def test_it_shows_where_the_lenalidomide_sources_differ(self, client, real_content):
        text = page_text(client, "lenalidomide")
        assert missing(text, LENALIDOMIDE_DISAGREEMENTS) == []
        # Every disagreement is declared in its own "Sources differ" note (clinical review 4):
        # the 7 shown before, plus the pregnancy rule, the cycle, the immune system and uses.
        from drugs.models import Disagreement

        page = client.get(reverse("drugs:guide", args=["lenalidomide"])).content.decode()
        notes = Disagreement.objects.filter(drug__slug="lenalidomide").count()
        assert notes >= 11
        assert page.count('<div class="differ">') == notes


class TestPomalidomidePage:
    def test_it_shows_every_pomalidomide_fact(self, client, real_content):
        assert len(POMALIDOMIDE_FACTS) >= 30
        assert missing(page_text(client, "pomalidomide"), POMALIDOMIDE_FACTS) == []

    def test_it_shows_every_pomalidomide_threshold(self, client, real_content):
        text = page_text(client, "pomalidomide")
        thresholds = ["37.5°C", "36°C", "3 or more times a day", "1 to 2 times in 24 hours"]
        assert missing(text, thresholds + ["over 2 days", "1 week after"]) == []

    def test_it_leaves_out_what_its_one_source_does_not_give(self, client, real_content):
        assert "Sources differ" not in page_text(client, "pomalidomide")
        drug = Drug.objects.get(slug="pomalidomide")
        assert drug.pronunciation == ""
        assert drug.cycle_days_on is None
        assert not drug.sections.filter(kind="professionals").exists()
        assert not drug.side_effects.exclude(figure_text="").exists()


@pytest.mark.parametrize("slug", ["lenalidomide", "pomalidomide"])
class TestPlainEnglish:
    def test_the_patient_facing_grade_is_6_or_lower(self, real_content, slug):
        assert drug_report(slug).grade <= 6.0

    def test_no_sentence_is_long_and_every_medical_word_is_explained(self, real_content, slug):
        report = drug_report(slug)
        assert report.long_sentences == ()
        assert report.unexplained_terms == ()


def test_both_drugs_use_the_same_slug_for_the_same_side_effect(real_content):
    shared = {"infection", "anaemia", "bruising-bleeding", "tiredness", "constipation",
              "diarrhoea", "blood-clots", "feeling-sick", "numbness-tingling"}  # fmt: skip
    for drug in Drug.objects.filter(slug__in=["lenalidomide", "pomalidomide"]):
        assert shared <= set(drug.side_effects.values_list("effect__slug", flat=True))


@pytest.mark.skipif(not VERBATIM_CHECK.exists(), reason="the shared verbatim check is not here")
def test_no_10_word_run_is_copied_from_a_source():
    result = subprocess.run(
        [sys.executable, str(VERBATIM_CHECK), str(settings.CONTENT_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


class TestContentReport:
    def run(self, *args) -> str:
        out = io.StringIO()
        call_command("content_report", *args, stdout=out)
        return out.getvalue()

    def test_it_reports_each_section_and_a_patient_facing_total(self, real_content):
        out = self.run()
        assert "Lenalidomide (lenalidomide)" in out
        assert "Pomalidomide (pomalidomide)" in out
        assert out.count("Patient-facing total: reading ease") == 2
        for label in ("What lenalidomide is:", "If you miss a dose:", "Side effects:",
                      "Precautions:", "For health professionals (not in the total):"):  # fmt: skip
            assert label in out
        grades = [float(g) for g in re.findall(r"Patient-facing total: .*?grade (-?[\d.]+)", out)]
        assert len(grades) == 2 and all(g <= 6.0 for g in grades)

    def test_it_reports_one_drug(self, real_content):
        out = self.run("--drug", "pomalidomide")
        assert "Pomalidomide (pomalidomide)" in out
        assert "Lenalidomide" not in out

    def test_it_rejects_an_unknown_drug(self):
        with pytest.raises(CommandError, match="No drug"):
            self.run("--drug", "nonesuch")


class TestReadability:
    def test_list_items_and_list_intros_count_as_sentences(self):
        text = readability.markdown_to_text("Signs include:\n\n- a cough\n- a sore throat\n")
        assert readability.sentences(text) == ["Signs include.", "a cough.", "a sore throat."]

    def test_it_lists_sentences_over_20_words(self):
        long = " ".join(["word"] * 21) + "."
        report = readability.report_for_text(f"A short one. {long}", set())
        assert report.long_sentences == (long,)

    def test_it_finds_medical_words_without_a_glossary_entry(self):
        text = "Tumour lysis syndrome and neutropenia can happen. Platelets help clotting."
        explained = readability.glossary_words([("Platelet", []), ("Neutropenia", [])])
        report = readability.report_for_text(text, explained)
        assert report.unexplained_terms == ("tumour lysis syndrome",)

    def test_it_matches_whole_words_only(self):
        assert readability.medical_terms_in("A stomach ache, not a stoma.") == {"stoma"}
