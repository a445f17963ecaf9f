"""Visits and attributions under the privacy rules: erased with their Contact or call, purged
once past their retention."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet, Subquery

from accounts.models import Client
from attribution.models import CallAttribution, Lease, Visit
from calls import services as call_services
from calls.models import Call, Contact
from calls.signals import calls_changed


def call_visits_erase(*, client: Client, calls: QuerySet[Call]) -> int:
    """An erased Contact's calls lose their attribution and the visits behind it, leases
    included (SPEC §13). Call before the calls are detached from the Contact. Returns the
    number of visits deleted."""
    attributions = CallAttribution.objects.for_client(client).filter(call_id__in=calls.values("pk"))
    # One transaction: the days' fold (reports, queued on commit) must find the calls no longer
    # attributed, and a crash must not leave the copies cleared with their attributions kept.
    with transaction.atomic():
        visit_ids = set(attributions.exclude(visit=None).values_list("visit_id", flat=True))
        # The calls become not attributed: their days' aggregates (reports) count them so.
        span = (
            Call.objects.for_client(client)
            .filter(pk__in=attributions.values("call_id"))
            .aggregate(first=Min("started_at"), last=Max("started_at"))
        )
        if span["first"] is not None:
            calls_changed.send(sender=Call, client=client, first=span["first"], last=span["last"])
        call_services.calls_attribution_copy(
            client_id=client.pk, call_ids=attributions.values("call_id"), channel="", campaign=None
        )
        attributions.delete()
        Lease.objects.for_client(client).filter(visit_id__in=visit_ids).delete()
        Visit.objects.for_client(client).filter(pk__in=visit_ids).delete()
    return len(visit_ids)


def call_attribution_copies_sync(*, client: Client) -> int:
    """Make each of the Client's calls carry its attribution's channel and campaign again ("" and
    None without one), wherever they differ: what `rebuild_aggregates` does first, so that it
    recomputes from the attributions themselves. A copy can only differ after an upgrade during
    which the previous version matched calls without copying. Returns the calls corrected."""
    calls = Call.objects.for_client(client)
    attribution = CallAttribution.objects.for_client(client).filter(call_id=OuterRef("pk"))
    channel, campaign = attribution.values("channel"), attribution.values("campaign")
    # An attribution's campaign is never null (blank without one): a null copy is stale.
    stale = calls.filter(Exists(attribution)).filter(
        Q(attributed_campaign__isnull=True)
        | ~Q(attributed_channel=Subquery(channel))
        | ~Q(attributed_campaign=Subquery(campaign))
    )
    corrected = stale.update(
        attributed_channel=Subquery(channel), attributed_campaign=Subquery(campaign)
    )
    corrected += (
        calls.filter(~Exists(attribution))
        .exclude(attributed_channel="", attributed_campaign=None)
        .update(attributed_channel="", attributed_campaign=None)
    )
    return corrected


def contact_visits_erase(*, contact: Contact) -> int:
    """The erasure of a Contact (privacy.erasure), before calls.services.contact_erase detaches
    its calls: they lose their attribution and the visits behind it."""
    calls = Call.objects.for_client(contact.client).filter(contact=contact)
    return call_visits_erase(client=contact.client, calls=calls)


# Visits deleted per batch, with their leases (bench/bench_attribution.py measures the lease
# table it sweeps; a batch is three indexed statements).
VISIT_BATCH = 5_000


def _expired_visits_across_clients(cutoff: dt.datetime) -> QuerySet[Visit]:
    return Visit.objects.across_clients().filter(last_seen_at__lt=cutoff, attributions__isnull=True)


def expired_visits_count_across_clients(*, cutoff: dt.datetime) -> int:
    return _expired_visits_across_clients(cutoff).count()


def expired_visit_batch_delete_across_clients(*, cutoff: dt.datetime) -> tuple[int, int]:
    """One batch of visits last seen before `cutoff` that explain no call (with their leases),
    and of attributions left without their call (the calls purge deletes calls in raw batches).
    Returns (visits, attributions) deleted; call inside a retention batch transaction, again
    until it returns (0, 0)."""
    ids = list(_expired_visits_across_clients(cutoff).values_list("pk", flat=True)[:VISIT_BATCH])
    if ids:
        Lease.objects.across_clients().filter(visit_id__in=ids).delete()
        Visit.objects.across_clients().filter(pk__in=ids).delete()
    orphans = list(
        CallAttribution.objects.across_clients()
        .filter(~Exists(Call.objects.across_clients().filter(pk=OuterRef("call_id"))))
        .values_list("pk", flat=True)[:VISIT_BATCH]
    )
    if orphans:
        CallAttribution.objects.across_clients().filter(pk__in=orphans).delete()
    return len(ids), len(orphans)


def visit_retention_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.VISIT_RETENTION_DAYS)
