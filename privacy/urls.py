from __future__ import annotations

from django.urls import path

from privacy import views

urlpatterns = [path("privacy/", views.privacy_centre, name="privacy-centre")]
