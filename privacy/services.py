"""Every write of the privacy app but erasure itself (privacy/erasure.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

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
    open_duplicate = DataSubjectRequest.objects.filter(
        subject=number,
        client=client,
        kind=RequestKind.ERASURE,
        status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS],
    )
    if open_duplicate.exists():
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


def request_subject_matches(request: DataSubjectRequest, value: str) -> bool:
    return bool(request.subject_hash) and request.subject_hash == identifier_hash(value)
