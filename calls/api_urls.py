from __future__ import annotations

from django.urls import path

from calls import api, export_api, media_api

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
    path("exports/calls.csv", export_api.CallsCsvExportAPI.as_view(), name="api-export-csv"),
    path("exports/calls.xlsx", export_api.CallsXlsxExportAPI.as_view(), name="api-export-xlsx"),
    path("exports/jobs/<str:job_id>/", export_api.ExportJobAPI.as_view(), name="api-export-job"),
    path(
        "exports/jobs/<str:job_id>/download",
        export_api.ExportJobDownloadAPI.as_view(),
        name="api-export-job-download",
    ),
    path("contacts/export/", export_api.ContactExportAPI.as_view(), name="api-contact-export"),
    path(
        "tracking-numbers/", api.TrackingNumberCollectionAPI.as_view(), name="api-tracking-numbers"
    ),
    path(
        "tracking-numbers/<str:number_id>/",
        api.TrackingNumberDetailAPI.as_view(),
        name="api-tracking-number-detail",
    ),
]
