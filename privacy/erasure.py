"""Erasure of a Contact in one Client's account or in every account holding the number (SPEC §8).

The one erasure service: the DPO's admin actions, `erase_contact`, the replay after a restore and
the privacy centre's requests all come here. The writes themselves are the calls app's
(`calls.services.contact_erase`: exports that may hold the number, then the audio, crypto-shredded
by the one key-then-file function, then the number on the calls, then the Contact), so nothing here
touches a calls table; attribution's (`attribution.services.contact_visits_erase`) go first.
Rerunnable: a rerun finds by the number whatever a crash left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from accounts.models import Client, User
from accounts.services import user_delete
from attribution.services import contact_visits_erase
from calls.models import Contact
from calls.selectors import contact_bundle, contact_ids_locate_across_clients
from calls.services import contact_erase
from privacy.audit import AuditAction, audit_record, identifier_hash
from privacy.models import DataSubjectRequest, RequestKind, RequestScope, RequestStatus, SubjectType
from privacy.selectors import contact_counts

logger = logging.getLogger(__name__)

REPLAY_BATCH = 5_000  # cost not measured


@dataclass
class ClientCounts:
    """What a request touches (or touched) in one Client's account."""

    client: Client
    contacts: int = 0
    calls: int = 0
    recordings: int = 0
    voicemails: int = 0
    export_jobs: int = 0
    users: int = 0

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "client"}


@dataclass
class CountsByClient:
    """Counts per Client: a preview before an erasure, the record of it after."""

    matches: list[ClientCounts] = field(default_factory=list)

    @property
    def total(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for match in self.matches:
            for name, count in match.counts().items():
                totals[name] = totals.get(name, 0) + count
        return totals


def contacts_in_scope_across_clients(*, phone: str, client: Client | None) -> Any:
    """The Contacts holding `phone`, in `client` only when given, else in every account."""
    ids = contact_ids_locate_across_clients(phone=phone, client=client)
    return Contact.objects.across_clients().filter(pk__in=ids).select_related("client")


def contact_preview_across_clients(*, phone: str, client: Client | None = None) -> CountsByClient:
    """What an erasure of `phone` would touch, per Client (in `client` only, when given)."""
    preview = CountsByClient()
    for contact in contacts_in_scope_across_clients(phone=phone, client=client).order_by(
        "client__name"
    ):
        preview.matches.append(ClientCounts(client=contact.client, **contact_counts(contact)))
    return preview


def contact_erase_across_clients(
    *, phone: str, client: Client | None = None, actor: Any = None
) -> CountsByClient:
    """Erase `phone` in scope; returns what was erased, per Client."""
    done = CountsByClient()
    for contact in list(contacts_in_scope_across_clients(phone=phone, client=client)):
        # Attribution (SPEC §13) first: the calls lose the website visits behind them while the
        # Contact still finds its calls (it goes last, so a rerun after a crash finds them too).
        contact_visits_erase(contact=contact)
        erased = contact_erase(contact=contact, actor=actor)
        match = ClientCounts(
            client=contact.client,
            contacts=1,
            calls=erased.calls,
            recordings=erased.recordings,
            voicemails=erased.voicemails,
            export_jobs=erased.export_jobs,
        )
        audit_record(
            action=AuditAction.REQUEST_EXECUTED,
            actor=actor,
            client_id=contact.client_id,
            object_type="contact",
            metadata={"subject": identifier_hash(phone), **match.counts()},
        )
        done.matches.append(match)
    return done


def user_erase_across_clients(
    *, email: str, client: Client | None, actor: Any = None
) -> CountsByClient:
    """Erase the Users holding `email` (in `client` only when given) through the Users tab's
    deletion, which also ends their sessions and forgets their login attempts."""
    done = CountsByClient()
    users = User.objects.filter(email=email.strip().lower(), client__isnull=False).select_related(
        "client"
    )
    if client is not None:
        users = users.filter(client=client)
    for user in users:
        match = ClientCounts(client=user.client, users=1)
        user_delete(user=user, enforce_last_admin=False, actor=actor)
        done.matches.append(match)
    return done


def erasures_replay_across_clients(*, actor: Any = None) -> dict[str, int]:
    """Re-apply every done Contact erasure after a database restore, matching numbers by their
    keyed hash (the requests keep no number in clear). Contacts are read in batches."""
    done = DataSubjectRequest.objects.filter(
        status=RequestStatus.DONE,
        kind=RequestKind.ERASURE,
        subject_type=SubjectType.CONTACT,
    ).exclude(subject_hash="")
    wanted: dict[str, list[DataSubjectRequest]] = {}
    for subject_request in done:
        wanted.setdefault(subject_request.subject_hash, []).append(subject_request)
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
            for subject_request in wanted.get(identifier_hash(phone), []):
                in_scope = (
                    subject_request.scope == RequestScope.ALL_CLIENTS
                    or subject_request.client_id == client_id
                )
                if in_scope:
                    client = Client.objects.get(pk=client_id)
                    erased = contact_erase_across_clients(phone=phone, client=client, actor=actor)
                    counts["contacts"] += len(erased.matches)
                    break
    return counts


def access_bundle_members_across_clients(
    *, phone: str, client: Client | None = None
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """The access export of every account holding `phone` (or `client`'s), one folder a Client."""
    for contact in contacts_in_scope_across_clients(phone=phone, client=client).order_by(
        "client__slug"
    ):
        bundle = contact_bundle(client=contact.client, contact=contact)
        for name, chunks in bundle.members():
            yield f"{contact.client.slug}/{name}", chunks
