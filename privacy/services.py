"""Every write of the privacy app but erasure itself (privacy/erasure.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import Client
from accounts.phones import normalize_e164
from privacy.audit import identifier_hash
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


def request_subject_matches(request: DataSubjectRequest, value: str) -> bool:
    return bool(request.subject_hash) and request.subject_hash == identifier_hash(value)
