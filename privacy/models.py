from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Client
from accounts.retention_policy import months_before
from privacy.audit import AuditEvent


class RequestKind(models.TextChoices):
    ERASURE = "erasure", "Erasure"
    ACCESS = "access", "Access"
    RECTIFICATION = "rectification", "Rectification"


class SubjectType(models.TextChoices):
    CONTACT = "contact", "Contact (phone number)"
    USER = "user", "User (email)"


class RequestScope(models.TextChoices):
    ONE_CLIENT = "one_client", "One Client's account"
    ALL_CLIENTS = "all_clients", "Every account holding it"


class RequestSource(models.TextChoices):
    CLIENT = "client", "The Client"
    CONTACT = "contact", "The Contact directly"
    DPO = "dpo", "The DPO"


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected"


def _one_month_later() -> dt.date:
    now = timezone.now()
    return months_before(now, -1).date()


class DataSubjectRequest(models.Model):
    """A request under the GDPR, worked by the DPO. Once done, the subject's identifier is kept only
    as a keyed hash (minimisation) beside the record of what was erased."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=RequestKind.choices, default=RequestKind.ERASURE)
    subject_type = models.CharField(
        max_length=8, choices=SubjectType.choices, default=SubjectType.CONTACT
    )
    subject = models.CharField(
        max_length=254, blank=True, help_text="E.164 number or email; emptied once done."
    )
    subject_hash = models.CharField(max_length=64, blank=True, db_index=True)
    scope = models.CharField(
        max_length=12, choices=RequestScope.choices, default=RequestScope.ONE_CLIENT
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(
        max_length=8, choices=RequestSource.choices, default=RequestSource.DPO
    )
    verified = models.BooleanField(
        default=False, help_text="The requester proved they hold the number."
    )
    received_on = models.DateField(default=timezone.localdate)
    due_on = models.DateField(default=_one_month_later)
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    notes = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was erased, per Client (counts only), so the request proves it was carried out.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["due_on", "received_on"]
        indexes = [
            models.Index(fields=["client", "-received_on"], name="dsr_client_received_idx"),
            models.Index(fields=["status", "due_on"], name="dsr_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request of {self.received_on}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)
            and self.due_on < timezone.localdate()
        )


class ContactVerification(models.Model):
    """A one-time code sent to a number, proving a public request comes from whoever holds it.
    Only keyed hashes are kept: of the number, of the requester's address and of the code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone_hash = models.CharField(max_length=64)
    ip_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone_hash", "created_at"], name="verification_phone_idx"),
            models.Index(fields=["ip_hash", "created_at"], name="verification_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"Verification {self.pk}"


__all__ = ["AuditEvent", "ContactVerification", "DataSubjectRequest"]
