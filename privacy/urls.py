from __future__ import annotations

from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.privacy_centre, name="privacy-centre"),
    path("privacy/audit/", views.audit_log, name="privacy-audit"),
    path("privacy/audit.csv", views.audit_log_csv, name="privacy-audit-csv"),
    path("privacy/request/", views.public_request, name="privacy-request"),
    path("privacy/request/verify/", views.public_request_verify, name="privacy-request-verify"),
]
