"""Every write of the privacy app: requests filed, executed, rejected. Erasure itself is
privacy/erasure.py, which hands the writes in the calls tables to the calls services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Client, User
from accounts.phones import normalize_e164
from privacy.audit import identifier_hash
from privacy.erasure import ClientCounts, contact_erase_across_clients, user_erase_across_clients
from privacy.models import (
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestSource,
    RequestStatus,
    SubjectType,
)


def erasure_request_file(
    *,
    client: Client | None,
    phone: str,
    source: str,
    scope: str = RequestScope.ONE_CLIENT,
    notes: str = "",
    verified: bool = False,
) -> DataSubjectRequest:
    """File a Contact's erasure request for the DPO (from the privacy centre, or the DPO's own)."""
    try:
        number = normalize_e164(phone)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from None
    if scope == RequestScope.ONE_CLIENT and client is None:
        raise ValidationError({"client": "A request for one account names the Client."})
    if _open_requests(subject=number, client=client, kind=RequestKind.ERASURE).exists():
        raise ValidationError({"phone": "An erasure request for this number is already open."})
    return DataSubjectRequest.objects.create(
        kind=RequestKind.ERASURE,
        subject_type=SubjectType.CONTACT,
        subject=number,
        scope=scope,
        client=client,
        source=source,
        notes=notes,
        verified=verified or source != RequestSource.CONTACT,
    )


def contact_request_file(*, phone: str, kind: str, notes: str = "") -> DataSubjectRequest:
    """File the request a Contact made themselves, their number verified, in every account.

    A request of the same kind already open for the number stands for it: it is returned and
    nothing is filed twice, so the caller can answer exactly as for a new one."""
    number = normalize_e164(phone)
    existing = _open_requests(subject=number, client=None, kind=kind).first()
    if existing is not None:
        return existing
    if kind == RequestKind.ERASURE:
        try:
            return erasure_request_file(
                client=None,
                phone=number,
                source=RequestSource.CONTACT,
                scope=RequestScope.ALL_CLIENTS,
                verified=True,
                notes=notes,
            )
        except ValidationError:
            # Filed meanwhile by a concurrent confirmation for the same number.
            existing = _open_requests(subject=number, client=None, kind=kind).first()
            if existing is None:
                raise
            return existing
    return DataSubjectRequest.objects.create(
        kind=kind,
        subject_type=SubjectType.CONTACT,
        subject=number,
        scope=RequestScope.ALL_CLIENTS,
        source=RequestSource.CONTACT,
        verified=True,
        notes=notes,
    )


def _open_requests(
    *, subject: str, client: Client | None, kind: str
) -> QuerySet[DataSubjectRequest]:
    return DataSubjectRequest.objects.filter(
        subject=subject,
        client=client,
        kind=kind,
        status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS],
    ).order_by("received_on")


def request_execute(*, subject_request: DataSubjectRequest, actor: Any) -> DataSubjectRequest:
    """Carry out an erasure request, notify the Clients if it came from the Contact, minimise it."""
    if subject_request.status in (RequestStatus.DONE, RequestStatus.REJECTED):
        return subject_request
    if subject_request.kind != RequestKind.ERASURE:
        raise ValueError(
            "Only erasure requests are executed here; access and rectification are worked by hand."
        )
    DataSubjectRequest.objects.filter(pk=subject_request.pk).update(
        status=RequestStatus.IN_PROGRESS
    )
    scope_client = (
        subject_request.client if subject_request.scope == RequestScope.ONE_CLIENT else None
    )
    if subject_request.subject_type == SubjectType.CONTACT:
        done = contact_erase_across_clients(
            phone=subject_request.subject, client=scope_client, actor=actor
        )
    else:
        done = user_erase_across_clients(email=subject_request.subject, client=scope_client)
    if subject_request.source == RequestSource.CONTACT:
        for match in done.matches:
            _notify_client(match)
    subject_request.result = {
        "per_client": {
            str(match.client.pk): {"client": match.client.slug, **match.counts()}
            for match in done.matches
        },
        "total": done.total,
    }
    subject_request.subject_hash = identifier_hash(subject_request.subject)
    subject_request.subject = ""
    subject_request.status, subject_request.executed_at = RequestStatus.DONE, timezone.now()
    subject_request.executed_by = actor if isinstance(actor, User) else None
    subject_request.save(
        update_fields=["result", "subject_hash", "subject", "status", "executed_at", "executed_by"]
    )
    return subject_request


def request_reject(
    *, subject_request: DataSubjectRequest, reason: str, actor: Any
) -> DataSubjectRequest:
    subject_request.status, subject_request.rejection_reason = RequestStatus.REJECTED, reason[:500]
    subject_request.executed_at = timezone.now()
    subject_request.executed_by = actor if isinstance(actor, User) else None
    subject_request.save(update_fields=["status", "rejection_reason", "executed_at", "executed_by"])
    return subject_request


def _notify_client(match: ClientCounts) -> None:
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
