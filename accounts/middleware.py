from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class RequestClientMiddleware:
    """Sets `request.client` (the logged-in User's Client, or None) and its time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        client = getattr(user, "client", None) if user and user.is_authenticated else None
        request.client = client  # type: ignore[attr-defined]
        if client is None:
            return self.get_response(request)
        # Pages show times in the Client's time zone (SPEC §6 default Europe/Paris).
        with timezone.override(client.tzinfo):
            return self.get_response(request)
