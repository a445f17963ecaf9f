"""Every read of the attribution app."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Client
from attribution.models import AllowedOrigin, Website
from calls.models import TrackingNumber


def website_by_public_id_across_clients(public_id: str) -> Website | None:
    """The website a snippet names (public ids are global: the snippet knows no Client)."""
    if not public_id or len(public_id) > 32:
        return None
    return (
        Website.objects.across_clients()
        .select_related("client")
        .filter(public_id=public_id, client__is_active=True)
        .first()
    )


def origin_allowed_across_clients(origin: str) -> bool:
    """A preflight names no Client: it passes when some Client allows the origin; the request
    itself is then checked against its own Client's origins."""
    return bool(origin) and AllowedOrigin.objects.across_clients().filter(origin=origin).exists()


def origin_allowed(*, client: Client, origin: str) -> bool:
    return bool(origin) and AllowedOrigin.objects.for_client(client).filter(origin=origin).exists()


def allowed_origins(*, client: Client) -> list[str]:
    return list(AllowedOrigin.objects.for_client(client).values_list("origin", flat=True))


def pool_numbers(*, client: Client) -> QuerySet[TrackingNumber]:
    return TrackingNumber.objects.for_client(client).filter(pool=True, active=True)
