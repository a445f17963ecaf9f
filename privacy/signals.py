"""The audit log's receivers. Rectification in the admin: every change the admin logs to a
person's record (a User, a Contact) becomes an AuditEvent naming the fields changed, never their
values. And what accounts reports through its signals (Users, API keys), with staff logins."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts import signals as account_signals
from privacy.audit import AuditAction, audit_record, identifier_hash

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


# --- What a client admin does to Users and API keys (sent by accounts.services) -----------------


def _user_record(
    action: AuditAction, *, user_id: Any, actor: Any, client_id: Any, **extra: Any
) -> None:
    # The User is named by the same keyed hash as an actor, so the page can resolve it too.
    audit_record(
        action=action,
        actor=actor,
        client_id=client_id,
        object_type="user",
        metadata={"user": identifier_hash(f"user:{user_id}"), **extra},
    )


@receiver(account_signals.user_created)
def audit_user_created(sender: Any, user: Any, actor: Any, client_id: Any, **kwargs: Any) -> None:
    _user_record(
        AuditAction.USER_CREATED, user_id=user.pk, actor=actor, client_id=client_id, role=user.role
    )


@receiver(account_signals.user_changed)
def audit_user_changed(
    sender: Any, user: Any, fields: list[str], actor: Any, client_id: Any, **kwargs: Any
) -> None:
    _user_record(
        AuditAction.USER_CHANGED, user_id=user.pk, actor=actor, client_id=client_id, fields=fields
    )


@receiver(account_signals.user_role_changed)
def audit_user_role_changed(
    sender: Any, user: Any, old_role: str, new_role: str, actor: Any, client_id: Any, **kwargs: Any
) -> None:
    _user_record(
        AuditAction.USER_ROLE_CHANGED,
        user_id=user.pk,
        actor=actor,
        client_id=client_id,
        old_role=old_role,
        new_role=new_role,
    )


@receiver(account_signals.user_deactivated)
def audit_user_deactivated(
    sender: Any, user: Any, actor: Any, client_id: Any, **kwargs: Any
) -> None:
    _user_record(AuditAction.USER_DEACTIVATED, user_id=user.pk, actor=actor, client_id=client_id)


@receiver(account_signals.user_deleted)
def audit_user_deleted(
    sender: Any, user_id: Any, actor: Any, client_id: Any, **kwargs: Any
) -> None:
    _user_record(AuditAction.USER_DELETED, user_id=user_id, actor=actor, client_id=client_id)


@receiver(account_signals.api_key_created)
def audit_api_key_created(
    sender: Any, api_key: Any, actor: Any, client_id: Any, **kwargs: Any
) -> None:
    audit_record(
        action=AuditAction.API_KEY_CREATED,
        actor=actor,
        client_id=client_id,
        object_type="api_key",
        object_id=api_key.pk,
        metadata={"scopes": list(api_key.scopes)},
    )


@receiver(account_signals.api_key_revoked)
def audit_api_key_revoked(
    sender: Any, api_key: Any, actor: Any, client_id: Any, **kwargs: Any
) -> None:
    audit_record(
        action=AuditAction.API_KEY_REVOKED,
        actor=actor,
        client_id=client_id,
        object_type="api_key",
        object_id=api_key.pk,
    )


@receiver(user_logged_in)
def audit_staff_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Staff log in only to reach the admin: each login is in the DPO-visible log."""
    if getattr(user, "is_staff", False):
        audit_record(action=AuditAction.STAFF_LOGIN, actor=user, object_type="staff")
