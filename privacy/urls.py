from __future__ import annotations

from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.privacy_centre, name="privacy-centre"),
    path("privacy/request/", views.public_request, name="privacy-request"),
    path("privacy/request/verify/", views.public_request_verify, name="privacy-request-verify"),
]
