from __future__ import annotations

from django.urls import path

from calls import api, media_api

urlpatterns = [
    path("calls/", api.CallCollectionAPI.as_view(), name="api-calls"),
    path("calls/<str:call_id>/", api.CallDetailAPI.as_view(), name="api-call-detail"),
    path(
        "calls/<str:call_id>/recording/",
        media_api.CallRecordingAPI.as_view(),
        name="api-call-recording",
    ),
    path(
        "calls/<str:call_id>/voicemail/",
        media_api.CallVoicemailAPI.as_view(),
        name="api-call-voicemail",
    ),
    path("stats/", api.StatsAPI.as_view(), name="api-stats"),
    path(
        "tracking-numbers/", api.TrackingNumberCollectionAPI.as_view(), name="api-tracking-numbers"
    ),
]
