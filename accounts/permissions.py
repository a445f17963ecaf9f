"""DRF permissions: a session User by role capability, an API key by scope (SPEC §4, §5)."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.api_keys import ApiKeyPrincipal
from accounts.roles import Capability


def capability_or_scope(capability: Capability, scope: str | None) -> type[BasePermission]:
    """Allow a User whose role holds `capability`, or a key with `scope` (None: no key at all)."""

    class CapabilityOrScope(BasePermission):
        message = (
            format_lazy(
                _(
                    "This needs the capability “{capability}” or an API key with the “{scope}” scope."
                ),
                capability=capability.label,
                scope=str(scope),
            )
            if scope
            else format_lazy(
                _("This needs the capability “{capability}” (API keys cannot do this)."),
                capability=capability.label,
            )
        )

        def has_permission(self, request: Request, view: Any) -> bool:
            user = request.user
            if isinstance(user, ApiKeyPrincipal):
                return scope is not None and user.has_scope(scope)
            return bool(user and user.is_authenticated and user.has_capability(capability))

    CapabilityOrScope.__name__ = f"{capability.name.title()}Or{(scope or 'NoKey').title()}"
    return CapabilityOrScope
