"""Matching a call to the visit that held its number when it rang (SPEC §13)."""

from __future__ import annotations

import uuid

from django.db import connection, transaction

from attribution.matching import call_attribution_changed
from attribution.models import CallAttribution, Lease
from calls import services as call_services
from calls.models import Call


def call_match(*, call_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    """Attribute the call to the visit whose lease held its number at `started_at` (half-open:
    a lease ending at 10:30:00 holds the number until 10:29:59.999999); True when one did.
    Idempotent: a call ingested again is matched again (and loses an attribution it no longer
    has). Several leases at that moment (a shared number): the latest, marked ambiguous."""
    if connection.vendor == "postgresql":
        from attribution.matching import call_match_postgresql

        return call_match_postgresql(call_id=call_id, client_id=client_id)
    call = (
        Call.objects.filter(pk=call_id, client_id=client_id)
        .values("tracking_number_id", "started_at", "tracking_number__pool")
        .first()
    )
    leases = []
    if call is not None and call["tracking_number__pool"]:
        leases = list(
            Lease.objects.filter(
                client_id=client_id,
                tracking_number_id=call["tracking_number_id"],
                starts_at__lte=call["started_at"],
                ends_at__gt=call["started_at"],
            )
            .select_related("visit")
            .order_by("-starts_at")[:2]
        )
    if not leases:
        with transaction.atomic():
            removed, _ = CallAttribution.objects.filter(
                client_id=client_id, call_id=call_id
            ).delete()
            # Whatever was removed, as the PostgreSQL statement does: a copy left without its
            # attribution (an upgrade, a crash) is corrected by the next match.
            call_services.calls_attribution_copy(
                client_id=client_id, call_ids=[call_id], channel="", campaign=None
            )
            if removed:
                call_attribution_changed(call_id=call_id, client_id=client_id)
        return False
    lease = leases[0]
    with transaction.atomic():
        _call_attribution_write(call_id=call_id, client_id=client_id, lease=lease, leases=leases)
        call_services.calls_attribution_copy(
            client_id=client_id,
            call_ids=[call_id],
            channel=lease.visit.channel,
            campaign=lease.visit.utm_campaign,
        )
        call_attribution_changed(call_id=call_id, client_id=client_id)
    return True


def _call_attribution_write(
    *, call_id: uuid.UUID, client_id: uuid.UUID, lease: Lease, leases: list[Lease]
) -> None:
    visit = lease.visit
    CallAttribution.objects.filter(client_id=client_id).update_or_create(
        call_id=call_id,
        client_id=client_id,
        defaults={
            "visit": visit,
            "channel": visit.channel,
            "source": visit.utm_source or visit.referrer_host,
            "medium": visit.utm_medium,
            "campaign": visit.utm_campaign,
            "term": visit.utm_term,
            "content": visit.utm_content,
            "landing_path": visit.landing_path,
            "referrer_host": visit.referrer_host,
            "click_id_kind": visit.click_id_kind,
            "click_id": visit.click_id,
            "ambiguous": lease.ambiguous or len(leases) > 1,
        },
    )
