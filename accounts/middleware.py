from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

API_PREFIX = "/api/"


class RequestClientMiddleware:
    """Sets `request.client` (the logged-in User's Client, or None) and its time zone.

    A User whose Client was deactivated is logged out here, on whatever request comes next
    (SPEC §10): the session is flushed, a page answers with the login page, and an API call goes
    on anonymous, so DRF refuses it like any request without credentials."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        client = getattr(user, "client", None) if user and user.is_authenticated else None
        if client is not None and not client.is_active:
            logout(request)
            client = None
            if not request.path.startswith(API_PREFIX):
                return redirect("login")
        request.client = client  # type: ignore[attr-defined]
        if client is None:
            return self.get_response(request)
        # Pages show times in the Client's time zone (SPEC §6 default Europe/Paris).
        with timezone.override(client.tzinfo):
            return self.get_response(request)
