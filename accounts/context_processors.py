from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.roles import Capability


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The capabilities the navigation shows, so templates never test roles themselves."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can": {}}
    return {"can": {capability.value: user.has_capability(capability) for capability in Capability}}
