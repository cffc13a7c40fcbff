from django.urls import path

from drugs import views

app_name = "drugs"

urlpatterns = [
    path("", views.home, name="home"),
    path("drugs/", views.drug_list, name="list"),
    path("drugs/<slug:slug>/", views.drug_detail, name="detail"),
    path("side-effects/<slug:slug>/", views.side_effect_detail, name="side_effect"),
    path("glossary/", views.glossary, name="glossary"),
]
