"""The app's URLs plus the limit the ingestion benchmark compares against."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import ClientAPIView
from calls.api import INGEST


class NoOpIngest(ClientAPIView):
    """Same authentication and permission as call ingestion, then nothing."""

    permission_classes = [INGEST]

    def post(self, request: Request) -> Response:
        return Response({}, status=201)


urlpatterns = [
    path("bench/noop/", NoOpIngest.as_view()),
    path("", include("dexem.urls")),
]
