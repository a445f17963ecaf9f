"""Every read of the privacy app (STYLE.md §3)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Client
from calls.models import Call, Contact
from calls.selectors import export_jobs_holding_contact
from privacy.models import DataSubjectRequest


def contact_counts(contact: Contact) -> dict[str, int]:
    """What erasing `contact` would touch in its Client's account."""
    calls = Call.objects.for_client(contact.client).filter(contact=contact)
    return {
        "contacts": 1,
        "calls": calls.count(),
        "recordings": calls.filter(has_recording=True).count(),
        "voicemails": calls.filter(has_voicemail=True).count(),
        "export_jobs": len(export_jobs_holding_contact(contact=contact)),
    }


def subject_request_list(*, client: Client) -> QuerySet[DataSubjectRequest]:
    """A Client's requests, newest first (the privacy centre)."""
    return DataSubjectRequest.objects.filter(client=client).order_by("-received_on")


def subject_request_get(*, pk: Any) -> DataSubjectRequest | None:
    return DataSubjectRequest.objects.select_related("client").filter(pk=pk).first()
