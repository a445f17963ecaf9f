from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class RequestClientMiddleware:
    """Sets `request.client`: the logged-in User's Client, or None (anonymous, staff)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        request.client = getattr(user, "client", None) if user and user.is_authenticated else None  # type: ignore[attr-defined]
        return self.get_response(request)
