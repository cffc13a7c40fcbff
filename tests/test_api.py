"""The JSON API of published monographs, as documented in docs/api.md."""

import pytest
from django.urls import reverse

from drugs import models
from tests.pages.test_pages import count_queries
from tests.pages_data import full_drug

pytestmark = pytest.mark.django_db


class TestDrugList:
    def test_it_lists_published_drugs_only(self, client):
        full_drug()
        full_drug(slug="draftamide", name="Draftamide", status=models.Status.DRAFT)
        response = client.get(reverse("drugs:api_drugs"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        data = response.json()
        assert data["version"] == 1
        assert data["count"] == 1
        (drug,) = data["drugs"]
        assert drug == {
            "slug": "testamide",
            "name": "Testamide",
            "brand_names": ["Testix"],
            "treats": "Myeloma",
            "summary": "A capsule used to treat myeloma.",
            "last_reviewed": "2026-11-01",
            "next_review_due": "2099-11-01",
            "url": "https://meds.example.org/drugs/testamide/",
            "api_url": "https://meds.example.org/api/v1/drugs/testamide/",
        }

    def test_it_refuses_writes(self, client):
        assert client.post(reverse("drugs:api_drugs")).status_code == 405


class TestDrugDetail:
    def get(self, client, slug="testamide"):
        return client.get(reverse("drugs:api_drug", args=[slug]))

    def test_it_gives_the_whole_monograph(self, client):
        full_drug()
        data = self.get(client).json()
        assert data["pronunciation"] == "test-a-mide"
        assert data["cycle"] == {"days_on": 21, "days_off": 7}
        assert data["review_overdue"] is False
        assert [s["kind"] for s in data["sections"]] == [k.value for k in models.SectionKind]
        about = data["sections"][0]
        assert about["sources"] == ["leaflet"]
        assert about["disagreements"][0]["topic"] == "What it treats"
        assert about["html"].startswith("<p>")
        assert [s["key"] for s in data["sources"]] == ["leaflet", "database"]

    def test_side_effects_carry_bands_figures_and_help(self, client):
        full_drug()
        effects = self.get(client).json()["side_effects"]
        # Most common first, as on the page.
        assert [e["effect"]["slug"] for e in effects] == ["constipation", "tiredness", "infection"]
        constipation, tiredness, infection = effects
        assert constipation["figure"] == {"percent": 25, "natural": "1 in 4"}
        assert constipation["band"]["label"] == "Common"
        assert constipation["band"]["standard"]["key"] == "common"
        assert tiredness["figure"] is None
        assert tiredness["band"]["min_per_100"] is None
        assert tiredness["band"]["standard"]["label"] == "Common"
        assert infection["figure"]["percent"] == 30.5
        assert {(h["urgency"], h["when"]) for h in infection["get_help"]} == {
            ("immediate", "you have trouble breathing"),
            ("urgent", "your temperature goes above 38°C"),
            ("tell", "you keep getting colds"),
        }

    def test_precautions_keep_their_kind_audience_and_warning(self, client):
        full_drug()
        precautions = {p["title"]: p for p in self.get(client).json()["precautions"]}
        pregnancy = precautions["Preventing pregnancy"]
        assert pregnancy["kind"] == "pregnancy-prevention"
        assert pregnancy["applies_to"] == "can-get-pregnant"
        assert pregnancy["warning"] is True
        assert precautions["Giving blood"]["disagreements"][0]["sources"] == [
            "leaflet",
            "database",
        ]

    def test_unknown_and_unpublished_drugs_are_404_json(self, client):
        full_drug(status=models.Status.REVIEW)
        for slug in ["testamide", "nothing"]:
            response = self.get(client, slug)
            assert response.status_code == 404
            assert response.json() == {"error": "not found"}

    def test_unknown_api_paths_are_404_json(self, client):
        response = client.get("/api/v1/nothing/")
        assert response.status_code == 404
        assert response.json() == {"error": "not found"}

    def test_query_count_does_not_grow_with_side_effects(self, client, django_assert_num_queries):
        full_drug(slug="small", name="Small")
        full_drug(slug="large", name="Large", effects=25)
        expected = count_queries(client, reverse("drugs:api_drug", args=["small"]))
        with django_assert_num_queries(expected):
            self.get(client, "large")


def test_effects_link_to_their_cross_drug_page(client):
    full_drug()
    data = client.get(reverse("drugs:api_drug", args=["testamide"])).json()
    url = data["side_effects"][0]["effect"]["url"]
    assert url == "https://meds.example.org" + reverse("drugs:side_effect", args=["constipation"])
