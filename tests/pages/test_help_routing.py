"""What a patient is told to do: beside each effect, never weaker than the source, one answer per sign."""

from collections import defaultdict
from html import escape

import pytest
from django.urls import reverse

from drugs.models import HelpRule, Urgency
from drugs.pages.anchors import precaution_anchor, side_effect_anchor
from tests.pages.test_pages import text_of

pytestmark = pytest.mark.django_db

DRUGS = ["pomalidomide", "lenalidomide"]


def page_html(client, slug: str) -> str:
    """The whole guide on one page: every entry, never folded (tests/pages/test_guide_parts.py
    checks each part's own entries)."""
    response = client.get(reverse("drugs:guide", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


def entry_html(html: str, anchor: str) -> str:
    """One side effect's or precaution's entry: from its anchor to the next entry."""
    start = html.index(f'<div id="{anchor}"')
    ends = [
        i
        for i in (
            html.find('<div id="side-effect-', start + 1),
            html.find('<div id="precaution-', start + 1),
            html.find("</section>", start),
        )
        if i != -1
    ]
    return html[start : min(ends)]


def rules_of(slug: str):
    return HelpRule.objects.filter(side_effect__drug__slug=slug) | HelpRule.objects.filter(
        precaution__drug__slug=slug
    )


class TestActionBesideTheEffect:
    @pytest.mark.parametrize(
        "slug, thresholds, contact",
        [
            (
                "pomalidomide",
                ["above 37.5°C", "below 36°C"],
                "Call the hospital, on the 24-hour number your team gave you.",
            ),
            (
                "lenalidomide",
                ["above 38°C"],
                "Call your treatment centre, on the contact number your nurse gave you.",
            ),
        ],
    )
    def test_each_infection_entry_states_its_own_threshold_and_contact(
        self, client, real_content, slug, thresholds, contact
    ):
        entry = entry_html(page_html(client, slug), side_effect_anchor("infection"))
        for threshold in thresholds:
            assert threshold in entry
        assert "<strong>Call your team now</strong> if:" in entry
        assert escape(contact) in entry

    @pytest.mark.parametrize("slug", DRUGS)
    def test_every_rule_is_shown_inside_its_own_entry_with_its_level(
        self, client, real_content, slug
    ):
        html = page_html(client, slug)
        rules = rules_of(slug).select_related("side_effect__effect", "precaution", "timing")
        assert rules.count() > 10
        for rule in rules:
            if rule.side_effect:
                anchor = side_effect_anchor(rule.side_effect.effect.slug)
            else:
                anchor = precaution_anchor(rule.precaution)
            entry = entry_html(html, anchor)
            assert escape(rule.text) in entry, (anchor, rule.text)
            assert f"<strong>{rule.level_label}</strong> if:" in entry, (anchor, rule.text)

    def test_a_common_effect_that_sounds_like_a_warning_points_to_its_action(
        self, client, real_content
    ):
        # Clinical review 6.4: "You may get a high temperature" had no action beside it.
        html = page_html(client, "lenalidomide")
        flu = entry_html(html, side_effect_anchor("flu-like-symptoms"))
        assert "your temperature goes above 38°C" in flu
        headache = entry_html(html, side_effect_anchor("headache"))
        assert "<strong>Call your team now</strong> if:" in headache

    def test_the_allergy_entry_lists_its_own_signs(self, client, real_content):
        # Clinical review 3.2: the text pointed to "the signs below" and nothing followed.
        entry = entry_html(
            page_html(client, "lenalidomide"), side_effect_anchor("allergic-reaction")
        )
        assert "you have trouble breathing" in entry
        assert "especially of your face, tongue or throat" in entry


class TestWordsTheSourcesSupport:
    @pytest.mark.parametrize("slug", DRUGS)
    def test_no_level_says_a_sign_can_wait(self, client, real_content, slug):
        text = text_of(client.get(reverse("drugs:guide", args=[slug])))
        for words in ("Not urgent", "working hours", "next visit", "Tell your team soon"):
            assert words not in text

    def test_no_24_hour_line_is_promised_where_the_sources_give_none(self, client, real_content):
        # Clinical review 1.2: neither lenalidomide source mentions a 24-hour line.
        assert "24-hour" not in text_of(client.get(reverse("drugs:guide", args=["lenalidomide"])))
        assert "24-hour" in text_of(client.get(reverse("drugs:guide", args=["pomalidomide"])))

    def test_the_drug_databases_promptly_is_kept(self, client, real_content):
        html = page_html(client, "lenalidomide")
        assert "<strong>Tell your team promptly</strong> if:" in html


class TestOneAnswerPerSign:
    @pytest.mark.parametrize("slug", DRUGS)
    def test_no_sign_is_on_two_levels_without_its_condition(self, client, real_content, slug):
        html = page_html(client, slug)
        by_sign = defaultdict(list)
        for rule in rules_of(slug).select_related("sign"):
            by_sign[rule.sign.slug].append(rule)
        split = {
            sign: rules for sign, rules in by_sign.items() if len({r.urgency for r in rules}) > 1
        }
        for rules in split.values():
            for rule in rules:
                assert rule.condition
                assert (
                    f'{escape(rule.text)} <span class="condition">({escape(rule.condition)})</span>'
                    in html
                )

    def test_the_signs_the_review_found_on_two_cards_have_one_level(self, real_content):
        # Clinical review 2.1 and 2.2: breathlessness (pomalidomide) and peeing less or more
        # (lenalidomide) were both "not urgent" and urgent on the same page.
        assert set(
            rules_of("pomalidomide")
            .filter(sign__slug="breathless")
            .values_list("urgency", flat=True)
        ) == {Urgency.URGENT}
        assert set(
            rules_of("lenalidomide")
            .filter(sign__slug="pee-change")
            .values_list("urgency", flat=True)
        ) == {Urgency.URGENT}

    def test_chest_pain_is_999_on_both_drugs_and_each_escalation_says_why(self, real_content):
        # Clinical review 6.3: a rash went to 999 while heart-attack chest pain did not.
        for slug in DRUGS:
            chest = rules_of(slug).filter(sign__slug="chest-pain")
            assert set(chest.values_list("urgency", flat=True)) == {Urgency.IMMEDIATE}
        allergy = rules_of("lenalidomide").filter(side_effect__effect__slug="allergic-reaction")
        assert allergy.get(sign__slug="allergic-reaction").urgency == Urgency.URGENT
        for rule in rules_of("lenalidomide").exclude(escalation_reason=""):
            assert rule.escalation_source is not None

    def test_the_summary_lists_each_sign_once_per_level_naming_its_entries(
        self, client, real_content
    ):
        html = page_html(client, "pomalidomide")
        summary = html[html.index('id="getting-help"') :]
        summary = summary[: summary.index("</section>")]
        assert summary.count("<strong>Feeling breathless</strong>") == 1
        assert '<a href="#side-effect-anaemia">Anaemia (low red blood cells)</a>' in summary


class TestAcrossDrugs:
    def test_the_shared_infection_page_says_to_follow_your_own_medicines_advice(
        self, client, real_content
    ):
        # Clinical review 6.13: 37.5°C on one drug, 38°C on the other.
        text = text_of(client.get(reverse("drugs:side_effect", args=["infection"])))
        assert "above 37.5°C" in text and "above 38°C" in text
        assert "Follow the advice for your own medicine" in text


def test_the_cycle_key_fact_says_the_sources_differ(client, real_content):
    # Clinical review 4.2: the 21/7 cycle was shown to everyone as a fact.
    text = text_of(client.get(reverse("drugs:guide", args=["lenalidomide"])))
    fact = text[text.index("Treatment cycle") :][:250]
    assert "21 days of treatment, then 7 days without" in fact
    assert "The sources differ on how it is taken" in fact


def test_side_effect_pages_show_only_the_names_patients_may_see(client, real_content):
    # Clinical review 1.5: "Also called" showed search synonyms no source uses.
    allergy = text_of(client.get(reverse("drugs:side_effect", args=["allergic-reaction"])))
    assert "anaphylaxis" not in allergy.lower() and "infusion reaction" not in allergy.lower()
    listing = text_of(client.get(reverse("drugs:side_effects")))
    for word in ("puking", "the trots", "cachexia", "low iron", "encephalopathy"):
        assert word not in listing.lower()
    assert "Also called: peripheral neuropathy" in text_of(
        client.get(reverse("drugs:side_effect", args=["numbness-tingling"]))
    )
