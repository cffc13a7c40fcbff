"""Spot checks from the clinical review (content-review-2026-12.md, 1.3, 1.4, 1.5, 1.14, 6.9, 6.10).

Plain YAML reads of content/side-effects.yaml and content/vocabulary.yaml: no database.

- `also_called` is the only list of other names shown to patients. Each name is a source's word
  for the effect, or a plain everyday word for exactly the same thing.
- `lay_names` and `synonyms` are search-only. They may hold medical and US terms, but nothing
  wrong in meaning, and no warning-sign word that would send a search to a less urgent effect.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
SEEDS = ROOT.parent / "shared" / "seeds"


def _load(name: str) -> dict:
    with open(CONTENT / name, encoding="utf-8") as f:
        return yaml.safe_load(f)


EFFECTS = {e["slug"]: e for e in _load("side-effects.yaml")["side_effects"]}
VOCABULARY = _load("vocabulary.yaml")["lay_terms"]


def shown(slug: str) -> list[str]:
    return [w.lower() for w in EFFECTS[slug].get("also_called") or []]


def search_words(slug: str) -> list[str]:
    e = EFFECTS[slug]
    return [w.lower() for w in (e.get("lay_names") or []) + (e.get("synonyms") or [])]


def every_word(slug: str) -> list[str]:
    return shown(slug) + search_words(slug)


def has_word(words: list[str], word: str) -> bool:
    """True if any entry contains `word` as a whole word (so "weak" is not "weakness")."""
    pattern = re.compile(rf"\b{re.escape(word.lower())}\b")
    return any(pattern.search(w) for w in words)


# Medical terms that no source uses (review 1.5, 6.9). They may stay as search words, never shown.
NOT_SHOWN = [
    "anaphylaxis",
    "angioedema",
    "infusion reaction",
    "hives",
    "encephalopathy",
    "cachexia",
    "delirium",
    "anorexia",
    "atrial fibrillation",
    "af",
    "pneumonitis",
    "interstitial lung disease",
    "pulmonary toxicity",
    "cardiotoxicity",
    "febrile neutropenia",
    "immunosuppression",
    "azoospermia",
    "vertigo",
    "night sweats",
    "liver damage",
    "yellow skin",
    "fatigue",
    "asthenia",
    "malaise",
]

# Slang: fine for search, never shown.
SLANG = ["puking", "the trots", "the runs", "bunged up", "backed up", "can't get hard"]

# Plain everyday words allowed in also_called although no source uses them.
PLAIN_WORDS = {"loose or watery poo", "muscle aches", "water infection", "feeling tired"}


# --- Names shown to patients -------------------------------------------------------------


def test_effects_have_names_shown_to_patients_only_in_also_called():
    # Today some effects carry also_called; lay_names and synonyms are never shown.
    assert any(e.get("also_called") for e in EFFECTS.values())
    for slug, e in EFFECTS.items():
        assert isinstance(e.get("also_called", []), list), slug


def all_shown() -> list[str]:
    names = [n for slug in EFFECTS for n in shown(slug)]
    # Guard: before also_called, every lay name and synonym was shown, and these checks
    # would pass on an empty list.
    assert names, "no effect has also_called"
    return names


def test_no_name_shown_to_patients_is_a_medical_term_no_source_uses():
    all_shown()
    for slug in EFFECTS:
        for term in NOT_SHOWN:
            assert not has_word(shown(slug), term), f"{slug} is shown as {term!r}"


def test_no_name_shown_to_patients_is_slang():
    all_shown()
    for slug in EFFECTS:
        for term in SLANG:
            assert not has_word(shown(slug), term), f"{slug} is shown as {term!r}"


def test_every_name_shown_to_patients_is_a_source_word_or_an_approved_plain_word():
    if not SEEDS.is_dir():
        pytest.skip("source files not available")
    sources = " ".join(
        " ".join(p.read_text(encoding="utf-8").lower().split()) for p in SEEDS.glob("*.txt")
    )
    all_shown()
    for slug in EFFECTS:
        for name in shown(slug):
            assert name in sources or name in PLAIN_WORDS, f"{slug}: {name!r} is in no source"


def test_allergic_reaction_is_never_called_anaphylaxis_or_an_infusion_reaction():
    assert not has_word(shown("allergic-reaction"), "anaphylaxis")
    # Both drugs are capsules: "infusion reaction" is wrong even as a search word.
    assert not has_word(every_word("allergic-reaction"), "infusion")


def test_anaphylaxis_still_finds_allergic_reaction_in_search():
    assert "anaphylaxis" in search_words("allergic-reaction")
    assert "anaphylaxis" not in shown("allergic-reaction")


# --- Words that are wrong in meaning (review 1.5, 6.9) -------------------------------------


def test_anaemia_is_never_low_iron_or_pale():
    assert not has_word(every_word("anaemia"), "iron")
    assert not has_word(every_word("anaemia"), "pale")


def test_no_effect_is_called_low_iron():
    for slug in EFFECTS:
        assert not has_word(every_word(slug), "low iron"), slug


def test_mild_liver_changes_are_never_called_liver_damage_or_yellow_skin():
    assert not has_word(every_word("liver-changes"), "liver damage")
    assert not has_word(every_word("liver-changes"), "yellow skin")


def test_kidney_disorder_is_never_weak_and_sore_bones():
    assert not has_word(every_word("kidney-disorder"), "weak and sore bones")


def test_blood_mineral_changes_have_no_direction_the_source_does_not_give():
    words = every_word("blood-mineral-changes")
    for mineral in ("potassium", "sodium", "calcium"):
        assert not has_word(words, f"low {mineral}")
        assert not has_word(words, f"high {mineral}")
    for directional in ("hypokalaemia", "hyponatraemia", "hypocalcaemia", "hypokalemia"):
        assert directional not in words


def test_blood_clots_are_never_sticky_blood():
    assert not has_word(every_word("blood-clots"), "sticky blood")


def test_effects_on_the_heart_are_risk_factors_not_heart_damage():
    assert "cardiotoxicity" not in every_word("heart-problems")


def test_sweating_more_is_not_night_sweats():
    assert not has_word(every_word("sweating"), "night sweats")


# --- Search words that would lead to a less urgent effect (review 6.10) --------------------


def test_weakness_never_leads_to_tiredness():
    assert not has_word(every_word("tiredness"), "weak")
    assert "asthenia" not in every_word("tiredness")


def test_muscle_spasms_never_lead_to_muscle_pain():
    assert not any("spasm" in w for w in every_word("muscle-pain"))


@pytest.mark.parametrize(
    "word", ["breathless", "breath", "cough", "wheezing", "wheezy", "dyspnoea"]
)
def test_breathing_warning_signs_never_lead_to_lung_changes(word):
    assert not has_word(every_word("lung-changes"), word)


def test_chest_pain_does_not_lead_only_to_heart_attack():
    with_chest_pain = [s for s in EFFECTS if has_word(search_words(s), "chest pain")]
    assert with_chest_pain != ["heart-attack"]
    assert not has_word(search_words("heart-attack"), "chest pain")


def test_burning_chest_never_leads_to_heartburn():
    assert not has_word(every_word("heartburn"), "chest")


def test_a_high_temperature_leads_to_infection_not_only_flu_like_symptoms():
    assert has_word(search_words("infection"), "high temperature")
    for word in ("fever", "high temperature", "pyrexia", "febrile"):
        assert not has_word(search_words("flu-like-symptoms"), word)


def test_a_pounding_heartbeat_never_leads_to_heart_rhythm_changes():
    words = every_word("heart-rhythm-changes")
    assert "palpitations" not in words
    assert not has_word(words, "fast heartbeat")
    assert "palpitations" in every_word("pounding-heartbeat")


def test_pain_when_peeing_never_leads_only_to_urine_infection():
    words = every_word("urine-infection")
    assert not has_word(words, "burning pee")
    assert not has_word(words, "stinging when i pee")


def test_peeing_less_never_leads_to_the_kidney_changes_that_are_not_urgent_for_lenalidomide():
    words = every_word("kidney-changes")
    assert not has_word(words, "peeing less")
    assert not has_word(words, "not peeing much")


# --- Shared names that must not claim more than every drug's source (review 1.3, 1.4) -----


@pytest.mark.parametrize(
    "slug, name",
    [
        ("muscle-pain", "Muscle pain"),
        ("joint-pain", "Joint pain"),
        ("sore-mouth", "Sore mouth"),
        ("swelling", "Swelling"),
    ],
)
def test_shared_name_claims_only_what_every_source_says(slug, name):
    assert EFFECTS[slug]["name"] == name


def test_pomalidomide_muscle_pain_is_never_shown_as_cramps():
    assert not has_word(shown("muscle-pain") + [EFFECTS["muscle-pain"]["name"].lower()], "cramps")


def test_swelling_is_not_shown_as_fluid_build_up_for_lenalidomide():
    assert "fluid" not in EFFECTS["swelling"]["name"].lower()
    assert not has_word(shown("swelling"), "fluid")


# --- Vocabulary (review 1.14) ---------------------------------------------------------------


def test_vocabulary_has_no_hair_loss_searches_no_source_covers():
    for term in VOCABULARY:
        assert term["phrase"].lower() not in {"bald", "hair falling out"}
        assert not any("hair" in m.lower() for m in term["means"]), term["phrase"]


def test_every_slug_is_kept():
    for slug in (
        "infection",
        "anaemia",
        "allergic-reaction",
        "muscle-pain",
        "joint-pain",
        "sore-mouth",
        "swelling",
        "lung-changes",
        "tiredness",
        "kidney-disorder",
        "blood-mineral-changes",
        "heart-attack",
        "blood-clots",
        "liver-changes",
        "pounding-heartbeat",
    ):
        assert slug in EFFECTS
    assert len(EFFECTS) == 63
