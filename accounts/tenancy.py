"""Tenant scoping primitives every app reuses (STYLE.md §3 to §5, SPEC §10).

- `TenantManager` (the default manager of every tenant-owned model) fails closed: its querysets
  chain freely, but evaluating one that names no Client raises `UnscopedQueryError`. A queryset
  names its Client by one of:
  - `for_client(client)`: the way views, APIs and selectors read tenant rows (no Client: none);
  - `filter(client=...)` / `filter(client_id=...)` (also `client__in`, `client_id__in`): what
    Django's own unique validation and DRF's unique-together validator do with the unique fields.
    The value must name Clients itself: a Client, a pk, or (for `__in`) a list, tuple or set of
    them. An expression (`F("client")`, a Subquery, a queryset) can match every row: it scopes
    nothing;
  - a related manager (`contact.calls.all()`, `client.calls.all()`): scoped by its parent row;
  - `across_clients()`: the named door for the rare cross-tenant work. It is used only in
    functions named `..._across_clients`, in `retention/`, in admin `get_queryset`s (staff work
    across Clients) and in Celery tasks reloading a row by the id they were given. Grep for it.
  `Model.full_clean()` on a new row also checks its random UUID pk across Clients: call it with
  `validate_unique=False` (ModelForms and the admin leave the pk out, so they are unaffected).
  `_base_manager` stays Django's plain manager: forward foreign keys, `Model.save()` and deletion
  cascades go through it with the rows they already hold.
  Querysets combined (`|`, `&`, `^`, `union`, `intersection`, `difference`) are scoped only if
  every one of them is.
- `get_for_client_or_404(...)`: an object named in a request; another Client's is a 404, exactly
  like a missing one (a malformed id too).
- `require_capability(user, capability)`: a role lacking the capability gets a 403.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from functools import wraps
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext

from accounts.roles import Capability

if TYPE_CHECKING:
    from accounts.models import Client, User

M = TypeVar("M", bound=models.Model)

# Filter keywords that name the Client (a value of None names none).
CLIENT_LOOKUPS = frozenset({"client", "client_id", "client__pk", "client__in", "client_id__in"})


def _names_clients(key: str, value: Any) -> bool:
    """Whether a filter value names Clients by themselves, not by an expression (an `F`, a
    Subquery or a queryset could match any row, every row)."""
    if key.endswith("__in"):
        return isinstance(value, list | tuple | set | frozenset) and all(
            _is_client_value(item) for item in value
        )
    return _is_client_value(value)


def _is_client_value(value: Any) -> bool:
    if isinstance(value, models.Model):
        return value.pk is not None
    return isinstance(value, str | int | uuid.UUID) and not isinstance(value, bool)


def _is_scoped(queryset: Any) -> bool:
    """A queryset a combination may take in: scoped, empty, or of a model that is not a tenant's."""
    if not getattr(queryset, "refuses_unscoped", False):
        return True
    return queryset._names_client or queryset.query.is_empty()


class UnscopedQueryError(RuntimeError):
    """A tenant-owned model was queried without naming a Client: a would-be cross-tenant leak."""


class TenantQuerySet(models.QuerySet[M]):
    """A tenant model's queryset: evaluating it needs a named Client (see the module docstring)."""

    refuses_unscoped = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._names_client = False

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]  # QuerySet's private API: not in the stubs
        clone._names_client = self._names_client
        return clone

    def _scoped(self) -> Self:
        clone = self._chain()  # type: ignore[attr-defined]  # QuerySet's private API
        clone._names_client = True
        return clone

    def for_client(self, client: Client | None) -> Self:
        if client is None or client.pk is None:
            return self.none()._scoped()
        return self.filter(client_id=client.pk)

    def across_clients(self) -> Self:
        """Every Client's rows: only for audited cross-tenant work, named `..._across_clients`."""
        return self._scoped()

    def filter(self, *args: Any, **kwargs: Any) -> Self:
        clone = super().filter(*args, **kwargs)
        if any(
            key in CLIENT_LOOKUPS and _names_clients(key, value) for key, value in kwargs.items()
        ):
            clone._names_client = True
        return clone

    # A combination reads the rows of every side: one unscoped side unscopes the whole.
    def _combined(self, combined: Any, *others: Any) -> Any:
        if combined is self or any(combined is other for other in others):
            return combined  # Django returned one side as it was (the other was empty)
        scoped = _is_scoped(self) and all(_is_scoped(other) for other in others)
        if isinstance(combined, TenantQuerySet):
            combined._names_client = scoped
        elif not scoped:
            # Django rebuilt a sliced side through the plain base manager, which has no guard.
            for side in (self, *others):
                if isinstance(side, TenantQuerySet):
                    side._refuse_unscoped()
        return combined

    def __or__(self, other: Any) -> Any:
        return self._combined(super().__or__(other), other)

    def __and__(self, other: Any) -> Any:
        return self._combined(super().__and__(other), other)

    def __xor__(self, other: Any) -> Any:
        return self._combined(super().__xor__(other), other)

    def _combinator_query(self, combinator: str, *other_qs: Any, all: bool = False) -> Any:
        combined = super()._combinator_query(combinator, *other_qs, all=all)  # type: ignore[misc]
        return self._combined(combined, *other_qs)

    def _refuse_unscoped(self) -> None:
        if not self.refuses_unscoped or self._names_client or self.query.is_empty():
            return
        name = self.model.__name__
        raise UnscopedQueryError(
            f"{name} rows were queried without naming a Client. Scope the query with "
            f"{name}.objects.for_client(client) (or filter(client=...)); cross-Client work "
            f"uses .across_clients() in a function named ..._across_clients."
        )

    def __repr__(self) -> str:
        # The shell, debuggers and error pages repr querysets; that must not raise in turn.
        if self.refuses_unscoped and not self._names_client and not self.query.is_empty():
            return f"<{type(self).__name__} of {self.model.__name__}: names no Client yet>"
        return super().__repr__()

    # Every road by which a queryset reaches the database.
    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._refuse_unscoped()
        super()._fetch_all()

    def iterator(self, chunk_size: int | None = None) -> Iterator[M]:
        self._refuse_unscoped()
        return super().iterator(chunk_size)

    def aiterator(self, chunk_size: int = 2000) -> AsyncIterator[M]:
        self._refuse_unscoped()
        return super().aiterator(chunk_size)

    def count(self) -> int:
        if self._result_cache is None:
            self._refuse_unscoped()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._refuse_unscoped()
        return super().exists()

    def contains(self, obj: models.Model) -> bool:
        self._refuse_unscoped()
        return super().contains(obj)

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._refuse_unscoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._refuse_unscoped()
        return super().update(**kwargs)

    def _update(self, values: Any) -> Any:
        self._refuse_unscoped()
        return super()._update(values)  # type: ignore[misc]  # QuerySet's private API

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_unscoped()
        return super().delete()

    def _raw_delete(self, using: str | None) -> int:
        self._refuse_unscoped()
        return super()._raw_delete(using)

    def explain(self, *, format: str | None = None, **options: Any) -> str:
        self._refuse_unscoped()
        return super().explain(format=format, **options)


class TenantManagerMixin:
    def get_queryset(self) -> TenantQuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]
        # Django builds related managers (`contact.calls`) as subclasses of this class; they
        # filter by their parent row, which was itself read in scope.
        if hasattr(self, "instance") and hasattr(self, "core_filters"):
            queryset = queryset._scoped()
        return queryset


class TenantManager(TenantManagerMixin, models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """The default manager of a tenant-owned model: refuses a query that names no Client."""


def get_for_client_or_404(
    queryset: TenantQuerySet[M], *, client: Client | None, **lookup: Any
) -> M:
    try:
        return queryset.for_client(client).get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError) as error:
        raise Http404(
            gettext("No %(object)s matches the given query.")
            % {"object": queryset.model._meta.verbose_name}
        ) from error


def require_capability(user: User, capability: Capability) -> None:
    if not user_has_capability(user, capability):
        raise PermissionDenied(
            gettext("Your role does not allow this (%(capability)s).")
            % {"capability": str(capability.label).lower()}
        )


def user_has_capability(user: Any, capability: Capability) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_capability(capability)


def capability_required(capability: Capability) -> Any:
    """View decorator: log in first, belong to a Client, hold `capability` (else 403)."""
    # Imported here, not at the top: accounts.models imports this module while the app registry
    # loads, and django.contrib.auth.views needs the User model loaded (a real cycle).
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
