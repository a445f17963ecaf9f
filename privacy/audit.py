"""The audit log: append-only, and free of personal data in clear (SPEC §8).

People and phone numbers appear only as keyed hashes (HMAC-SHA256 with PRIVACY_HMAC_KEY), so the
log proves who did what without becoming one more copy of the data it protects.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Client


def identifier_hash(value: str) -> str:
    return hmac.new(settings.PRIVACY_HMAC_KEY, value.encode(), hashlib.sha256).hexdigest()


class AuditAction(models.TextChoices):
    RECORDING_PLAYED = "recording.played", _("Recording played")
    VOICEMAIL_PLAYED = "voicemail.played", _("Voice message played")
    MEDIA_UPLOADED = "media.uploaded", _("Recording or voice message uploaded")
    MEDIA_SHREDDED = "media.shredded", _("Recording or voice message shredded")
    KEYS_ROTATED = "keys.rotated", _("Recording keys rotated")
    CALLS_EXPORTED = "calls.exported", _("Calls exported")
    CONTACT_EXPORTED = "contact.exported", _("Contact's data exported")
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    USER_CREATED = "user.created", _("User created")
    USER_CHANGED = "user.changed", _("User changed")
    USER_ROLE_CHANGED = "user.role_changed", _("User's role changed")
    USER_DEACTIVATED = "user.deactivated", _("User deactivated")
    USER_DELETED = "user.deleted", _("User deleted")
    API_KEY_CREATED = "api_key.created", _("API key created")
    API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
    TRACKING_NUMBER_ADDED = "tracking_number.added", _("Tracking number added")
    TRACKING_NUMBER_CHANGED = "tracking_number.changed", _("Tracking number changed")
    TRACKING_NUMBER_DEACTIVATED = "tracking_number.deactivated", _("Tracking number deactivated")
    TELEPHONY_CHANGED = "telephony.changed", _("Telephony settings changed")
    PROVIDER_RECORDING_FETCHED = (
        "provider.recording_fetched",
        _("Recording fetched from the provider"),
    )
    PROVIDER_RECORDING_DELETED = (
        "provider.recording_deleted",
        _("Recording deleted at the provider"),
    )
    # Recorded by the website settings (attribution).
    WEBSITE_SETTINGS_CHANGED = "website.changed", _("Website settings changed")
    STAFF_LOGIN = "staff.login", _("Dexem staff logged in to the admin")
    RECORD_RECTIFIED = "record.rectified", _("Personal data rectified in the admin")
    REQUEST_FILED = "request.filed", _("Data-subject request filed")
    REQUEST_EXECUTED = "request.executed", _("Data-subject request executed")
    REQUEST_COMPLETED = "request.completed", _("Data-subject request completed")
    REQUEST_EXTENDED = "request.extended", _("Data-subject request's deadline extended")
    REQUEST_REJECTED = "request.rejected", _("Data-subject request rejected")
    CONTACT_RESTRICTED = "contact.restricted", _("Contact's processing restricted")
    CONTACT_RESTRICTION_LIFTED = "contact.unrestricted", _("Contact's restriction lifted")
    RETENTION_RUN = "retention.run", _("Retention job run")


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    STAFF = "staff", _("Dexem staff")
    API_KEY = "api_key", _("API key")
    SYSTEM = "system", _("Dexem (automatic)")


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")

    def for_client(self, client: Client | None) -> AppendOnlyQuerySet:
        if client is None or client.pk is None:
            return self.none()
        return self.filter(client_id=client.pk)


class AuditEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True)
    # A plain id, not a foreign key: the record outlives whatever it speaks of.
    client_id = models.UUIDField(_("client id"), null=True, blank=True)
    actor_kind = models.CharField(_("kind of actor"), max_length=16, choices=ActorKind.choices)
    actor_hash = models.CharField(_("actor's keyed hash"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.UUIDField(_("object id"), null=True, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)

    objects = models.Manager.from_queryset(AppendOnlyQuerySet)()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["client_id", "-occurred_at"], name="audit_client_time_idx"),
            models.Index(
                fields=["action", "object_id", "actor_hash", "-occurred_at"],
                name="audit_object_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(
            _("%(action)s at %(time)s")
            % {"action": self.get_action_display(), "time": f"{self.occurred_at:%Y-%m-%d %H:%M}"}
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


def actor_of(actor: Any) -> tuple[str, str]:
    """(kind, keyed hash) of whoever acts: a User, staff, an API key, or the system (None)."""
    if actor is None:
        return "system", ""
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return "api_key", identifier_hash(f"api_key:{api_key.pk}")
    kind = "staff" if getattr(actor, "is_staff", False) else "user"
    return kind, identifier_hash(f"user:{actor.pk}")


def audit_record(
    *,
    action: AuditAction,
    actor: Any,
    client_id: uuid.UUID | None = None,
    object_type: str = "",
    object_id: uuid.UUID | str | None = None,
    metadata: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event. `metadata` must already be free of personal data (hash it first)."""
    kind, actor_hash = actor_of(actor)
    return AuditEvent.objects.create(
        client_id=client_id,
        actor_kind=kind,
        actor_hash=actor_hash,
        action=action,
        object_type=object_type,
        object_id=object_id,
        metadata=metadata or {},
    )
