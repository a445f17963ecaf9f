from __future__ import annotations

from django.urls import path

from reports import views

urlpatterns = [
    path("reports/", views.report_page, name="reports"),
    path("reports/report.xlsx", views.report_download, name="reports-xlsx"),
]
