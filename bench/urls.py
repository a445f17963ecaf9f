"""The app's URLs plus the limit the ingestion benchmark compares against."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import ClientAPIView
from calls.api import INGEST
from telephony.views import webhook


class NoOpIngest(ClientAPIView):
    """Same authentication and permission as call ingestion, then nothing."""

    permission_classes = [INGEST]

    def post(self, request: Request) -> Response:
        return Response({}, status=201)


@webhook("twilio")
def noop_signed_webhook(request: HttpRequest, account: object, provider: object) -> HttpResponse:
    """Same account lookup and signature check as the telephony webhooks, then nothing."""
    return HttpResponse("<Response/>", content_type="text/xml")


urlpatterns = [
    path("bench/noop/", NoOpIngest.as_view()),
    path("bench/noop-webhook/", noop_signed_webhook),
    path("", include("dexem.urls")),
]
