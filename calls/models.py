from __future__ import annotations

import os
import time
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Client
from accounts.tenancy import TenantManager

RING_SECONDS_MIN, RING_SECONDS_MAX = 5, 120  # how long a forwarded call may ring


class TrackingNumber(models.Model):
    """A phone number a Client publishes in one place (the source) to count the calls it brings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every tenant index leads with client_id (SPEC §4), so the FK needs no index of its own.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="tracking_numbers", db_index=False
    )
    number = models.CharField(_("number"), max_length=16, help_text=_("E.164, e.g. +33184800000"))
    source = models.CharField(
        _("source"), max_length=100, help_text=_("Where the number is published, e.g. Google Ads")
    )
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # A number of the website's pool: shown to one visit at a time by dni.js (attribution app).
    # A database default too, so the bulk loaders that insert numbers in SQL need not know it.
    pool = models.BooleanField(_("website pool"), default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # How a call from the telephone network is put through (SPEC §12, telephony/). Database
    # defaults too, so the bulk loaders that insert numbers in SQL need not know these columns.
    forward_to = models.CharField(
        _("forward to"),
        max_length=16,
        blank=True,
        db_default="",
        help_text=_("E.164: where calls are put through"),
    )
    record_calls = models.BooleanField(_("record calls"), default=False, db_default=False)
    announcement = models.CharField(
        _("announcement"),
        max_length=300,
        blank=True,
        db_default="",
        help_text=_("What the caller hears before a recorded call"),
    )
    voicemail = models.BooleanField(
        _("voicemail"),
        default=True,
        db_default=True,
        help_text=_("When nobody answers, the caller may leave a message"),
    )
    ring_seconds = models.PositiveSmallIntegerField(
        _("ring seconds"),
        default=20,
        db_default=20,
        validators=[MinValueValidator(RING_SECONDS_MIN), MaxValueValidator(RING_SECONDS_MAX)],
        help_text=_("How long the forwarded call rings before voicemail"),
    )

    objects = TenantManager()

    class Meta:
        verbose_name = _("tracking number")
        verbose_name_plural = _("tracking numbers")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "number"], name="tracking_number_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.source})"


class Contact(models.Model):
    """A caller, by phone number, as one Client's account knows them: personal data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    phone_number = models.CharField(_("phone number"), max_length=16)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set while the Contact's processing is restricted (GDPR art. 18, calls.services.contact_restrict):
    # its calls stay, but its audio does not play and its calls leave the call list and exports.
    restricted_at = models.DateTimeField(_("restricted at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "phone_number"], name="contact_unique_per_client"
            )
        ]
        # The DPO's erasure across accounts looks a number up in every Client.
        indexes = [models.Index(fields=["phone_number"], name="contact_phone_idx")]

    def __str__(self) -> str:
        return f"Contact {self.pk}"


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class CallStatus(models.TextChoices):
    # In context: a status reads "Répondu" where a column of answered calls reads "Répondus".
    ANSWERED = "answered", pgettext_lazy("call status", "Answered")
    MISSED = "missed", pgettext_lazy("call status", "Missed")
    BUSY = "busy", pgettext_lazy("call status", "Busy")
    FAILED = "failed", pgettext_lazy("call status", "Failed")
    VOICEMAIL = "voicemail", pgettext_lazy("call status", "Voicemail")


def uuid7() -> uuid.UUID:
    """A UUID of version 7 (RFC 9562): 48 bits of the time in milliseconds, then 74 random bits.

    A call's id follows the moment it was made, so the calls' primary key, and attribution's
    (keyed by the call), grow at their right edge: an insert touches the last leaf rather than a
    random one, and the calls of one day (the dashboard reads today's from the calls) sit in
    neighbouring index pages instead of across the whole index (bench/bench_reports.py)."""
    milliseconds = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    value = (milliseconds << 80) | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # the version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # the variant
    return uuid.UUID(int=value)


class Call(models.Model):
    """A call on a tracking number. The caller is its Contact: erasing it leaves the facts."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="calls", db_index=False
    )
    external_id = models.CharField(_("provider's id"), max_length=128)
    tracking_number = models.ForeignKey(
        TrackingNumber,
        on_delete=models.PROTECT,
        related_name="calls",
        verbose_name=_("tracking number"),
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("contact"),
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.INBOUND
    )
    status = models.CharField(_("status"), max_length=10, choices=CallStatus.choices)
    started_at = models.DateTimeField(_("started at"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    # A first-time caller: this call's ingestion created its Contact (the caller had never called
    # the Client, or was erased since). Decided once, when the call is created, and never moved
    # after: a fact of the call like its status, which the daily aggregates count (reports).
    is_first_call = models.BooleanField(_("first-time caller"), default=False, db_default=False)
    # The call's attribution as the daily aggregates count it, copied by attribution when it
    # matches the call or loses its match: the dashboard reads today's calls without a lookup of
    # each one's attribution (reports.selectors). Blank channel and null campaign: not
    # attributed; an attributed call without a campaign has a blank one, as the stats tell apart.
    attributed_channel = models.CharField(
        _("attributed channel"), max_length=16, blank=True, default="", db_default=""
    )
    attributed_campaign = models.CharField(  # noqa: DJ001
        _("attributed campaign"), max_length=200, null=True, blank=True
    )
    # Kept on the row so lists and exports need no join; the media services maintain them.
    has_recording = models.BooleanField(_("has a recording"), default=False)
    has_voicemail = models.BooleanField(_("has a voice message"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"], name="call_external_id_unique_per_client"
            )
        ]
        indexes = [
            models.Index(fields=["client", "-started_at", "-id"], name="call_client_started_idx"),
            models.Index(fields=["client", "status", "-started_at"], name="call_client_status_idx"),
            models.Index(
                fields=["client", "tracking_number", "-started_at"], name="call_client_tn_idx"
            ),
            models.Index(
                fields=["client", "contact", "-started_at"], name="call_client_contact_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Call {self.external_id}"

    @property
    def caller_number(self) -> str | None:
        return self.contact.phone_number if self.contact_id and self.contact else None


class MediaKind(models.TextChoices):
    RECORDING = "recording", _("Recording")
    VOICEMAIL = "voicemail", _("Voice message")


AUDIO_CONTENT_TYPES = {
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
}


class MediaObject(models.Model):
    """An encrypted audio object of a call (calls/media, docs/encryption.md).

    The id is the object id bound into every segment; `wrapped_key` is emptied first when the
    object is shredded, which makes the stored file unreadable before it is even deleted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    size_bytes = models.BigIntegerField()
    content_type = models.CharField(max_length=32)
    # The plaintext's SHA-256 (hex) when an uploader is given it to check; blank for copies
    # fetched from a provider (calls.services.media_store's `digest`).
    sha256 = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=64)
    wrapped_key = models.BinaryField(max_length=64)
    storage_name = models.CharField(max_length=255)
    stored_size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"

    @property
    def extension(self) -> str:
        return AUDIO_CONTENT_TYPES.get(self.content_type, "bin")


# PROTECT: a call with media can only go once its media are shredded (calls.services.media_shred);
# a cascade would delete rows and leave the encrypted files behind.
class Recording(MediaObject):
    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="recording")

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        indexes = [
            models.Index(fields=["client", "created_at"], name="recording_client_created_idx")
        ]


class VoiceMessage(MediaObject):
    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="voicemail")

    class Meta:
        verbose_name = _("voice message")
        verbose_name_plural = _("voice messages")
        indexes = [
            models.Index(fields=["client", "created_at"], name="voicemail_client_created_idx")
        ]


MEDIA_MODELS: dict[str, type[MediaObject]] = {
    MediaKind.RECORDING: Recording,
    MediaKind.VOICEMAIL: VoiceMessage,
}
MEDIA_FLAGS: dict[str, str] = {
    MediaKind.RECORDING: "has_recording",
    MediaKind.VOICEMAIL: "has_voicemail",
}


class ExportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A large Excel export made in the background; the file is encrypted like a recording and
    shredded 24 hours after it is ready."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The list's query parameters as given; kept only as long as the job (24 hours).
    query = models.JSONField(default=dict)
    status = models.CharField(
        max_length=8, choices=ExportJobStatus.choices, default=ExportJobStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    progress_rows = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    stored_size = models.BigIntegerField(default=0)
    storage_name = models.CharField(max_length=255, blank=True)
    key_id = models.CharField(max_length=64, blank=True)
    wrapped_key = models.BinaryField(max_length=64, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="exportjob_client_created_idx"),
            models.Index(fields=["expires_at"], name="exportjob_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ExportJobStatus.DONE:
            return 100
        return min(99, int(100 * self.progress_rows / self.total_rows)) if self.total_rows else 0
