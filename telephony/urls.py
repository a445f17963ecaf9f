from __future__ import annotations

from django.urls import path

from telephony import views

urlpatterns = [
    path("settings/telephony/", views.telephony_settings, name="telephony-settings"),
    path("telephony/twilio/voice/", views.twilio_voice, name="twilio-voice"),
    path("telephony/twilio/dial-status/", views.twilio_dial_status, name="twilio-dial-status"),
    path("telephony/twilio/status/", views.twilio_status, name="twilio-status"),
    path("telephony/twilio/recording/", views.twilio_recording, name="twilio-recording"),
]
