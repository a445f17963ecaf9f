"""The base of every tenant API view: who is asking, for which Client, in which time zone."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.api_keys import ApiKeyAuthentication
from accounts.models import Client


class ClientAPIView(APIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]

    @property
    def client(self) -> Client | None:
        """The request's Client: the key's, or the logged-in User's (None for staff)."""
        return getattr(self.request.user, "client", None)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.client is not None:
            timezone.activate(self.client.tzinfo)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)
