"""A Client's account at a telephony provider, and what the provider told us of each call.

The provider's call and recording ids (`CallSid`, `RecordingSid`) are the keys that make every
webhook idempotent: a retry finds its row and changes nothing.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from accounts.tenancy import TenantManager


class Provider(models.TextChoices):
    TWILIO = "twilio", "Twilio"


class TelephonyAccount(models.Model):
    """The Client's credentials at its provider. The auth token is sealed (telephony.sealing)
    under the RECORDING_KEYS ring: write-only, never shown, logged or exported."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.OneToOneField(
        Client, verbose_name=_("Client"), on_delete=models.CASCADE, related_name="telephony_account"
    )
    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.TWILIO
    )
    # One provider account belongs to one Client: the webhooks find the Client by it.
    account_sid = models.CharField(_("account SID"), max_length=64, unique=True)
    token_key_id = models.CharField(max_length=64)
    token_sealed = models.BinaryField(max_length=512)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("telephony account")
        verbose_name_plural = _("telephony accounts")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.account_sid}"


class ProviderCall(models.Model):
    """One call as the provider reported it. Linked to its Call by `external_id` = the provider's
    call id, not by a foreign key: the retention purge deletes calls in SQL and must not trip
    over us."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    provider_call_id = models.CharField(max_length=64)
    tracking_number = models.ForeignKey(
        "calls.TrackingNumber", on_delete=models.CASCADE, related_name="+"
    )
    # The Client's own line the call was put through to (a business number, not the caller's).
    forwarded_to = models.CharField(max_length=16, blank=True)
    announced = models.BooleanField(default=False)
    voicemail_offered = models.BooleanField(default=False)
    voicemail_left = models.BooleanField(default=False)
    dial_status = models.CharField(max_length=16, blank=True)
    dial_duration = models.PositiveIntegerField(null=True, blank=True)
    call_status = models.CharField(max_length=16, blank=True)
    call_duration = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "provider_call_id"], name="provider_call_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"Provider call {self.provider_call_id}"


class RecordingState(models.TextChoices):
    PENDING = "pending", _("Being fetched")
    STORED = "stored", _("Stored; provider copy not yet deleted")
    DONE = "done", _("Stored; provider copy deleted")
    UNAVAILABLE = "unavailable", _("Recording unavailable")


class ProviderRecording(models.Model):
    """A recording or voice message held at the provider until we hold it encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    provider_call = models.ForeignKey(
        ProviderCall, on_delete=models.CASCADE, related_name="recordings"
    )
    provider_recording_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)  # calls.models.MediaKind
    state = models.CharField(
        max_length=12, choices=RecordingState.choices, default=RecordingState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "provider_recording_id"],
                name="provider_recording_unique_per_client",
            )
        ]

    def __str__(self) -> str:
        return f"Provider recording {self.provider_recording_id}"
