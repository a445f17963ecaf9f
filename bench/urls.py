"""The app's URLs plus the limit the ingestion benchmark compares against."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import ClientAPIView
from attribution.selectors import origin_allowed, website_by_public_id_across_clients
from calls.api import INGEST
from telephony.views import webhook


class NoOpIngest(ClientAPIView):
    """Same authentication and permission as call ingestion, then nothing."""

    permission_classes = [INGEST]

    def post(self, request: Request) -> Response:
        return Response({}, status=201)


@csrf_exempt
def noop_visits(request: HttpRequest) -> HttpResponse:
    """The visits endpoint's CORS handling (the body's website, its allowed origin), then a
    fixed answer: what bench_attribution compares the leasing against."""
    origin = request.headers.get("Origin", "")
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({}, status=400)
    website = website_by_public_id_across_clients(str(data.get("client", "")))
    if website is None or not origin_allowed(client=website.client, origin=origin):
        return JsonResponse({}, status=403)
    response = JsonResponse({"number": "+33184800000", "display": "01 84 80 00 00"})
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


@webhook("twilio")
def noop_signed_webhook(request: HttpRequest, account: object, provider: object) -> HttpResponse:
    """Same account lookup and signature check as the telephony webhooks, then nothing."""
    return HttpResponse("<Response/>", content_type="text/xml")


urlpatterns = [
    path("bench/noop/", NoOpIngest.as_view()),
    path("bench/noop-visits/", noop_visits),
    path("bench/noop-webhook/", noop_signed_webhook),
    path("", include("dexem.urls")),
]
