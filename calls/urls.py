from __future__ import annotations

from django.urls import path

from calls import views

urlpatterns = [
    path("", views.home, name="home"),
    path("calls/", views.call_list, name="call-list"),
    path("calls/<str:call_id>/", views.call_detail, name="call-detail"),
    path("contacts/", views.contact_lookup, name="contact-lookup"),
    path("exports/<str:job_id>/", views.export_job_page, name="export-job"),
    path("settings/", views.settings_page, name="settings"),
    path(
        "settings/tracking-numbers/new/",
        views.tracking_number_create,
        name="tracking-number-create",
    ),
    path(
        "settings/tracking-numbers/<str:number_id>/toggle/",
        views.tracking_number_toggle,
        name="tracking-number-toggle",
    ),
    path(
        "settings/tracking-numbers/<str:number_id>/edit/",
        views.tracking_number_edit,
        name="tracking-number-edit",
    ),
    path("settings/api-keys/new/", views.api_key_create, name="api-key-create"),
    path("settings/api-keys/<str:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
