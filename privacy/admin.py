from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from privacy.audit import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, the DPO included: the log is append-only."""

    list_display = ["occurred_at", "action", "client_id", "actor_kind", "object_type", "object_id"]
    list_filter = ["action", "actor_kind"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
