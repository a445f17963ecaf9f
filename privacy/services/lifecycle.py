"""A request worked to its end: each kind has the action that ends it (docs/privacy.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.languages import language_for_client, language_for_user
from accounts.models import Client, User
from calls.services import contact_lift_restriction, contact_restrict
from privacy.audit import AuditAction, audit_record, identifier_hash
from privacy.erasure import (
    ClientCounts,
    CountsByClient,
    access_bundle_members_across_clients,
    contact_erase_across_clients,
    contact_preview_across_clients,
    contacts_in_scope_across_clients,
    user_erase_across_clients,
)
from privacy.models import (
    CLOSED_STATUSES,
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestSource,
    RequestStatus,
    SubjectType,
    due_date,
)


class RequestStateError(ValueError):
    """The request is not in a state that allows this action (the message says why)."""


def _scope_client(subject_request: DataSubjectRequest) -> Client | None:
    return subject_request.client if subject_request.scope == RequestScope.ONE_CLIENT else None


def _require_open(subject_request: DataSubjectRequest, *kinds: str) -> None:
    if subject_request.status in CLOSED_STATUSES:
        raise RequestStateError(_("This request is closed; it can no longer change."))
    if kinds and subject_request.kind not in kinds:
        raise RequestStateError(_("This action does not apply to this kind of request."))


def _result(done: CountsByClient, *, outcome: str) -> dict[str, Any]:
    """The record a closed request keeps: counts per Client, the Client named as it was then."""
    return {
        "outcome": outcome,
        "per_client": [
            {"client_id": str(match.client.pk), "client": match.client.name, **match.counts()}
            for match in done.matches
        ],
        "total": done.total,
    }


def _close(
    subject_request: DataSubjectRequest,
    *,
    actor: Any,
    status: str = RequestStatus.DONE,
    fields: tuple[str, ...] = (),
) -> DataSubjectRequest:
    """Close a request: the identifier is replaced by its keyed hash (minimisation)."""
    if subject_request.subject:
        subject_request.subject_hash = identifier_hash(subject_request.subject)
        subject_request.subject = ""
    subject_request.status, subject_request.executed_at = status, timezone.now()
    subject_request.executed_by = actor if isinstance(actor, User) else None
    subject_request.save(
        update_fields=["subject_hash", "subject", "status", "executed_at", "executed_by", *fields]
    )
    return subject_request


def request_execute(*, subject_request: DataSubjectRequest, actor: Any) -> DataSubjectRequest:
    """Carry out an erasure (or an objection, handled as an erasure in the Client it concerns),
    notify the Clients if it came from the Contact, minimise the request."""
    if subject_request.status in CLOSED_STATUSES:
        return subject_request
    _require_open(subject_request, RequestKind.ERASURE, RequestKind.OBJECTION)
    if not subject_request.subject:
        raise RequestStateError(_("This request has no subject: there is nothing to erase."))
    if subject_request.kind == RequestKind.OBJECTION and subject_request.client_id is None:
        raise RequestStateError(_("An objection names the Client it concerns."))
    DataSubjectRequest.objects.filter(pk=subject_request.pk).update(
        status=RequestStatus.IN_PROGRESS
    )
    scope_client = (
        subject_request.client
        if subject_request.kind == RequestKind.OBJECTION
        else _scope_client(subject_request)
    )
    if subject_request.subject_type == SubjectType.CONTACT:
        done = contact_erase_across_clients(
            phone=subject_request.subject, client=scope_client, actor=actor
        )
    else:
        done = user_erase_across_clients(
            email=subject_request.subject, client=scope_client, actor=actor
        )
    if subject_request.source == RequestSource.CONTACT:
        for match in done.matches:
            _notify_client(match, subject_request)
    subject_request.result = _result(done, outcome="erased")
    return _close(subject_request, actor=actor, fields=("result",))


def access_request_bundle(
    *, subject_request: DataSubjectRequest, actor: Any
) -> list[tuple[str, Any]]:
    """The members of an access request's ZIP. Handing them out completes the request: the
    download is its answer, audited once (the export), and the request keeps the counts."""
    _require_open(subject_request, RequestKind.ACCESS)
    if subject_request.subject_type != SubjectType.CONTACT or not subject_request.subject:
        raise RequestStateError(_("Only a phone number's access request has a bundle here."))
    scope_client = _scope_client(subject_request)
    preview = contact_preview_across_clients(phone=subject_request.subject, client=scope_client)
    for match in preview.matches:
        match.export_jobs = 0
    members = list(
        access_bundle_members_across_clients(phone=subject_request.subject, client=scope_client)
    )
    audit_record(
        action=AuditAction.CONTACT_EXPORTED,
        actor=actor,
        object_type="request",
        object_id=subject_request.pk,
        metadata={
            "subject": identifier_hash(subject_request.subject),
            "files": len(members),
            "completes_request": True,
        },
    )
    subject_request.result = _result(preview, outcome="exported")
    _close(subject_request, actor=actor, fields=("result",))
    return members


def rectification_complete(
    *, subject_request: DataSubjectRequest, note: str, actor: Any
) -> DataSubjectRequest:
    """Close a rectification with its note: which fields were changed where, never the values."""
    _require_open(subject_request, RequestKind.RECTIFICATION)
    if not note.strip():
        raise ValidationError({"note": _("Say which fields were changed, and where.")})
    subject_request.completion_note = note.strip()[:2000]
    subject_request.result = {"outcome": "rectified"}
    _close(subject_request, actor=actor, fields=("completion_note", "result"))
    audit_record(
        action=AuditAction.REQUEST_COMPLETED,
        actor=actor,
        client_id=subject_request.client_id,
        object_type="request",
        object_id=subject_request.pk,
        metadata={"kind": subject_request.kind},
    )
    return subject_request


def restriction_apply(*, subject_request: DataSubjectRequest, actor: Any) -> DataSubjectRequest:
    """Restrict the Contacts in scope (GDPR art. 18). The request stays open, answered, until the
    restriction is lifted."""
    _require_open(subject_request, RequestKind.RESTRICTION)
    if subject_request.subject_type != SubjectType.CONTACT:
        raise RequestStateError(_("Only a phone number's processing can be restricted here."))
    if subject_request.restricted_at is not None:
        raise RequestStateError(_("The restriction is already in force."))
    done = CountsByClient()
    for contact in contacts_in_scope_across_clients(
        phone=subject_request.subject, client=_scope_client(subject_request)
    ):
        contact_restrict(contact=contact, actor=actor)
        done.matches.append(ClientCounts(client=contact.client, contacts=1))
        _restriction_record(
            AuditAction.CONTACT_RESTRICTED, contact.client_id, subject_request, actor
        )
    subject_request.status = RequestStatus.IN_PROGRESS
    subject_request.restricted_at = timezone.now()
    subject_request.result = _result(done, outcome="restricted")
    subject_request.save(update_fields=["status", "restricted_at", "result"])
    return subject_request


def restriction_lift(*, subject_request: DataSubjectRequest, actor: Any) -> DataSubjectRequest:
    """Lift a restriction in force: the Contacts are processed again and the request is done."""
    _require_open(subject_request, RequestKind.RESTRICTION)
    if subject_request.restricted_at is None:
        raise RequestStateError(_("No restriction is in force for this request."))
    done = CountsByClient()
    for contact in contacts_in_scope_across_clients(
        phone=subject_request.subject, client=_scope_client(subject_request)
    ):
        contact_lift_restriction(contact=contact, actor=actor)
        done.matches.append(ClientCounts(client=contact.client, contacts=1))
        _restriction_record(
            AuditAction.CONTACT_RESTRICTION_LIFTED, contact.client_id, subject_request, actor
        )
    subject_request.result = _result(done, outcome="lifted")
    return _close(subject_request, actor=actor, fields=("result",))


def _restriction_record(
    action: AuditAction, client_id: Any, subject_request: DataSubjectRequest, actor: Any
) -> None:
    audit_record(
        action=action,
        actor=actor,
        client_id=client_id,
        object_type="request",
        object_id=subject_request.pk,
        metadata={"subject": identifier_hash(subject_request.subject)},
    )


def request_deadline_extend(
    *, subject_request: DataSubjectRequest, reason: str, actor: Any
) -> DataSubjectRequest:
    """Extend the deadline by two months, once, with a reason (GDPR art. 12(3))."""
    _require_open(subject_request)
    if subject_request.extended_on is not None:
        raise RequestStateError(_("The deadline of this request was already extended once."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the extension.")})
    subject_request.extended_on = timezone.localdate()
    subject_request.extension_reason = reason.strip()[:500]
    subject_request.due_on = due_date(subject_request.received_on, extended=True)
    subject_request.save(update_fields=["extended_on", "extension_reason", "due_on"])
    audit_record(
        action=AuditAction.REQUEST_EXTENDED,
        actor=actor,
        client_id=subject_request.client_id,
        object_type="request",
        object_id=subject_request.pk,
        metadata={"due_on": subject_request.due_on.isoformat()},
    )
    return subject_request


def request_reject(
    *, subject_request: DataSubjectRequest, reason: str, actor: Any
) -> DataSubjectRequest:
    _require_open(subject_request)
    subject_request.rejection_reason = reason[:500]
    subject_request.result = {"outcome": "rejected"}
    _close(
        subject_request,
        actor=actor,
        status=RequestStatus.REJECTED,
        fields=("rejection_reason", "result"),
    )
    audit_record(
        action=AuditAction.REQUEST_REJECTED,
        actor=actor,
        client_id=subject_request.client_id,
        object_type="request",
        object_id=subject_request.pk,
        metadata={"kind": subject_request.kind},
    )
    return subject_request


def _notify_client(match: ClientCounts, subject_request: DataSubjectRequest) -> None:
    """Email the Client's admins, each in their own language (one message per language)."""
    by_language: dict[str, list[str]] = {}
    for admin in User.objects.for_client(match.client).admins().select_related("client"):
        language = language_for_user(admin) or language_for_client(match.client)
        by_language.setdefault(language, []).append(admin.email)
    for language, emails in by_language.items():
        with translation.override(language):
            send_mail(
                subject=gettext(
                    "Dexem: a caller's erasure request was carried out in your account"
                ),
                message=gettext(
                    "Hello,\n\nA caller asked us directly to erase their personal data (our "
                    "reference %(reference)s). As your processor we have carried it out in your "
                    "account (%(client)s): %(calls)d call(s) no longer hold their number, "
                    "%(recordings)d recording(s) and %(voicemails)d voice message(s) were "
                    "destroyed. The calls' facts remain in your statistics.\n\nThe Dexem DPO"
                )
                % {
                    "reference": subject_request.reference,
                    "client": match.client.name,
                    "calls": match.calls,
                    "recordings": match.recordings,
                    "voicemails": match.voicemails,
                },
                from_email=None,
                recipient_list=emails,
            )
