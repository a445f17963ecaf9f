"""The requests our views receive, as the type checker sees them: what RequestClientMiddleware
and the view decorators (`login_required`, `capability_required`) guarantee."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Client, User


class AuthenticatedRequest(HttpRequest):
    """Past `login_required`: a logged-in User, and their Client (None for staff)."""

    user: User
    client: Client | None


class ClientRequest(AuthenticatedRequest):
    """Past `capability_required`: a logged-in User of an active Client."""

    client: Client
