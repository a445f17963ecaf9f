from __future__ import annotations

from django.urls import path

from attribution import api, public, views

urlpatterns = [
    path("dni.js", public.snippet, name="dni-snippet"),
    path("dni/v1/visits/", public.visits, name="dni-visits"),
    path("settings/website/", views.website_settings, name="website-settings"),
    path("api/v1/website/", api.WebsiteAPI.as_view(), name="api-website"),
]
