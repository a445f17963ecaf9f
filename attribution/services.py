"""Every write of the attribution app: website settings, leasing numbers to visits, matching a
call to the visit that held its number, and the purges (SPEC §13)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Client
from attribution.channels import CLICK_IDS, channel_for
from attribution.matching import call_attribution_changed
from attribution.models import (
    AllowedOrigin,
    CallAttribution,
    Lease,
    PoolNumber,
    Visit,
    Website,
)
from calls import services as call_services
from calls.models import Call, Contact, TrackingNumber
from calls.signals import calls_changed
from privacy.audit import AuditAction, audit_record

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=1800)
UTM_NAMES = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CAMPAIGN_PARAMETERS = (*UTM_NAMES, *CLICK_IDS)
MAX_ORIGINS = 20


# --- Website settings ------------------------------------------------------------------------


def website_for(*, client: Client) -> Website:
    website, _created = Website.objects.for_client(client).get_or_create(client=client)
    return website


def origin_normalise(raw: str) -> str:
    """`https://www.example.fr` from what an admin types; a ValidationError otherwise."""
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ValidationError(
            _("Enter an origin such as https://www.example.fr (scheme and host, no path).")
        )
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(_("The port is not a number.")) from None
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname.lower()}" + (
        f":{port}" if port and port != default else ""
    )


@transaction.atomic
def website_update(
    *, client: Client, allowed_origins: list[str], default_number: str | None, actor: Any = None
) -> Website:
    """Replace the allowed origins and set the default number (E.164, or None)."""
    errors: dict[str, list[str]] = {}
    origins: list[str] = []
    for raw in allowed_origins:
        try:
            origin = origin_normalise(raw)
        except ValidationError as error:
            errors.setdefault("allowed_origins", []).extend(error.messages)
            continue
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        errors["allowed_origins"] = [_("At most %(max)s origins.") % {"max": MAX_ORIGINS}]
    number = None
    if default_number:
        number = (
            TrackingNumber.objects.for_client(client)
            .filter(number=default_number, active=True)
            .first()
        )
        if number is None:
            errors["default_number"] = [_("Choose one of your active tracking numbers.")]
    if errors:
        raise ValidationError(errors)
    website = (
        Website.objects.for_client(client).select_for_update().get(pk=website_for(client=client).pk)
    )
    AllowedOrigin.objects.for_client(client).exclude(origin__in=origins).delete()
    kept = set(AllowedOrigin.objects.for_client(client).values_list("origin", flat=True))
    AllowedOrigin.objects.bulk_create(
        AllowedOrigin(client=client, website=website, origin=origin)
        for origin in origins
        if origin not in kept
    )
    website.default_number = number
    website.save(update_fields=["default_number", "updated_at"])
    audit_record(
        action=AuditAction.WEBSITE_SETTINGS_CHANGED,
        actor=actor,
        client_id=client.pk,
        object_type="website",
        object_id=website.pk,
        metadata={"origins": len(origins), "default_number_set": number is not None},
    )
    return website


# --- Visits and leases -----------------------------------------------------------------------


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


# --- Matching --------------------------------------------------------------------------------


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


# --- Privacy ---------------------------------------------------------------------------------


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
