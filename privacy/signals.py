"""Rectification in the admin is audited: every change the admin logs to a person's record (a User,
a Contact) becomes an AuditEvent naming the fields changed, never their values."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from privacy.audit import AuditAction, audit_record

AUDITED = {("accounts", "user"), ("calls", "contact")}


@receiver(post_save, sender=LogEntry)
def audit_rectification(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created or instance.action_flag != CHANGE or instance.content_type is None:
        return
    if (instance.content_type.app_label, instance.content_type.model) not in AUDITED:
        return
    changed = sorted(set(_fields(instance)))
    audit_record(
        action=AuditAction.RECORD_RECTIFIED,
        actor=instance.user,
        object_type=instance.content_type.model,
        object_id=instance.object_id,
        metadata={"fields": changed},
    )


def _fields(entry: LogEntry) -> list[str]:
    import json

    try:
        messages = json.loads(entry.change_message or "[]")
    except ValueError:
        return []
    return [field for message in messages for field in message.get("changed", {}).get("fields", [])]
