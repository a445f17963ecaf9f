"""Requests filed: from the privacy centre, the public form, the DPO's own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from accounts.phones import normalize_e164
from privacy.audit import AuditAction, audit_record, identifier_hash
from privacy.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestSource,
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
    actor: Any = None,
) -> DataSubjectRequest:
    """File a Contact's erasure request for the DPO (from the privacy centre, or the DPO's own)."""
    try:
        number = normalize_e164(phone)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from None
    if scope == RequestScope.ONE_CLIENT and client is None:
        raise ValidationError({"client": _("A request for one account names the Client.")})
    if _open_requests(subject=number, client=client, kind=RequestKind.ERASURE).exists():
        raise ValidationError({"phone": _("An erasure request for this number is already open.")})
    subject_request = DataSubjectRequest.objects.create(
        kind=RequestKind.ERASURE,
        subject_type=SubjectType.CONTACT,
        subject=number,
        scope=scope,
        client=client,
        source=source,
        notes=notes,
        verified=verified or source != RequestSource.CONTACT,
    )
    request_filed_record(subject_request=subject_request, actor=actor)
    return subject_request


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
    subject_request = DataSubjectRequest.objects.create(
        kind=kind,
        subject_type=SubjectType.CONTACT,
        subject=number,
        scope=RequestScope.ALL_CLIENTS,
        source=RequestSource.CONTACT,
        verified=True,
        notes=notes,
    )
    request_filed_record(subject_request=subject_request, actor=None)
    return subject_request


def request_filed_record(*, subject_request: DataSubjectRequest, actor: Any) -> None:
    """Audit a filed request, in the Client's log when it names one (the subject hashed)."""
    audit_record(
        action=AuditAction.REQUEST_FILED,
        actor=actor,
        client_id=subject_request.client_id,
        object_type="request",
        object_id=subject_request.pk,
        metadata={
            "kind": subject_request.kind,
            "source": subject_request.source,
            "subject": identifier_hash(subject_request.subject),
        },
    )


def _open_requests(
    *, subject: str, client: Client | None, kind: str
) -> QuerySet[DataSubjectRequest]:
    return DataSubjectRequest.objects.filter(
        subject=subject,
        client=client,
        kind=kind,
        status__in=OPEN_STATUSES,
    ).order_by("received_on")
