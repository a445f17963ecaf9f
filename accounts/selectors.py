"""Every read of the accounts app (STYLE.md §3): tenant first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import ApiKey, Client, User


def user_list(*, client: Client) -> QuerySet[User]:
    return User.objects.for_client(client).order_by("last_name", "first_name", "email")


def user_get(*, client: Client, user_id: object) -> User:
    from accounts.tenancy import get_for_client_or_404

    return get_for_client_or_404(User.objects.all(), client=client, pk=user_id)


def api_key_list(*, client: Client) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_client(client).select_related("created_by")


def api_key_get(*, client: Client, key_id: object) -> ApiKey:
    from accounts.tenancy import get_for_client_or_404

    return get_for_client_or_404(ApiKey.objects.all(), client=client, pk=key_id)


def api_key_find_across_clients(*, prefix: str) -> ApiKey | None:
    """The key a request presents, before anything says whose it is: the prefix is unique
    platform-wide, and the caller then checks the secret and the key's and Client's state."""
    return ApiKey.objects.across_clients().select_related("client").filter(prefix=prefix).first()


def user_own_data(*, user: User) -> dict[str, Any]:
    """Everything we hold about a User, for their own export (right of access)."""
    client = user.client
    return {
        "id": str(user.pk),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "initials": user.initials,
        "phone_numbers": list(user.phone_numbers),
        "organization": user.organization,
        "has_profile_picture": bool(user.profile_picture),
        "role": user.role,
        "is_active": user.is_active,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "client": {"name": client.name, "slug": client.slug} if client else None,
        "sessions": [
            {"started_at": session.created_at.isoformat()}
            for session in user.sessions.order_by("created_at")
        ],
    }
