"""The glossary after the clinical review of December 2026 (sections 1.9, 2.7, 2.8, 5 and 6.8).

A glossary alias links every use of that word on a drug page to its entry, and the glossary
page prints it as "Also written as". So an alias must mean exactly what its entry means, and
every hard word the review lists must have an entry of its own. Plain YAML: no database.
"""

from pathlib import Path

import pytest
import yaml

GLOSSARY = Path(__file__).resolve().parents[2] / "content" / "glossary.yaml"


def load_terms() -> list[dict]:
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))["terms"]


TERMS = load_terms()


def entry(term: str) -> dict:
    found = [t for t in TERMS if t["term"].lower() == term.lower()]
    assert found, f"no glossary entry {term!r}"
    return found[0]


def aliases(term: str) -> set[str]:
    return {a.lower() for a in entry(term).get("aliases") or []}


def words_of(t: dict) -> list[str]:
    return [t["term"].lower(), *(a.lower() for a in t.get("aliases") or [])]


def entries_for(word: str) -> list[str]:
    """The terms whose own name or aliases include the word (any case)."""
    return [t["term"] for t in TERMS if word.lower() in words_of(t)]


# Review 2.7 and 6.8: aliases that meant something else than their entry.


def test_infertility_is_not_an_alias_of_fertility():
    about_fertility = [t for t in TERMS if "pregnant" in t["definition"].lower()]
    for t in about_fertility:
        if t["term"].lower() != "infertility":
            assert not {"infertility", "infertile"} & set(words_of(t)), t["term"]
    assert "infertile" in aliases("Infertility")
    assert entry("Infertility")["definition"].lower().startswith("not being able")


def test_acute_leukaemia_is_not_an_alias_of_aml():
    assert not {"acute leukaemia", "acute leukemia"} & aliases("Acute myeloid leukaemia")


def test_acute_leukaemia_has_its_own_entry_with_no_subtype():
    acute = entry("Acute leukaemia")
    assert "acute leukemia" in aliases("Acute leukaemia")
    assert "myeloid" not in acute["definition"].lower()
    assert "quickly" in acute["definition"].lower()


def test_progesterone_is_not_an_alias_of_the_progesterone_only_pill():
    assert "progesterone" not in aliases("Progesterone-only pill")
    assert "pill" not in entry("Progesterone")["definition"].lower()


def test_hepatitis_is_not_an_alias_of_hepatitis_b():
    assert "hepatitis" not in aliases("Hepatitis B")
    assert "liver" in entry("Hepatitis")["definition"].lower()


def test_thrombosis_is_not_an_alias_of_deep_vein_thrombosis():
    assert "thrombosis" not in aliases("Deep vein thrombosis")
    assert "deep" not in entry("Thrombosis")["definition"].lower().split(".")[0]


def test_chest_infection_is_not_an_alias_of_pneumonia():
    assert not {"chest infection", "chest infections"} & aliases("Pneumonia")
    assert entries_for("chest infection") == ["Chest infection"]


def test_oral_polio_is_not_an_alias_of_polio_the_infection():
    assert "oral polio" not in aliases("Polio")
    assert entries_for("oral polio") == ["Oral polio vaccine"]
    assert "vaccine" in entry("Oral polio vaccine")["definition"].lower()


def test_glands_is_not_an_alias_of_lymph_node():
    assert "glands" not in aliases("Lymph node")


def test_heartbeat_is_not_an_alias_of_heart_rhythm():
    assert not {"heartbeat", "irregular heartbeat"} & aliases("Heart rhythm")


def test_high_blood_pressure_and_high_cholesterol_have_entries_that_explain_high():
    assert "high blood pressure" not in aliases("Blood pressure")
    assert "high cholesterol" not in aliases("Cholesterol")
    assert "higher than" in entry("High blood pressure")["definition"].lower()
    assert "too much" in entry("High cholesterol")["definition"].lower()


def test_cell_cycle_arrest_is_not_an_alias_of_cell_cycle():
    assert "cell cycle arrest" not in aliases("Cell cycle")
    assert "stops" in entry("Cell cycle arrest")["definition"].lower()


@pytest.mark.parametrize(
    "word",
    [
        "infertility",
        "acute leukaemia",
        "hepatitis",
        "thrombosis",
        "chest infection",
        "oral polio",
        "high blood pressure",
        "high cholesterol",
        "cell cycle arrest",
    ],
)
def test_a_word_the_review_moved_links_to_one_entry_that_is_not_the_old_one(word):
    old = {
        "infertility": "Fertility",
        "acute leukaemia": "Acute myeloid leukaemia",
        "hepatitis": "Hepatitis B",
        "thrombosis": "Deep vein thrombosis",
        "chest infection": "Pneumonia",
        "oral polio": "Polio",
        "high blood pressure": "Blood pressure",
        "high cholesterol": "Cholesterol",
        "cell cycle arrest": "Cell cycle",
    }[word]
    found = entries_for(word)
    assert len(found) == 1 and found != [old], found


# Review 2.8: the sources advise against, or warn about, the pill.


def test_contraception_definition_does_not_offer_the_pill_as_an_example():
    definition = entry("Contraception")["definition"].lower()
    assert "pill" not in definition
    assert "prevent pregnancy" in definition
    assert "your team" in definition


# Review 1.9: no source gives tumour flare a timing.


def test_tumour_flare_definition_gives_no_timing():
    definition = entry("Tumour flare")["definition"].lower()
    for timing in ("after treatment starts", "short time", "for a while"):
        assert timing not in definition


# Review 5: hard words on the pages and in the glossary's own definitions.

HARD_WORDS = [
    "pregnancy prevention programme",
    "abnormalities",
    "hydrated",
    "salts and minerals",
    "latex",
    "bowel",
    "erection",
    "fever",
    "Celgene",
    "neutrophils",
    "lymphocytes",
    "progestogen",
    "uric acid",
]


@pytest.mark.parametrize("word", HARD_WORDS)
def test_every_hard_word_from_the_review_is_a_term_or_alias(word):
    assert entries_for(word), f"{word!r} has no glossary entry"


def test_celgene_is_described_as_the_company_behind_revlimid():
    definition = entry("Celgene")["definition"]
    assert "company" in definition and "Revlimid" in definition


# Every word links to one entry only.


def test_no_word_is_the_term_or_alias_of_two_entries():
    seen: dict[str, str] = {}
    clashes = []
    for t in TERMS:
        for word in set(words_of(t)):
            if word in seen:
                clashes.append((word, seen[word], t["term"]))
            seen[word] = t["term"]
    assert clashes == []
