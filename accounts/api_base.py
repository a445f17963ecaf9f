"""The base of every tenant API view: who is asking, for which Client, in which time zone."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.api_keys import ApiKeyAuthentication
from accounts.models import Client


class ClientAPIView(APIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]

    @property
    def client(self) -> Client:
        """The request's Client: the key's, or the logged-in User's. A handler runs only past
        its permissions, which admit no one without a Client (staff hold no capability); were
        one to forget them, this refuses rather than reach a selector without a tenant."""
        client = _request_client(self.request)
        if client is None:
            raise PermissionDenied
        return client

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        client = _request_client(request)
        if client is not None:
            timezone.activate(client.tzinfo)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)


def _request_client(request: Request) -> Client | None:
    """The key's Client, or the logged-in User's (None for staff and for anonymous requests)."""
    return getattr(request.user, "client", None)
