from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Client
from accounts.retention_policy import months_before
from privacy.audit import AuditEvent


class RequestKind(models.TextChoices):
    ERASURE = "erasure", _("Erasure")
    ACCESS = "access", _("Access")
    RECTIFICATION = "rectification", _("Rectification")
    # GDPR art. 18: the Contact's calls stay, its audio does not play, exports leave it out.
    RESTRICTION = "restriction", _("Restriction")
    # GDPR art. 21: handled like an erasure, in the one Client's account it concerns.
    OBJECTION = "objection", _("Objection")


class SubjectType(models.TextChoices):
    CONTACT = "contact", _("Contact (phone number)")
    USER = "user", _("User (email)")


class RequestScope(models.TextChoices):
    ONE_CLIENT = "one_client", _("One Client's account")
    ALL_CLIENTS = "all_clients", _("Every account holding it")


class RequestSource(models.TextChoices):
    CLIENT = "client", _("The Client")
    CONTACT = "contact", _("The Contact directly")
    DPO = "dpo", _("The DPO")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)
CLOSED_STATUSES = (RequestStatus.DONE, RequestStatus.REJECTED)
# GDPR art. 12(3): one month from receipt, extendable once by two further months.
DUE_MONTHS = 1
EXTENSION_MONTHS = 2

# No 0/O, 1/I/L, U: a reference read out on the phone is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def reference_new() -> str:
    return "R-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def due_date(received_on: dt.date, *, extended: bool = False) -> dt.date:
    months = DUE_MONTHS + (EXTENSION_MONTHS if extended else 0)
    return months_before(received_on, -months)  # type: ignore[arg-type]


def _one_month_later() -> dt.date:
    return due_date(timezone.localdate())


class DataSubjectRequest(models.Model):
    """A request under the GDPR, worked by the DPO. Once done, the subject's identifier is kept only
    as a keyed hash (minimisation) beside the record of what was erased."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Short and unguessable; shown to the requester, in the privacy centre and in emails.
    reference = models.CharField(
        _("reference"), max_length=8, unique=True, default=reference_new, editable=False
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=RequestKind.choices, default=RequestKind.ERASURE
    )
    subject_type = models.CharField(
        _("subject type"), max_length=8, choices=SubjectType.choices, default=SubjectType.CONTACT
    )
    subject = models.CharField(
        _("subject"),
        max_length=254,
        blank=True,
        help_text=_("E.164 number or email; emptied once done."),
    )
    subject_hash = models.CharField(
        _("subject's keyed hash"), max_length=64, blank=True, db_index=True
    )
    scope = models.CharField(
        _("scope"), max_length=12, choices=RequestScope.choices, default=RequestScope.ONE_CLIENT
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(
        pgettext_lazy("data subject request", "source"),
        max_length=8,
        choices=RequestSource.choices,
        default=RequestSource.DPO,
    )
    verified = models.BooleanField(
        _("verified"), default=False, help_text=_("The requester proved they hold the number.")
    )
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    due_on = models.DateField(_("due on"), default=_one_month_later)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    notes = models.TextField(_("notes"), blank=True)
    extended_on = models.DateField(_("deadline extended on"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=500, blank=True)
    # A rectification's record of which fields were changed where (field names, never values).
    completion_note = models.TextField(_("what was done"), blank=True)
    # Set while a restriction request holds its Contacts restricted; lifting it ends the request.
    restricted_at = models.DateTimeField(_("restriction applied at"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason for the rejection"), max_length=500, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("executed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What was erased, per Client (counts only), so the request proves it was carried out.
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("data subject request")
        verbose_name_plural = _("data subject requests")
        ordering = ["due_on", "received_on"]
        indexes = [
            models.Index(fields=["client", "-received_on"], name="dsr_client_received_idx"),
            models.Index(fields=["status", "due_on"], name="dsr_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_kind_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def awaits_action(self) -> bool:
        """Open and not yet answered: a restriction in force has been answered, it only waits
        for its lifting, so it runs against no deadline."""
        return self.is_open and self.restricted_at is None

    @property
    def is_overdue(self) -> bool:
        return self.awaits_action and self.due_on < timezone.localdate()


class ContactVerification(models.Model):
    """A one-time code sent to a number, proving a public request comes from whoever holds it.
    Only keyed hashes are kept: of the number, of the requester's address and of the code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone_hash = models.CharField(_("number's keyed hash"), max_length=64)
    ip_hash = models.CharField(_("address's keyed hash"), max_length=64)
    code_hash = models.CharField(_("code's keyed hash"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone number verification")
        verbose_name_plural = _("phone number verifications")
        indexes = [
            models.Index(fields=["phone_hash", "created_at"], name="verification_phone_idx"),
            models.Index(fields=["ip_hash", "created_at"], name="verification_ip_idx"),
        ]

    def __str__(self) -> str:
        return str(_("Verification %(id)s") % {"id": self.pk})


__all__ = ["AuditEvent", "ContactVerification", "DataSubjectRequest"]
