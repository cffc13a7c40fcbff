from django.urls import path

from drugs import api
from drugs.handout import views as handout_views
from drugs.pages import guide, views
from drugs.search import views as search_views

app_name = "drugs"

urlpatterns = [
    path("", views.home, name="home"),
    path("drugs/", views.drug_list, name="list"),
    path("drugs/<slug:slug>/", views.drug_detail, name="detail"),
    path("drugs/<slug:slug>/handout/", handout_views.handout, name="handout"),
    path("drugs/<slug:slug>/calendar.ics", handout_views.calendar, name="calendar"),
    # The guide's parts; after the handout, whose path a part's slug would otherwise take.
    path("drugs/<slug:slug>/all/", guide.whole_guide, name="guide"),
    path("drugs/<slug:slug>/<slug:part>/", guide.part, name="part"),
    path("side-effects/", views.side_effect_list, name="side_effects"),
    path("side-effects/<slug:slug>/", views.side_effect_detail, name="side_effect"),
    path("glossary/", views.glossary, name="glossary"),
    path("compare/", views.compare, name="compare"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("feedback/", views.feedback, name="feedback"),
    path("search/", search_views.search_page, name="search"),
    path("api/v1/search", search_views.api_search, name="api_search"),
    path("api/v1/drugs/", api.drug_list, name="api_drugs"),
    path("api/v1/drugs/<slug:slug>/", api.drug_detail, name="api_drug"),
]
