"""Tenant scoping primitives every app reuses (STYLE.md §3 to §5).

- `TenantQuerySet.for_client(client)`: the only way views, APIs and selectors read tenant rows.
  Without a Client it returns nothing, so a forgotten tenant fails closed.
- `get_for_client_or_404(...)`: an object named in a request; another Client's is a 404, exactly
  like a missing one (a malformed id too).
- `require_capability(user, capability)`: a role lacking the capability gets a 403.
- `across_clients()`: the named door for the rare cross-tenant work (DPO erasure, retention).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404

from accounts.roles import Capability

if TYPE_CHECKING:
    from accounts.models import Client, User

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet[M]):
    client_field = "client"

    def for_client(self, client: Client | None) -> TenantQuerySet[M]:
        if client is None or client.pk is None:
            return self.none()
        return self.filter(**{self.client_field: client})

    def across_clients(self) -> TenantQuerySet[M]:
        """Every Client's rows: only for audited cross-tenant work, named `..._across_clients`."""
        return self.all()


def get_for_client_or_404(
    queryset: TenantQuerySet[M], *, client: Client | None, **lookup: Any
) -> M:
    try:
        return queryset.for_client(client).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from error


def require_capability(user: User, capability: Capability) -> None:
    if not user_has_capability(user, capability):
        raise PermissionDenied(f"Your role does not allow this ({capability.label.lower()}).")


def user_has_capability(user: Any, capability: Capability) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_capability(capability)


def capability_required(capability: Capability) -> Any:
    """View decorator: log in first, belong to a Client, hold `capability` (else 403)."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login

    def decorator(view: Any) -> Any:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_capability(request.user, capability)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
