from __future__ import annotations

from django.urls import path

from calls import api

urlpatterns = [
    path("calls/", api.CallCollectionAPI.as_view(), name="api-calls"),
    path("calls/<str:call_id>/", api.CallDetailAPI.as_view(), name="api-call-detail"),
    path("stats/", api.StatsAPI.as_view(), name="api-stats"),
    path(
        "tracking-numbers/", api.TrackingNumberCollectionAPI.as_view(), name="api-tracking-numbers"
    ),
]
