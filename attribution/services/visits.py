"""Leasing tracking numbers to website visits (SPEC §13): a visit holds its number for a while,
so a call to that number can be matched to it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Client
from attribution.channels import CLICK_IDS, channel_for
from attribution.models import Lease, PoolNumber, Visit, Website
from calls.models import TrackingNumber

LEASE = dt.timedelta(seconds=1800)
UTM_NAMES = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CAMPAIGN_PARAMETERS = (*UTM_NAMES, *CLICK_IDS)


@dataclass(frozen=True)
class VisitInput:
    landing_url: str = ""
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    gclid: str = ""
    fbclid: str = ""
    msclkid: str = ""
    consent: bool = False
    visit: str = ""


@dataclass(frozen=True)
class NumberAnswer:
    number: str
    visit_token: str | None = None
    expires_in: int | None = None


def landing_path_cut(url: str) -> str:
    """The path and the campaign parameters of a landing URL; every other parameter (they can
    hold personal data: emails, names, session ids) and the fragment are dropped."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=False)
        if name in CAMPAIGN_PARAMETERS
    ]
    path = (parts.path or "/")[:500]
    return path + (f"?{urlencode(kept)}" if kept else "")


def _campaign_values(data: VisitInput) -> dict[str, str]:
    """The utm parameters and click id: the body's, else those of the landing URL."""
    try:
        query = dict(parse_qsl(urlsplit(data.landing_url).query))
    except ValueError:
        query = {}
    values = {}
    for name in CAMPAIGN_PARAMETERS:
        values[name] = (getattr(data, name) or query.get(name, "")).strip()[:200]
    return values


def _referrer_host(referrer: str) -> str:
    try:
        return (urlsplit(referrer.strip()).hostname or "")[:255]
    except ValueError:
        return ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_national(number: str) -> str:
    parsed = phonenumbers.parse(number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def source_number(*, client: Client, data: VisitInput) -> str | None:
    """Without consent: the number of the visitor's source alone (an active non-pool number
    whose source is the utm_source, or the channel's name), else the default number. Calls to it
    are attributed to that source, never to a visit; nothing is stored."""
    values = _campaign_values(data)
    website = Website.objects.for_client(client).select_related("default_number").first()
    channel = channel_for(
        click_id_kind=next((name for name in CLICK_IDS if values[name]), ""),
        utm_medium=values["utm_medium"],
        utm_source=values["utm_source"],
        referrer_host=_referrer_host(data.referrer),
    )
    candidates = [name for name in (values["utm_source"], channel) if name]
    numbers = TrackingNumber.objects.for_client(client).filter(active=True, pool=False)
    for name in candidates:
        found = numbers.filter(source__iexact=name).values_list("number", flat=True).first()
        if found:
            return found
    if website and website.default_number and website.default_number.active:
        return website.default_number.number
    return None


def visit_lease(
    *, client: Client, data: VisitInput, now: dt.datetime | None = None
) -> NumberAnswer:
    """With consent: renew the visit's lease, or start a visit and lease it a pool number.

    A visit token that is unknown for this Client (another Client's, or a purged visit's)
    starts a new visit. The number is the least recently used free one; when none is free, the
    least recently used one is shared and every visit on it is marked ambiguous."""
    if not data.consent:
        number = source_number(client=client, data=data)
        return NumberAnswer(number=number) if number else NumberAnswer(number="")
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return _visit_lease_once(client=client, data=data, now=now)
        except OperationalError as error:
            # A visit whose lapsed number went to another holds that number's lock while it
            # waits for a new one, so two such visits may wait for each other; PostgreSQL
            # then aborts one, which simply tries again.
            if (
                getattr(error.__cause__, "pgcode", None) != "40P01"
                or attempt + 1 == DEADLOCK_RETRIES
            ):
                raise
    raise AssertionError("unreachable")


DEADLOCK_RETRIES = 3


def _visit_lease_once(*, client: Client, data: VisitInput, now: dt.datetime | None) -> NumberAnswer:
    with transaction.atomic():
        now = now or timezone.now()
        visit = None
        if data.visit:
            visit = (
                Visit.objects.for_client(client).filter(token_hash=token_hash(data.visit)).first()
            )
        token = data.visit if visit is not None else secrets.token_urlsafe(24)
        if visit is None and connection.vendor == "postgresql":
            from attribution.leasing import visit_lease_new_postgresql

            number = visit_lease_new_postgresql(
                fields=_visit_fields(client=client, data=data, token=token, now=now),
                ends_at=now + LEASE,
            )
            if number:
                return NumberAnswer(
                    number=number, visit_token=token, expires_in=int(LEASE.total_seconds())
                )
        _commit_without_waiting_for_the_disk()
        lease = None
        if visit is None:
            visit = _visit_create(client=client, data=data, token=token, now=now)
        else:
            lease = _lease_renew(visit=visit, now=now)
            Visit.objects.for_client(client).filter(pk=visit.pk).update(last_seen_at=now)
        lease = lease or _lease_new(visit=visit, now=now)
        if lease is None:
            number = source_number(client=client, data=data) or ""
            return NumberAnswer(number=number)
        return NumberAnswer(
            number=lease.number,  # type: ignore[attr-defined]  # set where the lease is made
            visit_token=token,
            expires_in=int((lease.ends_at - now).total_seconds()),
        )


def _commit_without_waiting_for_the_disk() -> None:
    """Visits and leases are many small writes whose commit, waiting for the disk, cost more
    than the rest of the request (bench/bench_attribution.py). A database crash may lose the
    last fraction of a second of them (the snippet's next renewal starts a new visit); it never
    breaks their consistency, so two visits still never hold one number unmarked."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _visit_create(*, client: Client, data: VisitInput, token: str, now: dt.datetime) -> Visit:
    fields = _visit_fields(client=client, data=data, token=token, now=now)
    return Visit.objects.create(
        **{("client_id" if name == "client" else name): value for name, value in fields.items()}
    )


def _visit_fields(
    *, client: Client, data: VisitInput, token: str, now: dt.datetime
) -> dict[str, Any]:
    values = _campaign_values(data)
    click_id_kind = next((name for name in CLICK_IDS if values[name]), "")
    referrer_host = _referrer_host(data.referrer)
    return dict(
        id=uuid.uuid4(),
        client=client.pk,
        token_hash=token_hash(token),
        channel=channel_for(
            click_id_kind=click_id_kind,
            utm_medium=values["utm_medium"],
            utm_source=values["utm_source"],
            referrer_host=referrer_host,
        ),
        **{name: values[name] for name in UTM_NAMES},
        click_id_kind=click_id_kind,
        click_id=values[click_id_kind] if click_id_kind else "",
        landing_path=landing_path_cut(data.landing_url),
        referrer_host=referrer_host,
        ambiguous=False,
        created_at=now,
        last_seen_at=now,
    )


def _lease_renew(*, visit: Visit, now: dt.datetime) -> Lease | None:
    """Push back the visit's live lease; None when it has none (lapsed, or never had one)."""
    lease = Lease.objects.for_client(visit.client).filter(visit=visit).order_by("-id").first()
    if lease is None or lease.ends_at <= now:
        return None
    # The number's row is the lock every lease decision on that number takes. Under it, the
    # lease is still ours only if nobody was handed the number since (the lease may have lapsed
    # between our read and the lock).
    state = (
        PoolNumber.objects.for_client(visit.client)
        .select_related("tracking_number")
        .select_for_update(of=("self",))
        .filter(pk=lease.tracking_number_id)
        .first()
    )
    if state is None:
        return None
    # Read again under the lock: a visitor sharing the number meanwhile marked it ambiguous.
    lease.refresh_from_db(fields=["ambiguous", "ends_at"])
    if lease.ends_at <= now or not (state.last_lease_id == lease.pk or lease.ambiguous):
        return None
    lease.ends_at = now + LEASE
    lease.save(update_fields=["ends_at"])
    state.held_until = max(state.held_until or lease.ends_at, lease.ends_at)
    state.last_used_at = now
    state.save(update_fields=["held_until", "last_used_at"])
    lease.number = state.tracking_number.number
    return lease


def pool_number_enlist(*, tracking_number: TrackingNumber) -> None:
    """Give an active pool number its lease state at once (tracking numbers' post_save)."""
    if tracking_number.pool and tracking_number.active:
        PoolNumber.objects.bulk_create(
            [PoolNumber(tracking_number=tracking_number, client_id=tracking_number.client_id)],
            ignore_conflicts=True,
        )


def _pool_states_sync(client: Client) -> None:
    """A PoolNumber row for every active pool number (created on first use), none for others."""
    numbers = set(
        TrackingNumber.objects.for_client(client)
        .filter(pool=True, active=True)
        .values_list("pk", flat=True)
    )
    states = set(PoolNumber.objects.for_client(client).values_list("pk", flat=True))
    if numbers - states:
        PoolNumber.objects.bulk_create(
            [PoolNumber(tracking_number_id=pk, client=client) for pk in numbers - states],
            ignore_conflicts=True,
        )
    if states - numbers:
        PoolNumber.objects.for_client(client).filter(pk__in=states - numbers).delete()


def _lease_new(*, visit: Visit, now: dt.datetime) -> Lease | None:
    client = visit.client
    states = PoolNumber.objects.for_client(client).select_related("tracking_number")
    # Walks poolnumber_lru_idx in order; rows another visitor is being handed are skipped.
    free_first = (
        states.filter(Q(held_until__isnull=True) | Q(held_until__lte=now))
        .filter(tracking_number__active=True, tracking_number__pool=True)
        .order_by("last_used_at", "pk")
        .select_for_update(skip_locked=True, of=("self",))
    )
    free = free_first.first()
    if free is None:
        _pool_states_sync(client)
        free = free_first.first()
    ambiguous = False
    state = free
    if state is None:
        # Exhausted (or every free row is being handed out right now): share the least
        # recently used number, waiting for its lock.
        lru = (
            PoolNumber.objects.for_client(client)
            .filter(tracking_number__active=True, tracking_number__pool=True)
            .order_by("last_used_at", "pk")
            .first()
        )
        if lru is None:
            return None
        state = states.select_for_update(of=("self",)).get(pk=lru.pk)
        ambiguous = state.held_until is not None and state.held_until > now
    ends_at = now + LEASE
    if ambiguous:
        shared = Lease.objects.for_client(client).filter(
            tracking_number_id=state.pk, ends_at__gt=now
        )
        Visit.objects.for_client(client).filter(pk__in=shared.values("visit_id")).update(
            ambiguous=True
        )
        shared.update(ambiguous=True)
        Visit.objects.for_client(client).filter(pk=visit.pk).update(ambiguous=True)
    lease = Lease.objects.create(
        client=client,
        visit=visit,
        tracking_number_id=state.pk,
        starts_at=now,
        ends_at=ends_at,
        ambiguous=ambiguous,
    )
    state.held_until = max(state.held_until or ends_at, ends_at) if ambiguous else ends_at
    state.last_used_at = now
    state.last_lease_id = lease.pk
    state.save(update_fields=["held_until", "last_used_at", "last_lease_id"])
    lease.number = state.tracking_number.number
    return lease
