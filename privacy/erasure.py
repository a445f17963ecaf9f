"""Erasure of a Contact in one Client's account or in every account holding the number (SPEC §8).

The one erasure service: the DPO's admin action, `erase_contact` and the privacy centre's requests
all come here. Batched and rerunnable: a crash halfway leaves a state from which a rerun (which
finds what is left by the number) finishes the job. The call facts (time, duration, status,
tracking number) stay for statistics; the number, the Contact and its audio go.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Client, User
from attribution.services import call_visits_erase
from calls.models import MEDIA_MODELS, Call, Contact, ExportJob
from calls.selectors import contact_ids_locate_across_clients
from calls.services import media_shred
from privacy.audit import AuditAction, audit_record, identifier_hash
from privacy.models import (
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestSource,
    RequestStatus,
    SubjectType,
)

logger = logging.getLogger(__name__)

# Calls detached from their Contact per transaction: short locks on a busy table.
DETACH_BATCH = 5_000


@dataclass
class Match:
    client: Client
    contacts: int = 0
    calls: int = 0
    recordings: int = 0
    voicemails: int = 0
    users: int = 0

    def counts(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in ("contacts", "calls", "recordings", "voicemails", "users")
        }


@dataclass
class Preview:
    matches: list[Match] = field(default_factory=list)

    @property
    def total(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for match in self.matches:
            for name, count in match.counts().items():
                totals[name] = totals.get(name, 0) + count
        return totals


def _contacts_in_scope(phone: str, client: Client | None) -> Any:
    ids = contact_ids_locate_across_clients(phone=phone, client=client)
    return Contact.objects.across_clients().filter(pk__in=ids).select_related("client")


def contact_preview_across_clients(*, phone: str, client: Client | None = None) -> Preview:
    """What an erasure of `phone` would touch, per Client (in `client` only, when given)."""
    preview = Preview()
    for contact in _contacts_in_scope(phone, client).order_by("client__name"):
        calls = Call.objects.for_client(contact.client).filter(contact=contact)
        preview.matches.append(
            Match(
                client=contact.client,
                contacts=1,
                calls=calls.count(),
                recordings=calls.filter(has_recording=True).count(),
                voicemails=calls.filter(has_voicemail=True).count(),
            )
        )
    return preview


def contact_erase_across_clients(
    *, phone: str, client: Client | None = None, actor: Any = None
) -> Preview:
    """Erase `phone` in scope; returns what was erased, per Client."""
    done = Preview()
    for contact in list(_contacts_in_scope(phone, client)):
        match = Match(client=contact.client, contacts=1)
        for kind, model in MEDIA_MODELS.items():
            for media in model.objects.for_client(contact.client).filter(call__contact=contact):
                media_shred(media=media, actor=actor, reason="erasure")
                setattr(match, f"{kind}s", getattr(match, f"{kind}s") + 1)
        calls = Call.objects.for_client(contact.client).filter(contact=contact)
        # --- Attribution (SPEC §13): the calls lose the website visits behind them. ---
        call_visits_erase(client=contact.client, calls=calls)
        # ---
        while ids := list(calls.values_list("pk", flat=True)[:DETACH_BATCH]):
            with transaction.atomic():
                match.calls += Call.objects.filter(pk__in=ids).update(contact=None)
        # Background exports filtered on the number hold it in their query: they go too.
        for job in ExportJob.objects.for_client(contact.client).filter(
            query__caller_number__isnull=False
        ):
            if job.query.get("caller_number", "").replace(" ", "") in (phone, phone.lstrip("+")):
                ExportJob.objects.filter(pk=job.pk).delete()
        Contact.objects.filter(pk=contact.pk).delete()
        audit_record(
            action=AuditAction.REQUEST_EXECUTED,
            actor=actor,
            client_id=contact.client_id,
            object_type="contact",
            metadata={"subject": identifier_hash(phone), **match.counts()},
        )
        done.matches.append(match)
    return done


def request_execute(*, request: DataSubjectRequest, actor: Any) -> DataSubjectRequest:
    """Carry out an erasure request, notify the Clients if it came from the Contact, minimise it."""
    if request.status in (RequestStatus.DONE, RequestStatus.REJECTED):
        return request
    if request.kind != RequestKind.ERASURE:
        raise ValueError(
            "Only erasure requests are executed here; access and rectification are worked by hand."
        )
    DataSubjectRequest.objects.filter(pk=request.pk).update(status=RequestStatus.IN_PROGRESS)
    scope_client = request.client if request.scope == RequestScope.ONE_CLIENT else None
    if request.subject_type == SubjectType.CONTACT:
        done = contact_erase_across_clients(phone=request.subject, client=scope_client, actor=actor)
    else:
        done = _user_erase(email=request.subject, client=scope_client)
    if request.source == RequestSource.CONTACT:
        for match in done.matches:
            _notify_client(match)
    request.result = {
        "per_client": {
            str(match.client.pk): {"client": match.client.slug, **match.counts()}
            for match in done.matches
        },
        "total": done.total,
    }
    request.subject_hash = identifier_hash(request.subject)
    request.subject = ""
    request.status, request.executed_at = RequestStatus.DONE, timezone.now()
    request.executed_by = actor if isinstance(actor, User) else None
    request.save(
        update_fields=["result", "subject_hash", "subject", "status", "executed_at", "executed_by"]
    )
    return request


def request_reject(*, request: DataSubjectRequest, reason: str, actor: Any) -> DataSubjectRequest:
    request.status, request.rejection_reason = RequestStatus.REJECTED, reason[:500]
    request.executed_at = timezone.now()
    request.executed_by = actor if isinstance(actor, User) else None
    request.save(update_fields=["status", "rejection_reason", "executed_at", "executed_by"])
    return request


def _user_erase(*, email: str, client: Client | None) -> Preview:
    from accounts.services import user_delete

    done = Preview()
    users = User.objects.filter(email=email.strip().lower(), client__isnull=False).select_related(
        "client"
    )
    if client is not None:
        users = users.filter(client=client)
    for user in users:
        match = Match(client=user.client, users=1)
        user_delete(user=user, enforce_last_admin=False)
        done.matches.append(match)
    return done


def _notify_client(match: Match) -> None:
    admins = list(User.objects.for_client(match.client).admins().values_list("email", flat=True))
    if not admins:
        return
    send_mail(
        subject="Dexem: a caller's erasure request was carried out in your account",
        message=(
            f"Hello,\n\nA caller asked us directly to erase their personal data. As your processor we "
            f"have carried it out in your account ({match.client.name}): {match.calls} call(s) no longer "
            f"hold their number, {match.recordings} recording(s) and {match.voicemails} voice message(s) "
            "were destroyed. The calls' facts remain in your statistics.\n\nThe Dexem DPO"
        ),
        from_email=None,
        recipient_list=admins,
    )


def erasures_replay_across_clients(*, actor: Any = None) -> dict[str, int]:
    """Re-apply every done Contact erasure after a database restore, matching numbers by their
    keyed hash (the requests keep no number in clear). Contacts are read in batches."""
    done = DataSubjectRequest.objects.filter(
        status=RequestStatus.DONE, kind=RequestKind.ERASURE, subject_type=SubjectType.CONTACT
    ).exclude(subject_hash="")
    wanted: dict[str, list[DataSubjectRequest]] = {}
    for request in done:
        wanted.setdefault(request.subject_hash, []).append(request)
    counts = {"requests": done.count(), "contacts": 0}
    if not wanted:
        return counts
    last_pk = None
    while True:
        page = Contact.objects.across_clients().order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        batch = list(page.values_list("pk", "client_id", "phone_number")[:REPLAY_BATCH])
        if not batch:
            break
        last_pk = batch[-1][0]
        for _, client_id, phone in batch:
            for request in wanted.get(identifier_hash(phone), []):
                in_scope = (
                    request.scope == RequestScope.ALL_CLIENTS or request.client_id == client_id
                )
                if in_scope:
                    client = Client.objects.get(pk=client_id)
                    erased = contact_erase_across_clients(phone=phone, client=client, actor=actor)
                    counts["contacts"] += len(erased.matches)
                    break
    return counts


REPLAY_BATCH = 5_000


def access_bundle_members_across_clients(
    *, phone: str, client: Client | None = None
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """The access export of every account holding `phone` (or `client`'s), one folder a Client."""
    from calls.selectors import contact_bundle

    for contact in _contacts_in_scope(phone, client).order_by("client__slug"):
        bundle = contact_bundle(client=contact.client, contact=contact)
        for name, chunks in bundle.members():
            yield f"{contact.client.slug}/{name}", chunks
